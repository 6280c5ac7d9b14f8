import { describe, expect, it } from '@jest/globals';
import { RequestBudget } from '../../src/http/budget.js';
import { DEFAULT_POLL_POLICY } from '../../src/rollout/poll-policy.js';
import { RolloutTracker } from '../../src/rollout/tracker.js';
import { waitForRollout } from '../../src/rollout/wait-loop.js';
import type { Deployment } from '../../src/northflank/schema.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { recordingLogger } from '../helpers/recording-logger.js';

/** The largest number of `times` in any window of `windowMs`. */
function busiest(times: number[], windowMs: number): number {
  return Math.max(0, ...times.map((t) => times.filter((u) => u >= t && u < t + windowMs).length));
}

describe('RequestBudget', () => {
  it('lets requests through while there is room', () => {
    const budget = new RequestBudget();
    for (let i = 0; i < 10; i++) {
      expect(budget.delayMs(i * 100)).toBe(0);
      budget.record(i * 100);
    }
  });

  it('never lets more than 20 through in any minute or 100 in any 30 minutes, however hard it is asked', () => {
    const budget = new RequestBudget();
    const sent: number[] = [];
    let now = 0;
    // A caller that would poll every 100 ms for an hour.
    while (now < 3_600_000) {
      now += budget.delayMs(now);
      budget.record(now);
      sent.push(now);
      now += 100;
    }
    expect(busiest(sent, 60_000)).toBeLessThanOrEqual(20);
    expect(busiest(sent, 30 * 60_000)).toBeLessThanOrEqual(100);
    // Spread out rather than stopped dead: no pause longer than a few minutes.
    const gaps = sent.slice(1).map((t, i) => t - sent[i]!);
    expect(Math.max(...gaps)).toBeLessThan(5 * 60_000);
  });
});

describe('the wait under a flapping status, with the budget', () => {
  it('starting <-> provisioning every 2 s for 2 minutes stays within budget, and running is still seen', async () => {
    const clock = new FakeClock(0);
    const budget = new RequestBudget();
    const sent: number[] = [];
    const read = async (): Promise<Deployment> => {
      // What the client does before each request.
      await clock.sleep(budget.delayMs(clock.now()));
      budget.record(clock.now());
      sent.push(clock.now());
      const t = clock.now();
      const status =
        t >= 121_000 ? 'running' : Math.floor(t / 2000) % 2 ? 'starting' : 'provisioning';
      return { id: 'd', name: 'm', status, deploymentConfiguration: { id: 'cfg-2' } };
    };
    const result = await waitForRollout({
      before: { id: 'd', name: 'm', status: 'running', deploymentConfiguration: { id: 'cfg-1' } },
      updateSentMs: 0,
      getDeployment: read,
      tracker: new RolloutTracker(),
      clock,
      signal: new AbortController().signal,
      deadlineMs: 30 * 60_000,
      poll: { ...DEFAULT_POLL_POLICY, maxMs: 30_000 },
      rolloutStartGraceMs: 60_000,
      log: recordingLogger().log,
    });
    expect(result.outcome).toBe('running');
    expect(busiest(sent, 60_000)).toBeLessThanOrEqual(20);
    expect(sent.length).toBeLessThanOrEqual(100);
    // Within one poll-interval (30 s) of `running`, plus one budget step.
    expect(clock.now() - 121_000).toBeLessThan(40_000);
  });
});
