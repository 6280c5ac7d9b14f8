/**
 * Issue 9, black-box: the bundled action against the emulator, for what needs real time on real
 * sockets: an update the server applies only after the client gave up on it. The rest of issue
 * 9's scenarios (stale reads, someone else's update, outages, a flapping status) run on a fake
 * clock in ours.scenario.test.ts.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  startEmulator,
  type Emulator,
  type EmulatorOptions,
  emulatorInputs,
} from '../emulator/server.js';
import { leaks, runAction, type ActionRun } from './helpers/action.js';

const FAST_PLAN = { pendingMs: 200, provisioningMs: 400, startingMs: 400 };
const SPEC = '{"configuration": {"revision": "v2"}}';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  const e = await startEmulator({ plan: FAST_PLAN, ...options });
  cleanups.push(() => e.close());
  return e;
}

async function deploy(e: Emulator, inputs: Record<string, string> = {}): Promise<ActionRun> {
  const run = await runAction({
    inputs: {
      ...emulatorInputs(e),
      'poll-interval': '1s',
      timeout: '30s',
      'rollout-start-grace': '4s',
      spec: SPEC,
      ...inputs,
    },
    env: { ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' },
  });
  expect(leaks(run, e.token)).toEqual([]);
  return run;
}

const posts = (e: Emulator): number => e.requests.filter((r) => r.method === 'POST').length;

describe('an update whose answer is lost (defect 4)', () => {
  it('a POST the server applies after 3 s, with request-timeout 1s: sent once, then success', async () => {
    const e = await start();
    e.faults.push({ method: 'POST', kind: 'slow', ms: 3000 });
    const run = await deploy(e, { 'request-timeout': '1s' });
    expect(posts(e)).toBe(1);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({
      outcome: 'running',
      'deployment-configuration-id': 'cfg-0002',
    });
    expect(run.stdout).toMatch(/not sending it again/);
  });
});
