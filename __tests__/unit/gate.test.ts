/**
 * The fail-if gate on confidence intervals: exceeded, held, inconclusive; relative and absolute
 * limits; a run cut short judged on censored samples (exceeded only); the looks' schedule.
 */
import { describe, expect, it } from '@jest/globals';
import { measuredOf } from '../../src/model/benchmark.js';
import { parseBenchmarkSettings } from '../../src/model/benchmark-settings.js';
import {
  breaches,
  describeBreach,
  describeChange,
  judgeLimits,
  metricChanges,
  settleEstimate,
  type Measured,
} from '../../src/model/gate.js';
import { mulberry32 } from '../../src/model/intervals.js';
import { afterMore, gatePlan, lookSchedule, nextBatch } from '../../src/model/looks.js';
import type { RequestRecord } from '../../src/model/stream-request.js';

/** A standard normal draw from a seeded PRNG (Box-Muller). */
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

interface Load {
  ttftMs: number;
  itlMs: number;
  /** Lognormal sigma of the per-request multipliers. */
  sigma: number;
  tokens?: number;
  seed: number;
  concurrency?: number;
}

function record(sentMs: number, ttft: number, itl: number, tokens: number): RequestRecord {
  const first = sentMs + ttft;
  const last = first + itl * (tokens - 1);
  return {
    sentMs,
    endMs: last,
    firstTokenMs: first,
    lastTokenMs: last,
    answerChunks: tokens,
    reasoningChunks: 0,
    usageTokens: tokens,
    usageReasoningTokens: undefined,
    error: undefined,
    ignoreEosRefused: false,
    aborted: false,
  };
}

/** `n` requests of a noisy server, `concurrency` at a time, as the benchmark measures them. */
function run(n: number, load: Load): Measured {
  const random = mulberry32(load.seed);
  const tokens = load.tokens ?? 128;
  const c = load.concurrency ?? 4;
  const free = new Array<number>(c).fill(0);
  const records: RequestRecord[] = [];
  for (let i = 0; i < n; i++) {
    const slot = free.indexOf(Math.min(...free));
    const at = free[slot] ?? 0;
    const r = record(
      at,
      load.ttftMs * Math.exp(load.sigma * normal(random)),
      load.itlMs * Math.exp(load.sigma * normal(random)),
      tokens,
    );
    free[slot] = r.endMs;
    records.push(r);
  }
  const wall = Math.max(...records.map((r) => r.endMs));
  return measuredOf(records, wall, undefined, 0, tokens);
}

const failIf = (limits: Record<string, string | number>) =>
  parseBenchmarkSettings({ 'fail-if': limits })?.failIf ?? {};

const ALPHA = 0.05;
const base: Load = { ttftMs: 200, itlMs: 20, sigma: 0.1, seed: 1 };

describe('judgeLimits on intervals', () => {
  const before = run(64, base);

  it('exceeds a relative limit when the whole interval of the change is past it, quoting the interval', () => {
    const after = run(64, { ...base, itlMs: 26, seed: 2 });
    const [v] = judgeLimits(failIf({ 'itl-p50': '+20%' }), after, before, ALPHA);
    expect(v?.status).toBe('exceeded');
    expect(v?.of).toBe('change');
    expect(v?.interval?.[0]).toBeGreaterThan(0.2);
    expect(describeBreach(v!)).toMatch(
      /^itl-p50 rose from [\d.]+ ms to [\d.]+ ms \(\+[\d.]+%, 95% interval \+[\d.]+% to \+[\d.]+%\), above the limit \+20% \([\d.]+ ms\)$/,
    );
    expect(breaches([v!])[0]).toMatchObject({ metric: 'itl-p50', limit: '+20%' });
  });

  it('holds when the whole interval is within the limit, and does not call a change within noise better or worse', () => {
    const after = run(64, { ...base, seed: 3 });
    const verdicts = judgeLimits(
      failIf({ 'itl-p50': '+20%', 'tokens-per-second': '-15%' }),
      after,
      before,
      ALPHA,
    );
    expect(verdicts.map((v) => v.status)).toEqual(['held', 'held']);
    const itl = metricChanges(before, after, ALPHA).find((c) => c.metric === 'itl-p50')!;
    expect(describeChange(itl, 0.95)).toMatch(
      /^[\d.]+ ms → [\d.]+ ms \(no change within noise: 95% interval -[\d.]+% to \+[\d.]+%\)$/,
    );
  });

  it('is inconclusive when the interval spans the limit, with an estimate of the requests that settle it', () => {
    const noisy = { ...base, sigma: 0.4 };
    const b = run(8, { ...noisy, seed: 4 });
    const a = run(8, { ...noisy, itlMs: 24, seed: 5 });
    const [v] = judgeLimits(failIf({ 'itl-p50': '+20%' }), a, b, ALPHA);
    expect(v?.status).toBe('inconclusive');
    expect(v?.interval?.[0]).toBeLessThan(0.2);
    expect(v?.interval?.[1]).toBeGreaterThan(0.2);
  });

  it('estimates the requests to settle from the interval narrowing as 1/sqrt(n)', () => {
    // Half-width 0.2 around 0.1, the limit 0.1 away: half the width, so four times the requests.
    expect(settleEstimate(-0.1, 0.3, 0.2, 16)).toBe(64);
    expect(settleEstimate(0.1, 0.3, 0.2, 16)).toBeUndefined();
  });

  it('catches a 30 % drop of tokens per second with a -15% limit', () => {
    const slower = run(64, { ...base, itlMs: 20 / 0.7, seed: 6 });
    const [v] = judgeLimits(failIf({ 'tokens-per-second': '-15%' }), slower, before, ALPHA);
    expect(v?.status).toBe('exceeded');
    expect(v?.interval?.[1]).toBeLessThan(-0.15);
  });

  it('judges absolute limits on the interval of the metric itself, and error-rate on Wilson’s interval', () => {
    const after = run(64, { ...base, seed: 7 });
    const verdicts = judgeLimits(
      failIf({ 'ttft-p90': '2s', 'e2e-p50': '1s', 'error-rate': '10%' }),
      after,
      undefined,
      ALPHA,
    );
    expect(verdicts.map((v) => [v.metric, v.status, v.of])).toEqual([
      ['ttft-p90', 'held', 'value'],
      ['e2e-p50', 'exceeded', 'value'],
      // 0 errors of 64: Wilson's upper end is 5.6 %.
      ['error-rate', 'held', 'value'],
    ]);
    expect(verdicts[2]?.interval?.[1]).toBeCloseTo(0.0565, 3);
  });

  it('leaves a relative limit not judged without a baseline, saying why', () => {
    const [v] = judgeLimits(
      failIf({ 'ttft-p50': '+25%' }),
      before,
      undefined,
      ALPHA,
      'no baseline here',
    );
    expect(v).toMatchObject({
      status: 'not-judged',
      reason: 'a relative limit needs a baseline, and no baseline here',
    });
  });

  it('gives the same interval for the same samples, every time (a seeded bootstrap)', () => {
    const after = run(32, { ...base, seed: 8 });
    const one = judgeLimits(failIf({ 'ttft-p90': '+10%' }), after, before, ALPHA);
    const two = judgeLimits(failIf({ 'ttft-p90': '+10%' }), after, before, ALPHA);
    expect(one).toEqual(two);
  });
});

describe('a run cut short: censored samples, exceeded only', () => {
  const before = run(16, { ttftMs: 20, itlMs: 10, sigma: 0.1, seed: 9 });
  const stalled = (n: number, elapsed: number): RequestRecord[] =>
    Array.from({ length: n }, () => ({
      ...record(0, elapsed, 0, 1),
      firstTokenMs: undefined,
      lastTokenMs: undefined,
      answerChunks: 0,
      usageTokens: undefined,
      endMs: elapsed,
      error: 'stopped',
      aborted: true,
    }));

  it('exceeds ttft-p90 and tokens-per-second when every request waited past the limit without a token', () => {
    // 16 planned, 4 in flight for 10 s without a first token, 12 never sent.
    const cut = measuredOf(
      [],
      10_000,
      { inFlight: stalled(4, 10_000), stoppedMs: 10_000 },
      12,
      128,
    );
    const verdicts = judgeLimits(
      failIf({ 'ttft-p90': '2s', 'tokens-per-second': '-15%' }),
      cut,
      before,
      ALPHA,
    );
    expect(verdicts.map((v) => v.status)).toEqual(['exceeded', 'exceeded']);
  });

  it('does not fail a healthy rollout cut short because its first request was slow', () => {
    // 64 planned at concurrency 4; the first waited 300 ms for its first token; 7 finished.
    const finished = [
      record(0, 300, 10, 128),
      ...Array.from({ length: 6 }, (_, i) => record(i * 50, 20, 10, 128)),
    ];
    const inFlight = stalled(4, 500).map((r) => ({ ...r, firstTokenMs: 20, answerChunks: 30 }));
    const cut = measuredOf(finished, 1600, { inFlight, stoppedMs: 1600 }, 53, 128);
    const verdicts = judgeLimits(
      failIf({ 'ttft-p90': '+50%', 'e2e-p90': '+30%' }),
      cut,
      before,
      ALPHA,
    );
    expect(verdicts.map((v) => v.status)).toEqual(['not-judged', 'not-judged']);
    expect(verdicts[0]?.reason).toMatch(
      /cut short: the requests cut off can show that a limit was exceeded, not that it holds/,
    );
  });
});

describe('looks', () => {
  it('doubles from requests to max-requests and splits the error over the looks', () => {
    expect(lookSchedule(16, 128)).toEqual([16, 32, 64, 128]);
    expect(lookSchedule(16, 100)).toEqual([16, 32, 64, 100]);
    expect(lookSchedule(16, 16)).toEqual([16]);
    const settings = parseBenchmarkSettings({ requests: 16, 'max-requests': 128 })!;
    const plan = gatePlan(settings);
    expect(plan.alpha).toBeCloseTo(0.05 / 4);
    expect(nextBatch(plan, 16)).toBe(16);
    expect(nextBatch(plan, 64)).toBe(64);
    expect(nextBatch(plan, 128)).toBe(0);
  });

  it('asks for another batch only while a limit is inconclusive and none is exceeded', () => {
    const settings = parseBenchmarkSettings({
      requests: 8,
      'max-requests': 64,
      'fail-if': { 'itl-p50': '+20%' },
    })!;
    const plan = gatePlan(settings);
    const noisy = { ...base, sigma: 0.4 };
    const b = run(64, { ...noisy, seed: 10 });
    const asked: number[] = [];
    const more = afterMore(settings, plan, b, undefined, (_, n) => asked.push(n));
    expect(more(run(8, { ...noisy, itlMs: 24, seed: 11 }))).toBe(8);
    expect(asked).toEqual([8]);
    expect(more(run(64, { ...noisy, itlMs: 24, seed: 11 }))).toBe(0);
    expect(more(run(16, { ...base, itlMs: 80, seed: 12 }))).toBe(0);
  });
});
