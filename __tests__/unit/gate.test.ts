/** The fail-if gate: relative limits against the baseline, absolute limits alone. */
import { describe, expect, it } from '@jest/globals';
import { parseBenchmarkSettings } from '../../src/model/benchmark-settings.js';
import {
  breaches,
  describeBreach,
  judgeLimits,
  judgeLimitsCutShort,
} from '../../src/model/gate.js';
import { metricValue, type Measurement } from '../../src/model/stats.js';

function measurement(ttft: number, itl: number, tps: number, errors = 0): Measurement {
  const p = (v: number): Measurement['ttftMs'] => ({ p50: v, p90: v * 1.2, p99: v * 1.5 });
  return {
    requests: 20,
    errors,
    ttftMs: p(ttft),
    itlMs: p(itl),
    e2eMs: p(ttft + 127 * itl),
    tokensPerSecond: tps,
    outputTokens: 2560,
    tokensFrom: 'usage',
    reasoningTokens: 0,
    answerTokens: 2560,
    reasoningChunks: 0,
    answerChunks: 2560,
  };
}

const failIf = (limits: Record<string, string | number>) =>
  parseBenchmarkSettings({ 'fail-if': limits })?.failIf ?? {};

describe('judge', () => {
  const before = measurement(200, 20, 180);

  it('breaches a relative latency rise and a relative throughput drop, naming both values and the limit', () => {
    const verdicts = judgeLimits(
      failIf({ 'ttft-p50': '+25%', 'itl-p50': '+20%', 'tokens-per-second': '-15%' }),
      measurement(260, 32, 120),
      before,
    );
    expect(breaches(verdicts)).toEqual([
      { metric: 'ttft-p50', before: 200, after: 260, limit: '+25%' },
      { metric: 'itl-p50', before: 20, after: 32, limit: '+20%' },
      { metric: 'tokens-per-second', before: 180, after: 120, limit: '-15%' },
    ]);
    expect(verdicts.map(describeBreach)).toEqual([
      'ttft-p50 rose from 200.0 ms to 260.0 ms (+30.0%), above the limit +25% (250.0 ms)',
      'itl-p50 rose from 20.0 ms to 32.0 ms (+60.0%), above the limit +20% (24.0 ms)',
      'tokens-per-second fell from 180.0 tokens/s to 120.0 tokens/s (-33.3%), below the minimum -15% (153.0 tokens/s)',
    ]);
  });

  it('holds within the limits, exactly at them too', () => {
    const verdicts = judgeLimits(
      failIf({ 'ttft-p50': '+25%', 'tokens-per-second': '-15%', 'ttft-p90': '240ms' }),
      measurement(250, 20, 153),
      before,
    );
    expect(verdicts.map((v) => v.status)).toEqual(['held', 'breached', 'held']);
    expect(verdicts[1]).toMatchObject({ metric: 'ttft-p90', after: 300, bound: 240 });
  });

  it('judges absolute limits without a baseline and leaves relative ones unjudged, saying why', () => {
    const verdicts = judgeLimits(
      failIf({ 'ttft-p50': '+25%', 'e2e-p50': '2s', 'tokens-per-second': 100, 'error-rate': '5%' }),
      measurement(200, 20, 90, 2),
      undefined,
      'the deployment was not running before the update',
    );
    expect(verdicts.map((v) => [v.metric, v.status])).toEqual([
      ['ttft-p50', 'not-judged'],
      ['e2e-p50', 'breached'],
      ['tokens-per-second', 'breached'],
      ['error-rate', 'breached'],
    ]);
    expect(verdicts[0]?.reason).toBe(
      'a relative limit needs a baseline, and the deployment was not running before the update',
    );
    expect(breaches(verdicts)).toEqual([
      { metric: 'e2e-p50', after: 2740, limit: '2s' },
      { metric: 'tokens-per-second', after: 90, limit: '100' },
      { metric: 'error-rate', after: 0.1, limit: '5%' },
    ]);
    expect(describeBreach(verdicts[3]!)).toBe('error-rate is 10.0%, above the limit 5%');
  });

  it('breaches a latency limit when no request succeeded after the rollout', () => {
    const dead: Measurement = {
      ...measurement(0, 0, 0, 20),
      ttftMs: { p50: null, p90: null, p99: null },
    };
    const [verdict] = judgeLimits(failIf({ 'ttft-p50': '+25%' }), dead, before);
    expect(verdict).toMatchObject({ status: 'breached', after: null });
    expect(describeBreach(verdict!)).toMatch(/no request succeeded after the rollout/);
  });
});

describe("judgeLimitsCutShort (a run the step's timeout cut short)", () => {
  const before = measurement(200, 20, 180);
  const reason = 'the benchmark was cut short at 6 of 16 measured requests';

  it('keeps a breach by what finished, and leaves a limit that held not judged, saying why', () => {
    const partial: Measurement = { ...measurement(900, 20, 150), requests: 6, cutOff: 4 };
    const verdicts = judgeLimitsCutShort(
      judgeLimits(failIf({ 'ttft-p50': '+25%', 'itl-p50': '+20%' }), partial, before),
      partial,
      reason,
    );
    expect(verdicts.map((v) => [v.metric, v.status])).toEqual([
      ['ttft-p50', 'breached'],
      ['itl-p50', 'not-judged'],
    ]);
    expect(verdicts[1]?.reason).toBe(
      `${reason}: what finished can show a breach, not that the limit holds`,
    );
    expect(breaches(verdicts)).toEqual([
      { metric: 'ttft-p50', before: 200, after: 900, limit: '+25%' },
    ]);
  });

  it('counts the requests cut off as successes in the error rate', () => {
    // 2 errors of 6 finished, 4 cut off: at best 2 of 10 failed.
    const partial: Measurement = { ...measurement(200, 20, 180, 2), requests: 6, cutOff: 4 };
    expect(metricValue(partial, 'error-rate')).toBe(0.2);
    const [held, breached] = judgeLimitsCutShort(
      judgeLimits(failIf({ 'error-rate': '25%' }), partial, before).concat(
        judgeLimits(failIf({ 'error-rate': '10%' }), partial, before),
      ),
      partial,
      reason,
    );
    expect(held?.status).toBe('not-judged');
    expect(breached?.status).toBe('breached');
  });

  it('judges nothing when no measured request finished', () => {
    const none: Measurement = {
      ...measurement(0, 0, 0),
      requests: 0,
      cutOff: 4,
      ttftMs: { p50: null, p90: null, p99: null },
    };
    const verdicts = judgeLimitsCutShort(
      judgeLimits(failIf({ 'ttft-p50': '2s' }), none, before),
      none,
      reason,
    );
    expect(verdicts.map((v) => v.status)).toEqual(['not-judged']);
    expect(verdicts[0]?.reason).toBe(`${reason}, before any measured request finished`);
  });
});
