/**
 * The rollout timeline adds up, in the job summary and in the log: every "from" plus its "lasted"
 * is the next "from", whatever the milliseconds were (issue 13: `starting` at +7 s lasting 2 s,
 * then `running` at +8 s).
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { type RunReport } from '../../src/report/report.js';
import { summaryMarkdown } from '../../src/report/summary.js';
import type { Deployment } from '../../src/northflank/schema.js';
import { DEFAULT_POLL_POLICY } from '../../src/rollout/poll-policy.js';
import { RolloutTracker, type TimelineEntry } from '../../src/rollout/tracker.js';
import { waitForRollout } from '../../src/rollout/wait-loop.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { recordingLogger } from '../helpers/recording-logger.js';

function deployment(status: string, configurationId: string): Deployment {
  return { id: 'd', name: 'model', status, deploymentConfiguration: { id: configurationId } };
}

function report(timeline: TimelineEntry[], timelineOriginMs?: number): RunReport {
  return {
    outcome: 'running',
    message: 'The new rollout is running.',
    title: '',
    deployment: deployment('running', 'cfg-2'),
    timeline,
    ...(timelineOriginMs === undefined ? {} : { timelineOriginMs }),
    elapsedMs: 9000,
    target: { projectId: 'p', deploymentId: 'd' },
    updatedFields: ['spec'],
    requestCount: 5,
  };
}

/** The timeline table's rows as [status, from, lasted]. */
function rows(markdown: string): string[][] {
  const table = markdown.split('### Rollout timeline')[1] ?? '';
  return table
    .split('\n')
    .filter((line) => line.startsWith('| <code>'))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
}

/** `1h 2m 3s`, `4m 5s`, `6s` as seconds. */
function seconds(text: string): number {
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(h|m|s)/g)) {
    total += Number(n) * (unit === 'h' ? 3600 : unit === 'm' ? 60 : 1);
  }
  return total;
}

function entries(
  startsMs: number[],
  statuses = ['running', 'pending', 'provisioning', 'starting', 'running'],
): TimelineEntry[] {
  return startsMs.map((startMs, i) => {
    const next = startsMs[i + 1];
    return {
      status: statuses[i % statuses.length] ?? 'running',
      previousRollout: i === 0,
      startMs,
      ...(next === undefined ? {} : { endMs: next }),
    };
  });
}

describe('the job summary timeline', () => {
  it("rounds offsets, and each status lasts until the next one's offset (the demo's rollout)", () => {
    // Origin 10 s: stale read, provisioning at +1.6 s, starting at +6.6 s, running at +8.4 s.
    const markdown = summaryMarkdown(
      report(
        entries(
          [10_000, 11_600, 16_600, 18_400],
          ['running', 'provisioning', 'starting', 'running'],
        ),
      ),
    );
    expect(rows(markdown)).toEqual([
      ['<code>running &#40;previous rollout&#41;</code>', '+0s', '2s'],
      ['<code>provisioning</code>', '+2s', '5s'],
      ['<code>starting</code>', '+7s', '1s'],
      ['<code>running</code>', '+8s', 'last seen'],
    ]);
  });

  it('measures from the update when the report knows when it was sent', () => {
    // The read before the update at 10 s, the update sent at 10.7 s (a slow POST).
    const markdown = summaryMarkdown(report(entries([10_000, 12_100, 16_000]), 10_700));
    expect(rows(markdown)).toEqual([
      ['<code>running &#40;previous rollout&#41;</code>', '+0s', '1s'],
      ['<code>pending</code>', '+1s', '4s'],
      ['<code>provisioning</code>', '+5s', 'last seen'],
    ]);
  });

  it('adds up for any timeline, however long', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5_000_000 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (gaps, originMs) => {
          const starts = gaps.reduce<number[]>(
            (acc, gap) => [...acc, (acc.at(-1) ?? originMs) + gap],
            [originMs],
          );
          const table = rows(summaryMarkdown(report(entries(starts))));
          expect(table).toHaveLength(starts.length);
          for (let i = 0; i + 1 < table.length; i++) {
            const [, from = '', lasted = ''] = table[i] ?? [];
            const [, nextFrom = ''] = table[i + 1] ?? [];
            expect(seconds(from) + seconds(lasted)).toBe(seconds(nextFrom));
          }
          const last = table.at(-1)?.[1] ?? '';
          expect(seconds(last)).toBe(Math.round(((starts.at(-1) ?? 0) - originMs) / 1000));
        },
      ),
    );
  });
});

describe('the status lines of the wait', () => {
  it('say how long the previous status lasted and the time since the update, and they add up', async () => {
    const clock = new FakeClock();
    const updateSentMs = clock.now();
    // Each reading at an exact time after the update; the short poll interval never overshoots.
    const script: [number, Deployment][] = [
      [0, deployment('running', 'cfg-1')],
      [1_600, deployment('provisioning', 'cfg-2')],
      [6_600, deployment('starting', 'cfg-2')],
      [8_400, deployment('running', 'cfg-2')],
    ];
    let reads = 0;
    const getDeployment = (): Promise<Deployment> => {
      const [at, reading] = script[Math.min(reads++, script.length - 1)] ?? script[0] ?? [0, OLD];
      if (clock.now() < updateSentMs + at) clock.advance(updateSentMs + at - clock.now());
      return Promise.resolve(reading);
    };
    const { log, lines } = recordingLogger();
    const tracker = new RolloutTracker();
    const result = await waitForRollout({
      before: OLD,
      updateSentMs,
      getDeployment,
      tracker,
      clock,
      signal: new AbortController().signal,
      deadlineMs: updateSentMs + 60_000,
      poll: { ...DEFAULT_POLL_POLICY, minMs: 200, maxMs: 1000 },
      rolloutStartGraceMs: 60_000,
      log,
    });
    expect(result.outcome).toBe('running');
    expect(lines.filter((l) => l.startsWith('Status:'))).toEqual([
      'Status: running (previous rollout)',
      'Status: provisioning after 2s running (previous rollout), 2s since the update',
      'Status: starting after 5s provisioning, 7s since the update',
      'Status: running after 1s starting, 8s since the update',
    ]);
    // The job summary, measured from the same moment, shows the same numbers.
    const table = rows(summaryMarkdown(report(tracker.timeline, tracker.originMs)));
    expect(table.map(([, from]) => from)).toEqual(['+0s', '+2s', '+7s', '+8s']);
  });
});

const OLD = deployment('running', 'cfg-1');
