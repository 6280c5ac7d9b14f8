/**
 * Issue 25, black-box: the bundled action (dist/index.js on Node 24) against the emulator in the
 * world where every update rolls out (`metadataRollouts`), for what a user met: a description-only
 * update whose rollout crashes, and a cancel during it; and one run in the other world, where no
 * rollout follows. The rest runs in-process on a fake clock in both-worlds.scenario.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import type { Emulator, EmulatorOptions } from '../../emulator/server.js';
import { startWorld, type World } from '../helpers/harness.js';
import { FAST_PLAN, noLeaks } from '../helpers/twins.js';

const DESCRIPTION = 'Deployed from abc123';

let world: World<'bundle'>;
async function start(options: EmulatorOptions): Promise<Emulator> {
  world = await startWorld({
    runner: 'bundle',
    emulator: { plan: FAST_PLAN, ...options },
    inputs: {
      description: DESCRIPTION,
      'poll-interval': '200ms',
      timeout: '30s',
      'rollout-start-grace': '1s',
    },
    check: (run, token) => {
      noLeaks(run, token);
      // No notice calls the step's own rollout someone else's.
      expect(run.stdout).not.toMatch(/someone else updated/);
    },
  });
  return world.emu;
}

describe('a Northflank that rolls out on every update (--metadata-rollouts)', () => {
  it('a description-only update whose rollout crashes: exit 1, outcome and status crashed', async () => {
    await start({ metadataRollouts: true, plan: { ...FAST_PLAN, ending: 'crashed' } });
    const run = await world.run();
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
    await start({
      metadataRollouts: true,
      plan: { ...FAST_PLAN, provisioningMs: 60_000 },
    });
    const run = await world.run(
      {},
      {
        onSpawn: (child, output) => {
          const timer = setInterval(() => {
            if (/Status: provisioning/.test(output())) {
              clearInterval(timer);
              child.kill('SIGTERM');
            }
          }, 10);
          child.on('exit', () => {
            clearInterval(timer);
          });
        },
      },
    );
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ outcome: 'cancelled', status: 'provisioning' });
    expect(run.stdout).toMatch(
      /^::error title=Cancelled::Cancelled by SIGTERM.*goes on rolling out in Northflank/m,
    );
  });
});

describe('a Northflank that does not roll out on a metadata update', () => {
  it('a description-only update: exit 0, updated, once no rollout followed within rollout-start-grace', async () => {
    await start({ metadataRollouts: false });
    const run = await world.run();
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({
      outcome: 'updated',
      status: 'running',
      'deployment-configuration-id': 'cfg-0001',
    });
    expect(run.stdout).toMatch(/no new configuration showed in the 1s the action watched/);
  });
});
