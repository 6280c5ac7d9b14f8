import { describe, expect, it } from '@jest/globals';
import { NorthflankApiError } from '../../src/errors.js';
import type { Deployment } from '../../src/northflank/schema.js';
import { NetworkError } from '../../src/errors.js';
import {
  DEFAULT_POLL_POLICY,
  outageDelayMs,
  transientFailure,
  nextPollDelayMs,
} from '../../src/rollout/poll-policy.js';
import { judgeReading, NO_ROLLOUT_CONFIRM_MS, predatesUpdate } from '../../src/rollout/judge.js';
import { RolloutTracker } from '../../src/rollout/tracker.js';
import { waitForRollout, type WaitOptions } from '../../src/rollout/wait-loop.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { recordingLogger } from '../helpers/recording-logger.js';

function deployment(
  status: string,
  configurationId = 'cfg-1',
  updatedAt = '2026-01-01T00:00:00Z',
): Deployment {
  return {
    id: 'd',
    name: 'model',
    status,
    deploymentConfiguration: { id: configurationId },
    updatedAt,
  };
}

const OLD = deployment('running', 'cfg-1');

describe('judge', () => {
  const base = {
    before: OLD,
    newRolloutSeen: false,
    sinceUpdateMs: 1000,
    rolloutStartGraceMs: 60_000,
  };

  it('takes `running` of the previous configuration for the old rollout, not success', () => {
    expect(judgeReading({ ...base, current: deployment('running', 'cfg-1') })).toMatchObject({
      done: false,
      newRollout: false,
    });
  });

  it('succeeds on `running` of a new configuration', () => {
    expect(judgeReading({ ...base, current: deployment('running', 'cfg-2') })).toMatchObject({
      done: true,
      outcome: 'running',
    });
  });

  it('fails on crashed or paused of the new rollout', () => {
    expect(judgeReading({ ...base, current: deployment('crashed', 'cfg-2') })).toMatchObject({
      done: true,
      outcome: 'crashed',
    });
    expect(judgeReading({ ...base, current: deployment('paused', 'cfg-2') })).toMatchObject({
      done: true,
      outcome: 'paused',
    });
  });

  it('does not fail on a crash that belongs to the previous rollout, until the grace period ends', () => {
    const before = deployment('crashed', 'cfg-1');
    expect(
      judgeReading({ ...base, before, current: deployment('crashed', 'cfg-1') }),
    ).toMatchObject({
      done: false,
      newRollout: false,
    });
    expect(
      judgeReading({
        ...base,
        before,
        current: deployment('crashed', 'cfg-1'),
        sinceUpdateMs: 60_000,
      }),
    ).toMatchObject({
      done: true,
      outcome: 'crashed',
      message: expect.stringContaining('No new rollout was observed') as unknown,
    });
  });

  it('fails on deleting whichever rollout it is', () => {
    expect(judgeReading({ ...base, current: deployment('deleting', 'cfg-1') })).toMatchObject({
      done: true,
      outcome: 'deleting',
    });
  });

  it('keeps waiting on an unknown status, even of the new rollout', () => {
    expect(judgeReading({ ...base, current: deployment('warming-up', 'cfg-2') })).toMatchObject({
      done: false,
      newRollout: true,
    });
  });

  it('takes a rollout under way after a settled deployment for the new one, even before its id changes', () => {
    expect(judgeReading({ ...base, current: deployment('starting', 'cfg-1') })).toMatchObject({
      done: false,
      newRollout: true,
    });
    expect(
      judgeReading({ ...base, newRolloutSeen: true, current: deployment('running', 'cfg-1') }),
    ).toMatchObject({
      done: true,
      outcome: 'running',
    });
  });

  it('falls back to updatedAt when there is no configuration id', () => {
    const before: Deployment = { id: 'd', name: 'm', status: 'running', updatedAt: 'a' };
    expect(judgeReading({ ...base, before, current: { ...before, updatedAt: 'b' } })).toMatchObject(
      {
        done: true,
        outcome: 'running',
      },
    );
    expect(judgeReading({ ...base, before, current: { ...before } })).toMatchObject({
      done: false,
      newRollout: false,
    });
  });

  it('ends with no-rollout when the previous configuration is still running after the grace period', () => {
    expect(
      judgeReading({ ...base, current: deployment('running', 'cfg-1'), sinceUpdateMs: 60_000 }),
    ).toMatchObject({
      done: true,
      outcome: 'no-rollout',
    });
  });

  it('without an update, waits for whatever rollout is current', () => {
    expect(
      judgeReading({ ...base, before: undefined, current: deployment('running', 'cfg-1') }),
    ).toMatchObject({ outcome: 'running' });
  });
});

describe('nextPollDelayMs', () => {
  const policy = { ...DEFAULT_POLL_POLICY, maxMs: 30_000 };
  const state = { sinceUpdateMs: 0, sinceChangeMs: 0, status: 'starting', newRollout: true };

  it('checks quickly right after a change, then backs off as the status holds, up to poll-interval', () => {
    const pauses = [0, 900, 2700, 8100, 24_300].map((sinceChangeMs) =>
      nextPollDelayMs(policy, {
        ...state,
        status: 'provisioning',
        sinceUpdateMs: 600_000,
        sinceChangeMs,
      }),
    );
    expect(pauses).toEqual([900, 1800, 5400, 16_200, 30_000]);
  });

  it('keeps the pause under 4.5% of the rollout so far while `running` may come next', () => {
    expect(
      nextPollDelayMs(policy, { ...state, sinceUpdateMs: 100_000, sinceChangeMs: 60_000 }),
    ).toBe(4500);
    expect(
      nextPollDelayMs(policy, { ...state, sinceUpdateMs: 10_000, sinceChangeMs: 60_000 }),
    ).toBe(900);
    // A stale read of the previous rollout: the new one may be running at the next check.
    expect(
      nextPollDelayMs(policy, {
        ...state,
        status: 'running',
        newRollout: false,
        sinceUpdateMs: 20_000,
        sinceChangeMs: 20_000,
      }),
    ).toBe(900);
  });

  it('lets the pause grow in pending and provisioning, which `running` never follows', () => {
    expect(
      nextPollDelayMs(policy, {
        ...state,
        status: 'provisioning',
        sinceUpdateMs: 100_000,
        sinceChangeMs: 60_000,
      }),
    ).toBe(30_000);
    expect(
      nextPollDelayMs(policy, {
        ...state,
        status: 'pending',
        sinceUpdateMs: 10_000,
        sinceChangeMs: 5000,
      }),
    ).toBe(10_000);
  });

  it('never goes past poll-interval, even below the minimum', () => {
    expect(nextPollDelayMs({ ...policy, maxMs: 200 }, state)).toBe(200);
  });
});

/** A deployment whose readings follow a script of (time since start, reading) steps. */
function scripted(
  clock: FakeClock,
  steps: [number, Deployment | Error][],
): () => Promise<Deployment> {
  const start = clock.now();
  return () => {
    const t = clock.now() - start;
    const step = [...steps].reverse().find(([at]) => at <= t);
    if (!step) throw new Error('no reading scripted');
    const [, reading] = step;
    return reading instanceof Error ? Promise.reject(reading) : Promise.resolve(reading);
  };
}

function options(
  clock: FakeClock,
  getDeployment: () => Promise<Deployment>,
  overrides: Partial<WaitOptions> = {},
): WaitOptions {
  return {
    before: OLD,
    updateSentMs: clock.now(),
    getDeployment,
    tracker: new RolloutTracker(),
    clock,
    signal: new AbortController().signal,
    deadlineMs: clock.now() + 30 * 60_000,
    poll: { ...DEFAULT_POLL_POLICY, maxMs: 30_000 },
    rolloutStartGraceMs: 60_000,
    log: recordingLogger().log,
    ...overrides,
  };
}

describe('waitForRollout', () => {
  it('waits through stale reads and the rollout, and logs each status once with the time in the one before', async () => {
    const clock = new FakeClock();
    const { log, lines } = recordingLogger();
    const read = scripted(clock, [
      [0, deployment('running', 'cfg-1')],
      [5_000, deployment('pending', 'cfg-2')],
      [20_000, deployment('provisioning', 'cfg-2')],
      [200_000, deployment('starting', 'cfg-2')],
      [400_000, deployment('running', 'cfg-2')],
    ]);
    const tracker = new RolloutTracker();
    const result = await waitForRollout(options(clock, read, { log, tracker }));

    expect(result.outcome).toBe('running');
    expect(result.deployment?.deploymentConfiguration?.id).toBe('cfg-2');
    const statusLines = lines.filter((l) => l.startsWith('Status:'));
    expect(statusLines).toEqual([
      'Status: running (previous rollout)',
      expect.stringMatching(
        /^Status: pending after 5s running \(previous rollout\), 5s since the update$/,
      ) as unknown,
      expect.stringMatching(
        /^Status: provisioning after \d+s pending, \d+s since the update$/,
      ) as unknown,
      expect.stringMatching(
        /^Status: starting after \dm \d+s provisioning, 3m \d+s since the update$/,
      ) as unknown,
      expect.stringMatching(
        /^Status: running after 3m \d+s starting, 6m \d+s since the update$/,
      ) as unknown,
    ]);
    expect(tracker.timeline.map((e) => e.status)).toEqual([
      'running',
      'pending',
      'provisioning',
      'starting',
      'running',
    ]);
    // `running` seen within 5% of the rollout's 400 s; the early statuses cost few reads.
    expect(clock.now() - 1_000_000 - 400_000).toBeLessThanOrEqual(20_000);
    expect(clock.sleeps.length).toBeLessThan(45);
  });

  it('logs a heartbeat at most once a minute while nothing changes', async () => {
    const clock = new FakeClock();
    const { log, lines } = recordingLogger();
    const read = scripted(clock, [
      [0, deployment('provisioning', 'cfg-2')],
      [600_000, deployment('running', 'cfg-2')],
    ]);
    await waitForRollout(options(clock, read, { log }));
    const heartbeats = lines.filter((l) => l.startsWith('Still provisioning'));
    expect(heartbeats.length).toBeGreaterThanOrEqual(8);
    expect(heartbeats.length).toBeLessThanOrEqual(10);
  });

  it('times out at the deadline with the last status, having looked once more just before it', async () => {
    const clock = new FakeClock();
    const read = scripted(clock, [[0, deployment('provisioning', 'cfg-2')]]);
    const start = clock.now();
    const result = await waitForRollout(options(clock, read, { deadlineMs: start + 120_000 }));
    expect(result.outcome).toBe('timeout');
    expect(result.message).toMatch(
      /^Timed out after 2m waiting for the new rollout; the last status was "provisioning"/,
    );
    expect(clock.now() - start).toBeGreaterThan(119_000);
    expect(clock.now() - start).toBeLessThanOrEqual(120_000);
  });

  it('ends with `deleted` when the deployment answers 404', async () => {
    const clock = new FakeClock();
    const gone = new NorthflankApiError({ method: 'GET', path: '/v1/x', status: 404 });
    const read = scripted(clock, [
      [0, deployment('pending', 'cfg-2')],
      [10_000, gone],
    ]);
    const result = await waitForRollout(options(clock, read));
    expect(result).toMatchObject({ outcome: 'deleted', deployment: { status: 'pending' } });
  });

  it('passes other API errors on to the caller', async () => {
    const clock = new FakeClock();
    const bad = new NorthflankApiError({ method: 'GET', path: '/v1/x', status: 400 });
    await expect(waitForRollout(options(clock, scripted(clock, [[0, bad]])))).rejects.toBe(bad);
  });

  it.each([401, 403])(
    'ends on %d, saying the update was already accepted and what to fix',
    async (status) => {
      const clock = new FakeClock();
      const refused = new NorthflankApiError({
        method: 'GET',
        path: '/v1/x',
        status,
        hint: 'The token lacks the permission',
      });
      const read = scripted(clock, [
        [0, deployment('pending', 'cfg-2')],
        [5000, refused],
      ]);
      const error = await waitForRollout(options(clock, read)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NorthflankApiError);
      expect((error as NorthflankApiError).status).toBe(status);
      expect((error as Error).message).toMatch(
        /The token lacks the permission\. The update was already accepted and is rolling out in Northflank; only following it failed\. Fix the token/,
      );
    },
  );

  it('stops as soon as the signal aborts', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    let reads = 0;
    const read = (): Promise<Deployment> => {
      if (++reads === 3) controller.abort(new Error('cancelled'));
      return Promise.resolve(deployment('provisioning', 'cfg-2'));
    };
    await expect(
      waitForRollout(options(clock, read, { signal: controller.signal })),
    ).rejects.toThrow('cancelled');
    expect(reads).toBe(3);
  });
});

describe('judge: which rollout is ours (issue 9)', () => {
  const base = {
    before: OLD,
    newRolloutSeen: false,
    sinceUpdateMs: 1000,
    rolloutStartGraceMs: 60_000,
  };

  it('takes the first configuration id that differs from the one before as ours', () => {
    expect(judgeReading({ ...base, current: deployment('pending', 'cfg-2') })).toMatchObject({
      done: false,
      of: 'ours',
      ours: 'cfg-2',
    });
  });

  it('never takes the pre-update configuration after ours for success: keeps polling', () => {
    const verdict = judgeReading({
      ...base,
      ours: 'cfg-2',
      newRolloutSeen: true,
      current: deployment('running', 'cfg-1'),
      backOnPreviousMs: 59_999,
    });
    expect(verdict).toMatchObject({ done: false, of: 'previous', newRollout: false });
  });

  it('ends with rolled-back when the pre-update configuration holds past the grace period, naming both ids', () => {
    for (const status of ['running', 'crashed', 'starting']) {
      const verdict = judgeReading({
        ...base,
        ours: 'cfg-2',
        newRolloutSeen: true,
        current: deployment(status, 'cfg-1'),
        backOnPreviousMs: 60_000,
      });
      expect(verdict).toMatchObject({ done: true, outcome: 'rolled-back' });
      expect(verdict.done && verdict.message).toMatch(/previous configuration cfg-1.*cfg-2/);
    }
  });

  it('ends with superseded on a third configuration, naming ours and theirs and the fix', () => {
    const verdict = judgeReading({
      ...base,
      ours: 'cfg-2',
      newRolloutSeen: true,
      current: deployment('pending', 'cfg-3'),
    });
    expect(verdict).toMatchObject({ done: true, outcome: 'superseded', of: 'foreign' });
    const message = verdict.done ? verdict.message : '';
    expect(message).toContain('cfg-2');
    expect(message).toContain('cfg-3');
    expect(message).toMatch(/`concurrency:` group per deployment/);
  });

  it('takes our own configuration running for success after a stale reading', () => {
    expect(
      judgeReading({
        ...base,
        ours: 'cfg-2',
        newRolloutSeen: true,
        current: deployment('running', 'cfg-2'),
      }),
    ).toMatchObject({ done: true, outcome: 'running', ours: 'cfg-2' });
  });

  it('without configuration ids, keeps the updatedAt fallback and knows no id', () => {
    const before: Deployment = { id: 'd', name: 'm', status: 'running', updatedAt: 'a' };
    expect(
      judgeReading({ ...base, before, current: { ...before, status: 'pending', updatedAt: 'b' } }),
    ).toMatchObject({ done: false, of: 'ours', ours: undefined });
  });
});

describe('outages', () => {
  it('knows transient failures: network errors, 408, 429 (with its reset), 5xx', () => {
    expect(transientFailure(new NetworkError('x', 'ECONNRESET: socket hang up'))).toEqual({
      reason: 'ECONNRESET: socket hang up',
    });
    for (const status of [408, 500, 502, 503, 504, 520]) {
      expect(
        transientFailure(new NorthflankApiError({ method: 'GET', path: '/', status })),
      ).toEqual({
        reason: `HTTP ${status}`,
      });
    }
    expect(
      transientFailure(
        new NorthflankApiError({ method: 'GET', path: '/', status: 429, retryAfterMs: 7000 }),
      ),
    ).toEqual({ reason: 'HTTP 429', retryAfterMs: 7000, rateLimited: true });
    for (const status of [400, 401, 403, 404, 409]) {
      expect(
        transientFailure(new NorthflankApiError({ method: 'GET', path: '/', status })),
      ).toBeUndefined();
    }
    expect(transientFailure(new Error('x'))).toBeUndefined();
  });

  it('backs off with full jitter under a doubling ceiling capped at poll-interval, or as a 429 asks', () => {
    const top = (): number => 0.999_999;
    expect([1, 2, 3, 4, 5, 6, 10].map((n) => outageDelayMs(n, 10_000, top))).toEqual([
      999, 1999, 3999, 7999, 9999, 9999, 9999,
    ]);
    expect(outageDelayMs(3, 10_000, () => 0)).toBe(0);
    expect(outageDelayMs(1, 10_000, top, 42_000)).toBe(42_000);
  });

  it('outlasts 25 s of failures mid-wait: warns once, logs how long it lasted, shows it in the timeline', async () => {
    const clock = new FakeClock();
    const { log, lines } = recordingLogger();
    const down = new NorthflankApiError({ method: 'GET', path: '/v1/x', status: 503 });
    const read = scripted(clock, [
      [0, deployment('pending', 'cfg-2')],
      [10_000, down],
      [35_000, deployment('provisioning', 'cfg-2')],
      [60_000, deployment('running', 'cfg-2')],
    ]);
    const tracker = new RolloutTracker();
    const result = await waitForRollout(
      options(clock, read, {
        log,
        tracker,
        random: () => 0.5,
        poll: { ...DEFAULT_POLL_POLICY, maxMs: 10_000 },
      }),
    );
    expect(result.outcome).toBe('running');
    expect(lines.filter((l) => l.startsWith('warning:'))).toEqual([
      expect.stringMatching(
        /^warning: Reading the deployment failed \(HTTP 503\): the Northflank API is not answering\. The update was already accepted/,
      ) as unknown,
    ]);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^The Northflank API answered again after an outage of \d+s \(\d+ failed read\(s\), last: HTTP 503\)\.$/,
      ),
    );
    const outage = tracker.timeline.find((e) => e.outage);
    expect(outage).toMatchObject({ status: 'no answer from the API' });
    // It ran from the first failed read to the first answer, after the API came back at 35 s.
    expect(outage!.startMs - 1_000_000).toBeGreaterThanOrEqual(10_000);
    expect(outage!.endMs! - 1_000_000).toBeGreaterThanOrEqual(35_000);
    // The pauses stayed under poll-interval.
    expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(10_000);
  });

  it('without an update, does not claim one was accepted when the API goes quiet', async () => {
    const clock = new FakeClock();
    const { log, lines } = recordingLogger();
    const down = new NetworkError('x', 'ECONNREFUSED: connect');
    const read = scripted(clock, [
      [0, down],
      [5000, deployment('running', 'cfg-1')],
    ]);
    const result = await waitForRollout(options(clock, read, { before: undefined, log }));
    expect(result.outcome).toBe('running');
    const warnings = lines.filter((l) => l.startsWith('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).not.toMatch(/already accepted/);
  });

  it('honours a 429 reset during the wait', async () => {
    const clock = new FakeClock();
    const limited = new NorthflankApiError({
      method: 'GET',
      path: '/v1/x',
      status: 429,
      retryAfterMs: 20_000,
    });
    let reads = 0;
    const read = (): Promise<Deployment> =>
      ++reads === 2
        ? Promise.reject(limited)
        : Promise.resolve(deployment(reads > 2 ? 'running' : 'pending', 'cfg-2'));
    const result = await waitForRollout(options(clock, read));
    expect(result.outcome).toBe('running');
    expect(clock.sleeps).toContain(20_000);
  });

  it('an outage that lasts until the deadline ends as timeout, saying how long the API was silent', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const reset = new NetworkError('Could not reach', 'ECONNRESET: socket hang up');
    const read = scripted(clock, [
      [0, deployment('pending', 'cfg-2')],
      [5000, reset],
    ]);
    const result = await waitForRollout(options(clock, read, { deadlineMs: start + 120_000 }));
    expect(result.outcome).toBe('timeout');
    expect(result.message).toMatch(
      /the last status was "pending", read before the API stopped answering 1m 5\ds ago \(the status output is that reading; it may have moved since\)\. The API had not answered for the last 1m 5\ds \(ECONNRESET/,
    );
    expect(clock.now() - start).toBeLessThanOrEqual(120_000);
  });
});

describe('waitForRollout: ours, stale and foreign readings', () => {
  it('a stale pre-update reading after ours does not end the wait; ours running does', async () => {
    const clock = new FakeClock();
    const tracker = new RolloutTracker();
    let reads = 0;
    const script = [
      deployment('pending', 'cfg-2'),
      deployment('running', 'cfg-1'),
      deployment('starting', 'cfg-2'),
      deployment('running', 'cfg-1'),
      deployment('running', 'cfg-2'),
    ];
    const read = (): Promise<Deployment> =>
      Promise.resolve(script[Math.min(reads++, script.length - 1)]!);
    const result = await waitForRollout(options(clock, read, { tracker }));
    expect(result).toMatchObject({ outcome: 'running', ours: 'cfg-2' });
    expect(result.deployment?.deploymentConfiguration?.id).toBe('cfg-2');
    expect(reads).toBe(5);
    expect(tracker.ours).toBe('cfg-2');
  });

  it('the previous configuration back for the grace period: rolled-back', async () => {
    const clock = new FakeClock();
    const read = scripted(clock, [
      [0, deployment('pending', 'cfg-2')],
      [5000, deployment('running', 'cfg-1')],
    ]);
    const start = clock.now();
    const result = await waitForRollout(options(clock, read, { rolloutStartGraceMs: 30_000 }));
    expect(result.outcome).toBe('rolled-back');
    expect(result.deployment?.deploymentConfiguration?.id).toBe('cfg-1');
    // Measured from the first reading of the previous configuration, not from the update.
    expect(clock.now() - start).toBeGreaterThanOrEqual(35_000);
  });

  it('a third configuration: superseded, with the latest reading', async () => {
    const clock = new FakeClock();
    const { log, lines } = recordingLogger();
    const tracker = new RolloutTracker();
    const read = scripted(clock, [
      [0, deployment('pending', 'cfg-2')],
      [5000, deployment('pending', 'cfg-3')],
    ]);
    const result = await waitForRollout(options(clock, read, { log, tracker }));
    expect(result).toMatchObject({ outcome: 'superseded', ours: 'cfg-2' });
    expect(result.deployment?.deploymentConfiguration?.id).toBe('cfg-3');
    expect(lines).toContainEqual(
      expect.stringMatching(/^Status: pending \(another update\) after/),
    );
  });
});
describe('judgeReading, after an update whose rollout Northflank does not document (expectation either)', () => {
  const sent = { description: 'new' };
  const base = {
    before: { ...OLD, description: 'old' },
    newRolloutSeen: false,
    sinceUpdateMs: 1000,
    rolloutStartGraceMs: 60_000,
    expectation: 'either' as const,
    sent,
  };
  const reading = (status: string, description: string, id = 'cfg-1'): Deployment => ({
    ...deployment(status, id),
    description,
  });
  const confirmedSince = (key: string, sinceUpdateMs: number) => ({
    confirming: { key, sinceUpdateMs },
  });

  it('does not end on the first reading that shows the values: it confirms them for a few seconds first', () => {
    expect(judgeReading({ ...base, current: reading('running', 'new') })).toMatchObject({
      done: false,
      of: 'previous',
      confirming: 'cfg-1',
    });
    expect(NO_ROLLOUT_CONFIRM_MS).toBe(5000);
    expect(
      judgeReading({
        ...base,
        ...confirmedSince('cfg-1', 1000),
        sinceUpdateMs: 1000 + NO_ROLLOUT_CONFIRM_MS - 1,
        current: reading('running', 'new'),
      }),
    ).toMatchObject({ done: false, confirming: 'cfg-1' });
    expect(
      judgeReading({
        ...base,
        ...confirmedSince('cfg-1', 1000),
        sinceUpdateMs: 1000 + NO_ROLLOUT_CONFIRM_MS,
        current: reading('running', 'new'),
      }),
    ).toMatchObject({
      done: true,
      outcome: 'updated',
      message: expect.stringMatching(
        /configuration cfg-1 shows the values sent and still runs.*5s/,
      ) as unknown,
    });
  });

  it('confirms for no longer than rollout-start-grace, and only on the configuration it began with', () => {
    expect(
      judgeReading({
        ...base,
        rolloutStartGraceMs: 2000,
        ...confirmedSince('cfg-1', 1000),
        sinceUpdateMs: 3000,
        current: reading('running', 'new'),
      }),
    ).toMatchObject({ done: true, outcome: 'updated' });
    expect(
      judgeReading({
        ...base,
        ...confirmedSince('cfg-0', 0),
        sinceUpdateMs: 60_000,
        current: reading('running', 'new'),
      }),
    ).toMatchObject({ done: false, confirming: 'cfg-1' });
  });

  it('keeps reading while a replica still shows the old values, then gives up after the grace period, naming what differs', () => {
    expect(judgeReading({ ...base, current: reading('running', 'old') })).toMatchObject({
      done: false,
      newRollout: false,
    });
    const verdict = judgeReading({
      ...base,
      current: reading('running', 'old'),
      sinceUpdateMs: 60_000,
    });
    expect(verdict).toMatchObject({
      done: true,
      outcome: 'error',
      message: expect.stringContaining(
        'still shows the previous values (description: sent "new", shows "old")',
      ) as unknown,
    });
  });

  it('after a reading showed the values, one that does not is a replica behind, unless that holds for the grace period', () => {
    const stale = { ...base, current: reading('running', 'old'), sinceUpdateMs: 120_000 };
    expect(judgeReading({ ...stale, valuesGoneMs: 0 })).toMatchObject({
      done: false,
      showsSent: false,
    });
    expect(judgeReading({ ...stale, valuesGoneMs: 59_999 })).toMatchObject({ done: false });
    const verdict = judgeReading({ ...stale, valuesGoneMs: 60_000 });
    expect(verdict).toMatchObject({ done: true, outcome: 'error' });
    expect(verdict.done && verdict.message).toMatch(
      /showed the values of this update \(description\), but for the last 1m it has shown others \(description: sent "new", shows "old"\)/,
    );
  });

  it('waits for a rollout of the same configuration that was under way; a crash ends it only once confirmed', () => {
    // The deployment was starting when the update was sent: the same configuration, still going.
    const under = { ...base, before: { ...deployment('starting', 'cfg-1'), description: 'old' } };
    const starting = judgeReading({ ...under, current: reading('starting', 'new') });
    expect(starting).toMatchObject({ done: false, newRollout: false });
    expect(starting).not.toHaveProperty('confirming');
    expect(judgeReading({ ...under, current: reading('crashed', 'new') })).toMatchObject({
      done: false,
      confirming: 'cfg-1',
    });
    expect(
      judgeReading({
        ...under,
        ...confirmedSince('cfg-1', 1000),
        sinceUpdateMs: 7000,
        current: reading('crashed', 'new'),
      }),
    ).toMatchObject({
      done: true,
      outcome: 'crashed',
      message: expect.stringContaining('is in place, but the deployment is crashed') as unknown,
    });
  });

  it('takes a new configuration that shows the update for its own, as after any update, and follows it to crashed', () => {
    // Issue 25: whether Northflank rolls out for a metadata update is not documented.
    expect(judgeReading({ ...base, current: reading('pending', 'new', 'cfg-2') })).toMatchObject({
      done: false,
      of: 'ours',
      newRollout: true,
      ours: 'cfg-2',
    });
    expect(
      judgeReading({
        ...base,
        ours: 'cfg-2',
        newRolloutSeen: true,
        current: reading('crashed', 'new', 'cfg-2'),
      }),
    ).toMatchObject({
      done: true,
      outcome: 'crashed',
      message: expect.stringContaining(
        'The rollout that followed this update (description) crashed',
      ) as unknown,
    });
    expect(
      judgeReading({
        ...base,
        ours: 'cfg-2',
        newRolloutSeen: true,
        current: reading('running', 'new', 'cfg-2'),
      }),
    ).toMatchObject({ done: true, outcome: 'running' });
  });

  it('takes a new configuration with other values for someone else’s: superseded after the grace period, naming what differs', () => {
    expect(judgeReading({ ...base, current: reading('crashed', 'theirs', 'cfg-2') })).toMatchObject(
      {
        done: false,
        of: 'unconfirmed',
        newRollout: false,
      },
    );
    const verdict = judgeReading({
      ...base,
      current: reading('crashed', 'theirs', 'cfg-2'),
      sinceUpdateMs: 60_000,
    });
    expect(verdict).toMatchObject({ done: true, outcome: 'superseded' });
    expect(verdict.done && verdict.message).toContain('description: sent "new", shows "theirs"');
  });

  it('a third configuration after ours that shows exactly our values: someone sent them again, and the message says so (hostile #5)', () => {
    const verdict = judgeReading({
      ...base,
      ours: 'cfg-2',
      newRolloutSeen: true,
      current: reading('starting', 'new', 'cfg-3'),
    });
    expect(verdict).toMatchObject({ done: true, outcome: 'superseded', of: 'foreign' });
    expect(verdict.done && verdict.message).toContain(
      'configuration cfg-3 replaced our rollout (configuration cfg-2) and is now starting, and shows the same values as this update: someone else sent them again.',
    );
    expect(verdict.done && verdict.message).not.toMatch(/nothing that GET shows/);
  });

  it('a new configuration with our values beside someone else’s spec change is not ours', () => {
    const current = {
      ...reading('pending', 'new', 'cfg-2'),
      spec: { configuration: { name: 'theirs' } },
    };
    expect(judgeReading({ ...base, current })).toMatchObject({ done: false, of: 'unconfirmed' });
    const verdict = judgeReading({ ...base, current, sinceUpdateMs: 60_000 });
    expect(verdict.done && verdict.message).toContain(
      'spec.configuration.name: not sent, was (not set), shows "theirs"',
    );
  });

  it('without configuration ids, a new updatedAt (which the update itself moves) is not a new configuration', () => {
    const before: Deployment = {
      id: 'd',
      name: 'm',
      status: 'running',
      updatedAt: 'a',
      description: 'old',
    };
    const moved = { ...before, updatedAt: 'b', description: 'new' };
    expect(judgeReading({ ...base, before, current: moved })).toMatchObject({
      done: false,
      of: 'previous',
    });
    // Leaving a settled state is a rollout, and it shows the update: ours.
    expect(
      judgeReading({ ...base, before, current: { ...moved, status: 'starting' } }),
    ).toMatchObject({
      of: 'ours',
      newRollout: true,
    });
  });
});

describe('judgeReading, after a forced re-send of values in place (expectation restart)', () => {
  it('waits out the grace period, then ends no-rollout only on running; fails when the values never show', () => {
    const base = {
      before: { ...OLD, description: 'old' },
      newRolloutSeen: false,
      rolloutStartGraceMs: 60_000,
      expectation: 'restart' as const,
      sent: { description: 'new' },
    };
    const current = { ...deployment('running', 'cfg-1'), description: 'new' };
    expect(judgeReading({ ...base, current, sinceUpdateMs: 59_000 })).toMatchObject({
      done: false,
    });
    expect(judgeReading({ ...base, current, sinceUpdateMs: 60_000 })).toMatchObject({
      done: true,
      outcome: 'no-rollout',
    });
    expect(
      judgeReading({ ...base, current: { ...current, description: 'old' }, sinceUpdateMs: 60_000 }),
    ).toMatchObject({ done: true, outcome: 'error' });
  });
});

describe('judgeReading, after a configuration change (expectation rollout)', () => {
  it('never ends on the previous configuration, however long it shows', () => {
    expect(
      judgeReading({
        before: OLD,
        current: deployment('running', 'cfg-1'),
        newRolloutSeen: false,
        sinceUpdateMs: 3_600_000,
        rolloutStartGraceMs: 60_000,
        expectation: 'rollout',
      }),
    ).toMatchObject({ done: false, of: 'previous' });
  });
});

describe('waitForRollout with phase deadlines', () => {
  it('ends in `timeout` once the new rollout has waited for a node past provisioning-timeout', async () => {
    const clock = new FakeClock();
    const read = scripted(clock, [
      [0, deployment('running', 'cfg-1')],
      [3_000, deployment('pending', 'cfg-2')],
      [30_000, deployment('provisioning', 'cfg-2')],
    ]);
    const start = clock.now();
    const result = await waitForRollout(
      options(clock, read, { phaseLimits: { provisioningMs: 10 * 60_000 } }),
    );
    expect(result.outcome).toBe('timeout');
    expect(result.message).toMatch(
      /^The new rollout spent 10m waiting for a node \(pending\/provisioning\), past provisioning-timeout \(10m\)/,
    );
    expect(result.message).toMatch(
      /Where the time went: running \(previous rollout\) \d+s, pending \d+s, provisioning 9m \d+s\.$/,
    );
    // Seen within a moment of the deadline, not a whole poll-interval later.
    const overMs = clock.now() - start - 3_000 - 10 * 60_000;
    expect(overMs).toBeGreaterThan(0);
    expect(overMs).toBeLessThan(2_000);
  });

  it('counts starting on its own, across visits, and leaves a phase without a deadline alone', async () => {
    const clock = new FakeClock();
    const read = scripted(clock, [
      [0, deployment('starting', 'cfg-2')],
      [60_000, deployment('provisioning', 'cfg-2')],
      [120_000, deployment('starting', 'cfg-2')],
    ]);
    const result = await waitForRollout(
      options(clock, read, { phaseLimits: { startingMs: 90_000 } }),
    );
    expect(result.outcome).toBe('timeout');
    expect(result.message).toMatch(
      /^The new rollout spent 1m 30s starting, past starting-timeout \(1m 30s\)/,
    );
    // Time is counted between readings: 90 s of starting seen, whatever the visits.
    expect(clock.now() - 1_000_000).toBeGreaterThanOrEqual(150_000);
    expect(clock.now() - 1_000_000).toBeLessThan(210_000);
  });

  it('does not hold the previous rollout to the new one’s deadlines', async () => {
    const clock = new FakeClock();
    const before = deployment('provisioning', 'cfg-1');
    const read = scripted(clock, [
      [0, before],
      [300_000, deployment('running', 'cfg-2')],
    ]);
    const result = await waitForRollout(
      options(clock, read, { before, phaseLimits: { provisioningMs: 60_000 } }),
    );
    expect(result.outcome).toBe('running');
  });
});

describe('predatesUpdate', () => {
  const at = (id: string, createdAt: string): Deployment => ({
    ...deployment('running', id),
    deploymentConfiguration: { id, createdAt },
  });
  const sentMs = Date.parse('2026-11-23T12:00:00Z');

  it('takes a configuration no newer than the one read before the update as older than the update', () => {
    const before = at('cfg-1', '2026-11-22T00:00:00Z');
    expect(predatesUpdate({ before, current: at('cfg-0', '2026-11-21T00:00:00Z') })).toBe(true);
    expect(
      predatesUpdate({
        before,
        current: at('cfg-2', '2026-11-23T12:00:01Z'),
        updateSentMs: sentMs,
      }),
    ).toBe(false);
  });

  it('takes one created well before the update was sent as older, allowing for clock skew', () => {
    const before = at('cfg-0', '2026-11-20T00:00:00Z');
    expect(
      predatesUpdate({
        before,
        current: at('cfg-1', '2026-11-22T00:00:00Z'),
        updateSentMs: sentMs,
      }),
    ).toBe(true);
    // Two minutes "before" the update on the runner's clock: within the skew allowed.
    expect(
      predatesUpdate({
        before,
        current: at('cfg-2', '2026-11-23T11:58:00Z'),
        updateSentMs: sentMs,
      }),
    ).toBe(false);
  });

  it('knows nothing without creation times', () => {
    expect(predatesUpdate({ before: OLD, current: deployment('running', 'cfg-2') })).toBe(false);
  });
});
