/**
 * The bundled action under faults: the emulator misbehaves on script, and the tests check what
 * reaches the log, outputs without GITHUB_OUTPUT, and how fast a cancel ends the step. Retries
 * and backoff run in-process on a fake clock in faults.scenario.test.ts.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import {
  startEmulator,
  toApi,
  type Emulator,
  type EmulatorOptions,
  type Fault,
  emulatorInputs,
} from '../emulator/server.js';
import {
  commandNames,
  leaks,
  runAction,
  workflowCommands,
  type ActionRun,
} from './helpers/action.js';

const FAST_PLAN = { pendingMs: 200, provisioningMs: 400, startingMs: 400 };
const SPEC = '{"configuration": {"revision": "v2"}}';
const FORGED =
  '\n::add-mask::x\n  ::warning::forged\n::stop-commands::y\n##[set-output name=status;]running';
/** The only workflow commands the action itself issues. */
const OUR_COMMANDS = new Set([
  'add-mask',
  'group',
  'endgroup',
  'error',
  'warning',
  'notice',
  'debug',
]);

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  emu = await startEmulator({ plan: FAST_PLAN, ...options });
  return emu;
}

async function deploy(
  e: Emulator,
  inputs: Record<string, string> = {},
  onSpawn?: (child: ChildProcess, output: () => string) => void,
): Promise<ActionRun> {
  const run = await runAction({
    inputs: {
      ...emulatorInputs(e),
      'poll-interval': '200ms',
      timeout: '30s',
      spec: SPEC,
      ...inputs,
    },
    env: { ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' },
    ...(onSpawn ? { onSpawn } : {}),
  });
  expect(leaks(run, e.token)).toEqual([]);
  expectOnlyOurCommands(run);
  return run;
}

/** No line of the step's output is a workflow command the action did not mean to issue. */
function expectOnlyOurCommands(run: ActionRun): void {
  const commands = [...workflowCommands(run.stdout), ...workflowCommands(run.stderr)];
  expect(commands.filter((line) => line.includes('##['))).toEqual([]);
  expect(
    [...commandNames(run.stdout), ...commandNames(run.stderr)].filter(
      (name) => !OUR_COMMANDS.has(name),
    ),
  ).toEqual([]);
  expect(
    commands.filter(
      (line) => /^::add-mask::/.test(line) && line !== `::add-mask::${emu?.token ?? ''}`,
    ),
  ).toEqual([]);
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
    const run = await deploy(e);
    expect(run.code).toBe(1);
    // The text is all there, on one line, defused.
    expect(run.stdout).toMatch(
      /^::error title=Not found::.*HTTP 404: not found ::add-mask::x {3}::warning::forged ::stop-commands::y #\u200B#\[set-output/m,
    );
  });

  it('deployment fields from the API cannot issue workflow commands', async () => {
    const e = await start({ deployments: [{ name: '::warning::forged name' }] });
    const run = await deploy(e, {}, (_child, output) => {
      void when(output, /Update accepted/).then(() => {
        const body = {
          data: {
            ...toApi(e.deployment(), Date.now()),
            status: `##[set-output name=status;]running${FORGED}`,
          },
        };
        e.faults.push({ method: 'GET', kind: 'status', status: 200, body });
      });
    });
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
    const run = await runAction({
      inputs: {
        ...emulatorInputs(e),
        wait: 'false',
      },
      env: { GITHUB_OUTPUT: '' },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^::set-output name=outcome::not-waited$/m);
    expect(run.stdout).toMatch(
      /^::set-output name=deployment::.*x #\u200B#\[set-output name=status;\]hacked/m,
    );
    expectOnlyOurCommands({ ...run, stdout: run.stdout.replace(/^::set-output .*$/gm, '') });
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
    const run = await deploy(e, {}, (child, output) => {
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
    });
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
