/**
 * Issue 25, black-box: the bundled action (dist/index.js on Node 24) against the emulator in the
 * world where every update rolls out (`metadataRollouts`), for what a user met: a description-only
 * update whose rollout crashes, and a cancel during it; and one run in the other world, where no
 * rollout follows. The rest runs in-process on a fake clock in both-worlds.scenario.test.ts.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  startEmulator,
  type Emulator,
  type EmulatorOptions,
  emulatorInputs,
} from '../emulator/server.js';
import { leaks, runAction, type ActionRun } from './helpers/action.js';

const FAST_PLAN = { pendingMs: 200, provisioningMs: 300, startingMs: 300 };
const DESCRIPTION = 'Deployed from abc123';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start(options: EmulatorOptions): Promise<Emulator> {
  emulator = await startEmulator({ plan: FAST_PLAN, ...options });
  return emulator;
}

async function deploy(
  e: Emulator,
  inputs: Record<string, string> = {},
  onSpawn?: Parameters<typeof runAction>[0]['onSpawn'],
): Promise<ActionRun> {
  const run = await runAction({
    inputs: {
      ...emulatorInputs(e),
      description: DESCRIPTION,
      'poll-interval': '200ms',
      timeout: '30s',
      'rollout-start-grace': '1s',
      ...inputs,
    },
    ...(onSpawn ? { onSpawn } : {}),
  });
  expect(leaks(run, e.token)).toEqual([]);
  // No notice calls the step's own rollout someone else's.
  expect(run.stdout).not.toMatch(/someone else updated/);
  return run;
}

describe('a Northflank that rolls out on every update (--metadata-rollouts)', () => {
  it('a description-only update whose rollout crashes: exit 1, outcome and status crashed', async () => {
    const e = await start({ metadataRollouts: true, plan: { ...FAST_PLAN, ending: 'crashed' } });
    const run = await deploy(e);
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({
      outcome: 'crashed',
      status: 'crashed',
      'deployment-configuration-id': 'cfg-0002',
    });
    expect(run.stdout).toMatch(
      /^::error title=Rollout crashed::The rollout that followed this update \(description\) crashed/m,
    );
    expect(run.summary).toContain('The rollout crashed');
  });

  it('SIGTERM during a description-only update’s rollout: exit 1, cancelled, the status seen', async () => {
    const e = await start({
      metadataRollouts: true,
      plan: { ...FAST_PLAN, provisioningMs: 60_000 },
    });
    const run = await deploy(e, {}, (child, output) => {
      const timer = setInterval(() => {
        if (/Status: provisioning/.test(output())) {
          clearInterval(timer);
          child.kill('SIGTERM');
        }
      }, 10);
      child.on('exit', () => {
        clearInterval(timer);
      });
    });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ outcome: 'cancelled', status: 'provisioning' });
    expect(run.stdout).toMatch(
      /^::error title=Cancelled::Cancelled by SIGTERM.*goes on rolling out in Northflank/m,
    );
  });
});

describe('a Northflank that does not roll out on a metadata update', () => {
  it('a description-only update: exit 0, updated, once no rollout followed within rollout-start-grace', async () => {
    const e = await start({ metadataRollouts: false });
    const run = await deploy(e);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({
      outcome: 'updated',
      status: 'running',
      'deployment-configuration-id': 'cfg-0001',
    });
    expect(run.stdout).toMatch(/no new configuration showed in the 1s the action watched/);
  });
});
