/**
 * The benchmark's numbers from its requests' timestamps, pure. The definitions are those of
 * README's "Benchmark" section; percentiles interpolate linearly between the two nearest ranks,
 * as numpy's default method (and so vLLM's benchmark) does.
 */
import type { RequestSample } from './intervals.js';
import type { RequestRecord } from './stream-request.js';

/** p50, p90 and p99 of one latency in milliseconds; null when no request succeeded. */
export interface Percentiles {
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

/** One benchmark's result, as the `benchmark` output shows it. */
export interface Measurement {
  /** Measured requests that finished (the warm-up is not counted). */
  requests: number;
  errors: number;
  /** Time to first token: request sent to the first chunk with a token (answer or reasoning). */
  ttftMs: Percentiles;
  /** Inter-token latency: (last token chunk − first) / (output tokens − 1), per request. */
  itlMs: Percentiles;
  /** End to end: request sent to the last token chunk. */
  e2eMs: Percentiles;
  /**
   * All output tokens over the wall time from the first request sent to the last finished; of a
   * run cut short, every token received until the stop over the time until the stop.
   */
  tokensPerSecond: number;
  /** Tokens of the successful replies, reasoning and answer. */
  outputTokens: number;
  /** Where the token counts came from: the usage chunk of every reply, or counting chunks. */
  tokensFrom: 'usage' | 'chunks';
  /**
   * Of `outputTokens`, the reasoning model's thinking: `usage.completion_tokens_details.
   * reasoning_tokens` where the server reports it, else its reasoning chunks (one per token).
   */
  reasoningTokens: number;
  /** Of `outputTokens`, the answer: the rest. */
  answerTokens: number;
  /** Chunks that carried reasoning (`delta.reasoning_content`, `delta.reasoning`). */
  reasoningChunks: number;
  /** Chunks that carried answer text (`delta.content`). */
  answerChunks: number;
  /** Replies whose usage chunk was not believed (outside the chunks streamed and max_tokens). */
  usageIgnored?: number;
  /**
   * A run cut short (the step's timeout): the requests in flight at the stop, not counted in the
   * figures above except the tokens per second and the error rate, where they count as successes.
   */
  cutOff?: number;
}

/** What a run cut short left unfinished: the requests in flight, and when it stopped. */
export interface CutShort {
  inFlight: readonly RequestRecord[];
  stoppedMs: number;
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
export function percentile(values: readonly number[], q: number, presorted = false): number | null {
  if (values.length === 0) return null;
  const sorted = presorted ? values : [...values].sort((a, b) => a - b);
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

/** How a run's measurement is taken beyond its finished requests. */
export interface SummaryOptions {
  /** A run cut short: its requests in flight at the stop. */
  cut?: CutShort;
  /** The wall time of the measured requests (summed over batches); else from the timestamps. */
  wallMs?: number;
  /** The request's max_tokens: a usage count above it (or below the chunks) is not believed. */
  maxTokens?: number;
}

/** A reply's output tokens: usage when plausible, else its chunks; and whether usage was set aside. */
export function tokensOf(
  r: RequestRecord,
  maxTokens = Infinity,
): { tokens: number; reasoning: number; usageIgnored: boolean } {
  const chunks = r.answerChunks + r.reasoningChunks;
  const usage = r.usageTokens;
  // Each token chunk carries at least one token, and max_tokens bounds the reply: a usage count
  // outside that (negative, fractional, huge, or 0 with tokens streamed) is the server's slip.
  const plausible =
    usage !== undefined &&
    Number.isInteger(usage) &&
    usage >= chunks &&
    usage <= Math.max(maxTokens, chunks);
  const tokens = plausible ? usage : chunks;
  const reported = r.usageReasoningTokens;
  const reasoningPlausible =
    plausible &&
    reported !== undefined &&
    Number.isInteger(reported) &&
    reported >= 0 &&
    reported <= tokens &&
    (reported === 0 || r.reasoningChunks > 0);
  const reasoning = Math.min(tokens, reasoningPlausible ? reported : r.reasoningChunks);
  const usageIgnored =
    (usage !== undefined && !plausible) ||
    (plausible && reported !== undefined && !reasoningPlausible);
  return { tokens, reasoning, usageIgnored };
}

/** The wall time of a set of requests: first sent to the last finished (or to the stop). */
export function wallOf(records: readonly RequestRecord[], cut?: CutShort): number {
  const all = [...records, ...(cut?.inFlight ?? [])];
  if (all.length === 0) return 0;
  const first = Math.min(...all.map((r) => r.sentMs));
  const last = cut ? cut.stoppedMs : Math.max(...records.map((r) => r.endMs));
  return Math.max(0, last - first);
}

/**
 * The measurement of a set of finished requests (aborted ones are left out by the caller); with
 * `cut`, of a run cut short, whose unfinished requests count for throughput and the error rate.
 */
export function summarise(
  records: readonly RequestRecord[],
  options: SummaryOptions = {},
): Measurement {
  const { cut, maxTokens } = options;
  const ok = records.filter((r) => r.error === undefined);
  const ttft: number[] = [];
  const itl: number[] = [];
  const e2e: number[] = [];
  let outputTokens = 0;
  let reasoningTokens = 0;
  let reasoningChunks = 0;
  let answerChunks = 0;
  let usageIgnored = 0;
  let allUsage = ok.length > 0;
  for (const r of ok) {
    if (r.firstTokenMs === undefined || r.lastTokenMs === undefined) continue;
    const t = tokensOf(r, maxTokens);
    if (r.usageTokens === undefined || t.usageIgnored) allUsage = false;
    if (t.usageIgnored) usageIgnored++;
    outputTokens += t.tokens;
    reasoningTokens += t.reasoning;
    reasoningChunks += r.reasoningChunks;
    answerChunks += r.answerChunks;
    ttft.push(r.firstTokenMs - r.sentMs);
    e2e.push(r.lastTokenMs - r.sentMs);
    if (t.tokens > 1) itl.push((r.lastTokenMs - r.firstTokenMs) / (t.tokens - 1));
  }
  // Cut short: the server's output until the stop, the unfinished replies' tokens so far too.
  // Up to there the load was whole; the finished requests alone would leave out work it did.
  const wallMs = options.wallMs ?? wallOf(records, cut);
  const received =
    outputTokens +
    (cut?.inFlight ?? []).reduce((n, r) => n + r.answerChunks + r.reasoningChunks, 0);
  return {
    requests: records.length,
    errors: records.length - ok.length,
    ttftMs: percentiles(ttft),
    itlMs: percentiles(itl),
    e2eMs: percentiles(e2e),
    tokensPerSecond: wallMs > 0 ? round((received * 1000) / wallMs, 1) : 0,
    outputTokens,
    tokensFrom: allUsage ? 'usage' : 'chunks',
    reasoningTokens,
    answerTokens: outputTokens - reasoningTokens,
    reasoningChunks,
    answerChunks,
    ...(usageIgnored > 0 ? { usageIgnored } : {}),
    ...(cut ? { cutOff: cut.inFlight.length } : {}),
  };
}

/** One request as a sample of the run (intervals.ts): its latencies, tokens and time. */
export function sampleOf(r: RequestRecord, maxTokens?: number, stoppedMs?: number): RequestSample {
  if (r.aborted) {
    const tokens = r.answerChunks + r.reasoningChunks;
    return {
      ok: false,
      cutOff: true,
      tokens,
      elapsedMs: Math.max(0, (stoppedMs ?? r.endMs) - r.sentMs),
      ...(r.firstTokenMs === undefined ? {} : { ttftMs: r.firstTokenMs - r.sentMs }),
    };
  }
  const elapsedMs = Math.max(0, r.endMs - r.sentMs);
  if (r.error !== undefined || r.firstTokenMs === undefined || r.lastTokenMs === undefined) {
    return { ok: r.error === undefined, tokens: 0, elapsedMs };
  }
  const { tokens } = tokensOf(r, maxTokens);
  return {
    ok: true,
    tokens,
    elapsedMs,
    ttftMs: r.firstTokenMs - r.sentMs,
    e2eMs: r.lastTokenMs - r.sentMs,
    ...(tokens > 1 ? { itlMs: (r.lastTokenMs - r.firstTokenMs) / (tokens - 1) } : {}),
  };
}

/** A metric's value in a measurement: milliseconds, tokens per second, or a fraction of errors. */
export function metricValue(m: Measurement, metric: Metric): number | null {
  if (metric === 'tokens-per-second') return m.tokensPerSecond;
  if (metric === 'error-rate') {
    // Cut short: the unfinished requests count as successes, the best they could have done.
    const sent = m.requests + (m.cutOff ?? 0);
    return m.requests > 0 ? m.errors / sent : null;
  }
  const [kind, p] = metric.split('-') as ['ttft' | 'itl' | 'e2e', 'p50' | 'p90' | 'p99'];
  const group = kind === 'ttft' ? m.ttftMs : kind === 'itl' ? m.itlMs : m.e2eMs;
  return group[p];
}

/** Whether a higher value of the metric is better (throughput) or worse (latency, errors). */
export function higherIsBetter(metric: Metric): boolean {
  return metric === 'tokens-per-second';
}
