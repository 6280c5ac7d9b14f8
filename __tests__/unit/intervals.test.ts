/**
 * The intervals of the gate on known distributions: coverage near the confidence asked, the
 * same interval for the same samples (seeded), Wilson's interval.
 */
import { describe, expect, it } from '@jest/globals';
import {
  mulberry32,
  normalQuantile,
  percentileInterval,
  percentileRatioInterval,
  seedOf,
  throughputRatioInterval,
  wilsonInterval,
  type RunSamples,
} from '../../src/model/intervals.js';

function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** `n` requests whose TTFT is lognormal with median `median` and sigma `sigma`. */
function lognormalRun(n: number, median: number, sigma: number, random: () => number): RunSamples {
  const requests = Array.from({ length: n }, () => {
    const ttft = median * Math.exp(sigma * normal(random));
    return {
      ok: true,
      ttftMs: ttft,
      itlMs: 10,
      e2eMs: ttft + 1270,
      tokens: 128,
      elapsedMs: ttft + 1270,
    };
  });
  const wallMs = requests.reduce((t, r) => t + r.elapsedMs, 0) / 4;
  return { requests, wallMs, tokensPerSecond: (128 * n * 1000) / wallMs };
}

describe('percentile intervals', () => {
  it('cover the true median about as often as the confidence says (lognormal, 40 requests)', () => {
    const random = mulberry32(42);
    let covered = 0;
    const trials = 200;
    for (let t = 0; t < trials; t++) {
      const [lo, hi] = percentileInterval(lognormalRun(40, 200, 0.3, random), 'ttft', 0.5, 0.05)!;
      if (lo <= 200 && hi >= 200) covered++;
    }
    expect(covered / trials).toBeGreaterThanOrEqual(0.9);
    expect(covered / trials).toBeLessThanOrEqual(0.99);
  });

  it('cover a change of zero between two runs of the same server about as often as the confidence says', () => {
    const random = mulberry32(7);
    let covered = 0;
    const trials = 150;
    for (let t = 0; t < trials; t++) {
      const [lo, hi] = percentileRatioInterval(
        lognormalRun(32, 200, 0.3, random),
        lognormalRun(32, 200, 0.3, random),
        'ttft',
        0.9,
        0.05,
      )!;
      if (lo <= 0 && hi >= 0) covered++;
    }
    expect(covered / trials).toBeGreaterThanOrEqual(0.9);
  });

  it('contain a real +30 % change of the median, and not zero, with enough requests', () => {
    const random = mulberry32(9);
    const [lo, hi] = percentileRatioInterval(
      lognormalRun(128, 200, 0.2, random),
      lognormalRun(128, 260, 0.2, random),
      'ttft',
      0.5,
      0.05,
    )!;
    expect(lo).toBeGreaterThan(0.1);
    expect(hi).toBeLessThan(0.45);
  });

  it('are the same for the same samples, and the seed is a hash of them', () => {
    const run = lognormalRun(20, 200, 0.3, mulberry32(1));
    expect(percentileInterval(run, 'ttft', 0.9, 0.05)).toEqual(
      percentileInterval(run, 'ttft', 0.9, 0.05),
    );
    const copy: RunSamples = JSON.parse(JSON.stringify(run)) as RunSamples;
    expect(seedOf(copy)).toBe(seedOf(run));
    const other = lognormalRun(20, 200, 0.3, mulberry32(2));
    expect(seedOf(other)).not.toBe(seedOf(run));
  });

  it('give tokens per second an interval of its change from the requests', () => {
    const random = mulberry32(3);
    const interval = throughputRatioInterval(
      lognormalRun(64, 200, 0.2, random),
      lognormalRun(64, 200, 0.2, random),
      0.05,
    )!;
    expect(interval[0]).toBeLessThan(0);
    expect(interval[1]).toBeGreaterThan(0);
    expect(interval[1] - interval[0]).toBeLessThan(0.2);
  });
});

describe("Wilson's interval of the error rate", () => {
  it('matches known values', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    const [lo0, hi0] = wilsonInterval(0, 20, 0.05)!;
    expect(lo0).toBe(0);
    expect(hi0).toBeCloseTo(0.1611, 3);
    const [lo, hi] = wilsonInterval(5, 20, 0.05)!;
    expect(lo).toBeCloseTo(0.1119, 3);
    expect(hi).toBeCloseTo(0.4687, 3);
    expect(wilsonInterval(0, 0, 0.05)).toBeUndefined();
  });
});
