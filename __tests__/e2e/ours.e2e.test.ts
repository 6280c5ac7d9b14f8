/**
 * Issue 9, black-box: the bundled action against the emulator, for what needs real time on real
 * sockets: an update the server applies only after the client gave up on it. The rest of issue
 * 9's scenarios (stale reads, someone else's update, outages, a flapping status) run on a fake
 * clock in ours.scenario.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import type { Emulator } from '../../emulator/server.js';
import { OURS, startTwin } from '../helpers/twins.js';

const posts = (e: Emulator): number => e.requests.filter((r) => r.method === 'POST').length;

describe('an update whose answer is lost (defect 4)', () => {
  it('a POST the server applies after 3 s, with request-timeout 1s: sent once, then success', async () => {
    const world = await startTwin(OURS, 'bundle');
    const e = world.emu;
    e.faults.push({ method: 'POST', kind: 'slow', ms: 3000 });
    const run = await world.run({ 'request-timeout': '1s' });
    expect(posts(e)).toBe(1);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({
      outcome: 'running',
      'deployment-configuration-id': 'cfg-0002',
    });
    expect(run.stdout).toMatch(/not sending it again/);
  });
});
