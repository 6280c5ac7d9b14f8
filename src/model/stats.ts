/**
 * The benchmark's numbers from its requests' timestamps, pure. The definitions are those of
 * README's "Benchmark" section; percentiles interpolate linearly between the two nearest ranks,
 * as numpy's default method (and so vLLM's benchmark) does.
 */
import type { RequestRecord } from './stream-request.js';

/** p50, p90 and p99 of one latency in milliseconds; null when no request succeeded. */
export interface Percentiles {
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

/** One benchmark's result, as the `benchmark` output shows it. */
export interface Measurement {
  /** Measured requests (the warm-up is not counted). */
  requests: number;
  errors: number;
  /** Time to first token: request sent to the first chunk with non-empty `delta.content`. */
  ttftMs: Percentiles;
  /** Inter-token latency: (last content chunk − first) / (output tokens − 1), per request. */
  itlMs: Percentiles;
  /** End to end: request sent to the last content chunk. */
  e2eMs: Percentiles;
  /** All output tokens over the wall time from the first request sent to the last finished. */
  tokensPerSecond: number;
  outputTokens: number;
  /** Where the token counts came from: the usage chunk of every reply, or counting chunks. */
  tokensFrom: 'usage' | 'chunks';
}

/** The metrics a `fail-if` rule can name. */
export const METRICS = [
  'ttft-p50',
  'ttft-p90',
  'ttft-p99',
  'itl-p50',
  'itl-p90',
  'itl-p99',
  'e2e-p50',
  'e2e-p90',
  'e2e-p99',
  'tokens-per-second',
  'error-rate',
] as const;
export type Metric = (typeof METRICS)[number];

/** Below this many requests, p99 is in effect the slowest request. */
export const P99_MIN_REQUESTS = 100;

/** The q-quantile (0..1) of `values` by linear interpolation (numpy's default); null when empty. */
export function percentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const low = sorted[lo] ?? NaN;
  const high = sorted[Math.min(lo + 1, sorted.length - 1)] ?? NaN;
  return low + (h - lo) * (high - low);
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function percentiles(values: readonly number[]): Percentiles {
  const at = (q: number): number | null => {
    const v = percentile(values, q);
    return v === null ? null : round(v, 1);
  };
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}

/** The measurement of a set of finished requests (aborted ones are left out by the caller). */
export function summarise(records: readonly RequestRecord[]): Measurement {
  const ok = records.filter((r) => r.error === undefined);
  const ttft: number[] = [];
  const itl: number[] = [];
  const e2e: number[] = [];
  let outputTokens = 0;
  let allUsage = ok.length > 0;
  for (const r of ok) {
    if (r.firstContentMs === undefined || r.lastContentMs === undefined) continue;
    const tokens = r.usageTokens ?? r.contentChunks;
    if (r.usageTokens === undefined) allUsage = false;
    outputTokens += tokens;
    ttft.push(r.firstContentMs - r.sentMs);
    e2e.push(r.lastContentMs - r.sentMs);
    if (tokens > 1) itl.push((r.lastContentMs - r.firstContentMs) / (tokens - 1));
  }
  const first = Math.min(...records.map((r) => r.sentMs));
  const last = Math.max(...records.map((r) => r.endMs));
  const wallMs = records.length > 0 ? last - first : 0;
  return {
    requests: records.length,
    errors: records.length - ok.length,
    ttftMs: percentiles(ttft),
    itlMs: percentiles(itl),
    e2eMs: percentiles(e2e),
    tokensPerSecond: wallMs > 0 ? round((outputTokens * 1000) / wallMs, 1) : 0,
    outputTokens,
    tokensFrom: allUsage ? 'usage' : 'chunks',
  };
}

/** A metric's value in a measurement: milliseconds, tokens per second, or a fraction of errors. */
export function metricValue(m: Measurement, metric: Metric): number | null {
  if (metric === 'tokens-per-second') return m.tokensPerSecond;
  if (metric === 'error-rate') return m.requests > 0 ? m.errors / m.requests : null;
  const [kind, p] = metric.split('-') as ['ttft' | 'itl' | 'e2e', 'p50' | 'p90' | 'p99'];
  const group = kind === 'ttft' ? m.ttftMs : kind === 'itl' ? m.itlMs : m.e2eMs;
  return group[p];
}

/** Whether a higher value of the metric is better (throughput) or worse (latency, errors). */
export function higherIsBetter(metric: Metric): boolean {
  return metric === 'tokens-per-second';
}
