/**
 * Confidence intervals of the benchmark's figures, pure and deterministic: a seeded bootstrap
 * over the per-request samples (the seed is a hash of the samples, so the same samples always
 * give the same interval), and Wilson's interval for the error rate. docs/benchmark.md gives the
 * method; the numbers here are the ones it names.
 */
import { percentile } from './stats.js';

// Module-level copies: a global lookup per call is slow where the code runs in a VM context
// (Jest's), and the bootstrap makes millions of these calls.
const { imul, floor } = Math;

/** What one measured request contributes to the figures. */
export interface RequestSample {
  /** It answered fully (not an error, not cut off). */
  ok: boolean;
  /** Time to first token; of a request cut off before its first token, undefined. */
  ttftMs?: number;
  /** (last token − first token) / (tokens − 1); undefined with fewer than two tokens. */
  itlMs?: number;
  /** Request sent to its last token. */
  e2eMs?: number;
  /** Output tokens received (of a request cut off: so far). */
  tokens: number;
  /** Sent to its end, or to the stop for a request cut off. */
  elapsedMs: number;
  /** Cut off by the step's timeout: its latencies are at least `elapsedMs` (right-censored). */
  cutOff?: boolean;
}

/** The samples of one benchmark run, and the run-level figures they come with. */
export interface RunSamples {
  requests: RequestSample[];
  /** Wall time of the measured requests, summed over the batches. */
  wallMs: number;
  /** The run's tokens per second, as the measurement reports it. */
  tokensPerSecond: number;
  /** Requests planned but never sent (a run cut short): not samples (see latencyValues). */
  notStarted?: number;
}

/** Resamples of every bootstrap: enough for a 99.5 % percentile interval to be stable to ~1 %. */
export const BOOTSTRAP_RESAMPLES = 2000;

/** A small, fast, well-mixed 32-bit PRNG (mulberry32): the same seed, the same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over the samples' numbers (to 0.001): the bootstrap's seed. */
export function seedOf(...runs: readonly (RunSamples | undefined)[]): number {
  let h = 0x811c9dc5;
  const mix = (n: number): void => {
    const text = Number.isFinite(n) ? n.toFixed(3) : 'x';
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = imul(h, 0x01000193) >>> 0;
    }
  };
  for (const run of runs) {
    if (!run) {
      mix(-1);
      continue;
    }
    mix(run.wallMs);
    for (const r of run.requests) {
      mix(r.ok ? 1 : 0);
      mix(r.ttftMs ?? -1);
      mix(r.itlMs ?? -1);
      mix(r.e2eMs ?? -1);
      mix(r.tokens);
      mix(r.elapsedMs);
    }
  }
  return h;
}

export type LatencyKind = 'ttft' | 'itl' | 'e2e';

/**
 * One latency of a request as a sample of the run: its value, or, cut off, a lower bound
 * (`elapsedMs` when the value is not known yet). Failed requests have no latency.
 */
export function latencyOf(r: RequestSample, kind: LatencyKind): number | undefined {
  if (!r.cutOff) {
    if (!r.ok) return undefined;
    return kind === 'ttft' ? r.ttftMs : kind === 'itl' ? r.itlMs : r.e2eMs;
  }
  // Cut off: TTFT is known once the first token came; E2E is at least the time so far; ITL so
  // far says nothing about the rest, so it is left out.
  if (kind === 'ttft') return r.ttftMs ?? r.elapsedMs;
  if (kind === 'e2e') return r.elapsedMs;
  return undefined;
}

/**
 * The values a latency percentile is computed over: the successful requests', and of a run cut
 * short the requests cut off too, at their lower bound. The requests never sent are left out:
 * every request is the same, so the ones sent are a fair sample of all, and the ones cut off
 * (the slow end of what was sent) count at no more than they surely took, so a percentile of
 * this sample errs low, never high.
 */
export function latencyValues(run: RunSamples, kind: LatencyKind): number[] {
  const values: number[] = [];
  for (const r of run.requests) {
    const v = latencyOf(r, kind);
    if (v !== undefined) values.push(v);
  }
  return values;
}

/** Whether a run was cut short by the step's timeout. */
export function isCutShort(run: RunSamples): boolean {
  return run.requests.some((r) => r.cutOff === true) || (run.notStarted ?? 0) > 0;
}

/** `[low, high]`, each null when it cannot be known. */
export type Interval = [number, number];

/** The `(1 − α)` percentile interval of a bootstrap distribution. */
function quantiles(values: number[], alpha: number): Interval | undefined {
  const finite = values.filter(Number.isFinite);
  if (finite.length < values.length * 0.9 || finite.length === 0) return undefined;
  finite.sort((a, b) => a - b);
  return [pick(finite, alpha / 2), pick(finite, 1 - alpha / 2)];
}

function pick(sorted: number[], q: number): number {
  return percentile(sorted, q, true) ?? NaN;
}

/**
 * The bootstrap distribution of the q-percentile of `values`. A resample's order statistics come
 * from counting how often each of the sorted values was drawn, so no resample is sorted: O(n)
 * each, which keeps 2000 resamples of 1000 requests well under a second.
 */
function percentileDistribution(
  values: readonly number[],
  q: number,
  random: () => number,
): number[] {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const counts = new Int32Array(n);
  const h = (n - 1) * q;
  const rank = Math.floor(h);
  const frac = h - rank;
  const out = new Array<number>(BOOTSTRAP_RESAMPLES);
  for (let b = 0; b < BOOTSTRAP_RESAMPLES; b++) {
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const k = floor(random() * n);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    let seen = 0;
    let low = 0;
    let found = false;
    let high = NaN;
    for (let j = 0; j < n; j++) {
      seen += counts[j] ?? 0;
      if (!found && seen > rank) {
        low = sorted[j] ?? NaN;
        found = true;
      }
      if (seen > rank + 1 || (seen > rank && rank + 1 >= n)) {
        high = sorted[j] ?? NaN;
        break;
      }
    }
    out[b] = low + frac * (high - low);
  }
  return out;
}

/** Interval of the q-percentile of one run's latency (an absolute limit). */
export function percentileInterval(
  run: RunSamples,
  kind: LatencyKind,
  q: number,
  alpha: number,
  seed = seedOf(run),
): Interval | undefined {
  const values = latencyValues(run, kind);
  if (values.length === 0) return undefined;
  return quantiles(percentileDistribution(values, q, mulberry32(seed)), alpha);
}

/**
 * Interval of after/before of the q-percentile: the ratio over independent resamples of each
 * side (the percentile interval of the ratio), as a relative change (ratio − 1).
 */
export function percentileRatioInterval(
  before: RunSamples,
  after: RunSamples,
  kind: LatencyKind,
  q: number,
  alpha: number,
): Interval | undefined {
  const b = latencyValues(before, kind);
  const a = latencyValues(after, kind);
  if (b.length === 0 || a.length === 0) return undefined;
  const random = mulberry32(seedOf(before, after) ^ kindSalt(kind, q));
  const db = percentileDistribution(b, q, random);
  const da = percentileDistribution(a, q, random);
  const ratios = da.map((x, i) => x / (db[i] ?? NaN) - 1);
  return quantiles(ratios, alpha);
}

function kindSalt(kind: LatencyKind, q: number): number {
  return (kind.charCodeAt(0) * 7919 + Math.round(q * 1000)) >>> 0;
}

/**
 * The bootstrap distribution of a run's tokens per second. Throughput is a run-level figure: its
 * requests share the wall time. What varies between requests is how many tokens each produced
 * in how long, so a resample of requests scales the run's figure by its ratio of sums
 * Σ tokens / Σ elapsed to the run's own (for a run at steady concurrency, the run's tokens per
 * second is that ratio times the concurrency).
 */
function throughputDistribution(run: RunSamples, random: () => number): number[] | undefined {
  const rs = run.requests;
  if (rs.length === 0) return undefined;
  const sumT = rs.reduce((n, r) => n + r.tokens, 0);
  const sumE = rs.reduce((n, r) => n + r.elapsedMs, 0);
  if (sumE <= 0) return undefined;
  const own = sumT / sumE;
  const out: number[] = [];
  for (let b = 0; b < BOOTSTRAP_RESAMPLES; b++) {
    let t = 0;
    let e = 0;
    for (let i = 0; i < rs.length; i++) {
      const r = rs[floor(random() * rs.length)];
      t += r?.tokens ?? 0;
      e += r?.elapsedMs ?? 0;
    }
    // A run with no token at all: its tokens per second is 0 in every resample.
    out.push(own === 0 ? 0 : e > 0 ? (run.tokensPerSecond * (t / e)) / own : NaN);
  }
  return out;
}

/** Interval of one run's tokens per second (an absolute minimum). */
export function throughputInterval(run: RunSamples, alpha: number): Interval | undefined {
  const d = throughputDistribution(run, mulberry32(seedOf(run) ^ 0x7470));
  return d ? quantiles(d, alpha) : undefined;
}

/** Interval of the relative change of tokens per second, after/before − 1. */
export function throughputRatioInterval(
  before: RunSamples,
  after: RunSamples,
  alpha: number,
): Interval | undefined {
  const random = mulberry32(seedOf(before, after) ^ 0x7470);
  const db = throughputDistribution(before, random);
  const da = throughputDistribution(after, random);
  if (!db || !da) return undefined;
  return quantiles(
    da.map((x, i) => x / (db[i] ?? NaN) - 1),
    alpha,
  );
}

/** The standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.928510446969, 138.357751867269, -30.66479806614716,
    2.506628274631,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
    -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
    4.374664141464968, 2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const at = (xs: number[], i: number): number => xs[i] ?? 0;
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((at(c, 0) * q + at(c, 1)) * q + at(c, 2)) * q + at(c, 3)) * q + at(c, 4)) * q +
        at(c, 5)) /
      ((((at(d, 0) * q + at(d, 1)) * q + at(d, 2)) * q + at(d, 3)) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((at(a, 0) * r + at(a, 1)) * r + at(a, 2)) * r + at(a, 3)) * r + at(a, 4)) * r + at(a, 5)) *
      q) /
    (((((at(b, 0) * r + at(b, 1)) * r + at(b, 2)) * r + at(b, 3)) * r + at(b, 4)) * r + 1)
  );
}

/** Wilson's `(1 − α)` interval of a proportion of `k` in `n`. */
export function wilsonInterval(k: number, n: number, alpha: number): Interval | undefined {
  if (n <= 0) return undefined;
  const z = normalQuantile(1 - alpha / 2);
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}
