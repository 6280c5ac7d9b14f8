/**
 * The bundled action under faults: the emulator misbehaves on script, and the tests check what
 * reaches the log, outputs without GITHUB_OUTPUT, and how fast a cancel ends the step. Retries
 * and backoff run in-process on a fake clock in faults.scenario.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import {
  emulatorInputs,
  toApi,
  type Emulator,
  type EmulatorOptions,
  type Fault,
} from '../../emulator/server.js';
import type { ActionRun } from '../helpers/action.js';
import { runBundle, type World } from '../helpers/harness.js';
import { FAULTS, OURS_PLAN as FAST_PLAN, onlyOurCommands, startTwin } from '../helpers/twins.js';

const FORGED =
  '\n::add-mask::x\n  ::warning::forged\n::stop-commands::y\n##[set-output name=status;]running';

let world: World<'bundle'>;
async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  world = await startTwin(FAULTS, 'bundle', options);
  return world.emu;
}

/** Resolves when the action's stdout matches `pattern`; rejects after 15 s so no test can hang. */
function when(output: () => string, pattern: RegExp | (() => boolean)): Promise<void> {
  const ready = typeof pattern === 'function' ? pattern : () => pattern.test(output());
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (ready()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - started > 15_000) {
        clearInterval(timer);
        reject(new Error(`the action never printed ${String(pattern)}`));
      }
    }, 10);
    timer.unref();
  });
}

describe('log safety', () => {
  it('an API error message cannot issue workflow commands', async () => {
    const e = await start();
    e.faults.push({
      kind: 'status',
      status: 404,
      body: { error: { status: 404, message: `not found${FORGED}`, id: `id${FORGED}` } },
    });
    const run = await world.run();
    expect(run.code).toBe(1);
    // The text is all there, on one line, defused.
    expect(run.stdout).toMatch(
      /^::error title=Not found::.*HTTP 404: not found ::add-mask::x {3}::warning::forged ::stop-commands::y #\u200B#\[set-output/m,
    );
  });

  it('deployment fields from the API cannot issue workflow commands', async () => {
    const e = await start({ deployments: [{ name: '::warning::forged name' }] });
    const run = await world.run(
      {},
      {
        onSpawn: (_child, output) => {
          void when(output, /Update accepted/).then(() => {
            const body = {
              data: {
                ...toApi(e.deployment(), Date.now()),
                status: `##[set-output name=status;]running${FORGED}`,
              },
            };
            e.faults.push({ method: 'GET', kind: 'status', status: 200, body });
          });
        },
      },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Status: #\u200B#[set-output name=status;]running');
    expect(run.summary).not.toContain('##[');
  });
});

describe('outputs without GITHUB_OUTPUT', () => {
  it('still sets them (as ::set-output), with API text defused', async () => {
    const e = await start({
      deployments: [{ description: 'x ##[set-output name=status;]hacked' }],
    });
    const run = await runBundle({
      inputs: { ...emulatorInputs(e), wait: 'false' },
      env: { GITHUB_OUTPUT: '' },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^::set-output name=outcome::not-waited$/m);
    expect(run.stdout).toMatch(
      /^::set-output name=deployment::.*x #\u200B#\[set-output name=status;\]hacked/m,
    );
    onlyOurCommands({ ...run, stdout: run.stdout.replace(/^::set-output .*$/gm, '') }, e.token);
    expect(run.stdout).not.toContain('##[');
  });
});

describe('cancellation', () => {
  /** Runs a rollout, injects `fault` once the wait is under way, and sends `signal` once `ready`. */
  async function cancelDuring(
    signal: NodeJS.Signals,
    fault: Fault,
    ready: RegExp | ((e: Emulator) => boolean),
  ): Promise<{ run: ActionRun; exitAfterSignalMs: number }> {
    const e = await start({ plan: { ...FAST_PLAN, provisioningMs: 60_000 } });
    let signalledAt = 0;
    let exitedAt = 0;
    const run = await world.run(
      {},
      {
        onSpawn: (child, output) => {
          child.on('exit', () => (exitedAt = performance.now()));
          void when(output, /Status: provisioning/)
            .then(() => {
              e.faults.push(fault);
              return when(output, typeof ready === 'function' ? () => ready(e) : ready);
            })
            .then(() => {
              signalledAt = performance.now();
              child.kill(signal);
            });
        },
      },
    );
    return { run, exitAfterSignalMs: exitedAt - signalledAt };
  }

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s during a request that hangs: out within 2 s, outputs set',
    async (signal) => {
      // The hanging request is under way once the emulator has taken the fault.
      const { run, exitAfterSignalMs } = await cancelDuring(
        signal,
        { method: 'GET', kind: 'hang' },
        (e) => e.faults.length === 0,
      );
      expect(exitAfterSignalMs).toBeLessThan(2000);
      expect(run.code).toBe(1);
      expect(run.outputs).toMatchObject({ outcome: 'cancelled', status: 'provisioning' });
      expect(run.stdout).toMatch(
        new RegExp(
          `^::error title=Cancelled::Cancelled by ${signal}: the workflow run was cancelled\\. The last status seen was "provisioning"`,
          'm',
        ),
      );
      expect(run.summary).toContain('Cancelled');
    },
  );

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s during a backoff sleep: out within 2 s, outputs set',
    async (signal) => {
      const { run, exitAfterSignalMs } = await cancelDuring(
        signal,
        { method: 'GET', kind: 'status', status: 429, headers: { 'x-ratelimit-reset': '10' } },
        /retrying in 10s/,
      );
      expect(exitAfterSignalMs).toBeLessThan(2000);
      expect(run.code).toBe(1);
      expect(run.outputs).toMatchObject({ outcome: 'cancelled', status: 'provisioning' });
    },
  );
});
