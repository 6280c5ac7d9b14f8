/**
 * The `fail-if` gate, pure: each limit judged on a confidence interval, not on one number. A
 * relative limit is judged on the interval of the change from the baseline (after/before − 1),
 * an absolute one on the interval of the metric after the rollout. `exceeded`: the whole
 * interval is past the limit; `held`: the whole interval is within it; else `inconclusive`.
 * Only `exceeded` fails the step. The method is docs/benchmark.md's "How the gate decides".
 */
import type { BenchmarkSettings, Limit } from './benchmark-settings.js';
import {
  isCutShort,
  percentileInterval,
  percentileRatioInterval,
  throughputInterval,
  throughputRatioInterval,
  wilsonInterval,
  type Interval,
  type LatencyKind,
  type RunSamples,
} from './intervals.js';
import { higherIsBetter, METRICS, metricValue, type Measurement, type Metric } from './stats.js';

/** One side of the comparison: what the run reports, and the samples its intervals come from. */
export interface Measured {
  measurement: Measurement;
  samples: RunSamples;
}

export type LimitStatus = 'exceeded' | 'held' | 'inconclusive' | 'not-judged';

/** How one `fail-if` rule came out. */
export interface LimitVerdict {
  metric: Metric;
  /** The limit as written, e.g. `+25%`, `2s`, `-15%`, `5%`. */
  limit: string;
  /** The baseline's value; undefined without a baseline. */
  before: number | null | undefined;
  after: number | null;
  /** The value `after` is held to (relative limits: computed from the baseline's value). */
  bound: number | undefined;
  status: LimitStatus;
  /**
   * The interval the verdict was made on: of the change (after/before − 1) for a relative limit,
   * of the metric itself for an absolute one; at `confidence`.
   */
  interval?: Interval;
  /** What `interval` is of. */
  of?: 'change' | 'value';
  /** The confidence of `interval` (after the correction for repeated looks). */
  confidence?: number;
  /** An inconclusive limit: about how many requests per side would settle it. */
  settleRequests?: number;
  /** Why it was not judged, or is only a lower bound (a run cut short). */
  reason?: string;
}

/** The change of one metric, before → after, with its interval (every metric, gated or not). */
export interface MetricChange {
  metric: Metric;
  before: number | null;
  after: number | null;
  /** after/before − 1. */
  change: number | null;
  interval?: Interval;
}

/** An entry of the output's `failed` list. */
export interface Breach {
  metric: Metric;
  before?: number | null;
  after: number | null;
  limit: string;
  interval?: Interval;
}

const LATENCY_Q: Record<string, number> = { p50: 0.5, p90: 0.9, p99: 0.99 };

/** A latency metric's kind and quantile; undefined for throughput and errors. */
export function latencyParts(metric: Metric): { kind: LatencyKind; q: number } | undefined {
  const [kind, p] = metric.split('-');
  if (kind !== 'ttft' && kind !== 'itl' && kind !== 'e2e') return undefined;
  return { kind, q: LATENCY_Q[p ?? ''] ?? 0.5 };
}

/** The interval of the relative change of `metric`, after/before − 1; error-rate has none. */
export function changeInterval(
  metric: Metric,
  before: RunSamples,
  after: RunSamples,
  alpha: number,
): Interval | undefined {
  if (metric === 'error-rate') return undefined;
  if (metric === 'tokens-per-second') return throughputRatioInterval(before, after, alpha);
  const parts = latencyParts(metric);
  return parts && percentileRatioInterval(before, after, parts.kind, parts.q, alpha);
}

/** The interval of `metric` itself on one run. */
export function valueInterval(metric: Metric, run: Measured, alpha: number): Interval | undefined {
  if (metric === 'tokens-per-second') return throughputInterval(run.samples, alpha);
  if (metric === 'error-rate') {
    const m = run.measurement;
    return wilsonInterval(m.errors, m.requests + (m.cutOff ?? 0), alpha);
  }
  const parts = latencyParts(metric);
  return parts && percentileInterval(run.samples, parts.kind, parts.q, alpha);
}

/** Every metric's change with its interval, for the report (at `alpha`). */
export function metricChanges(before: Measured, after: Measured, alpha: number): MetricChange[] {
  return METRICS.map((metric) => {
    const b = metricValue(before.measurement, metric);
    const a = metricValue(after.measurement, metric);
    const change = b === null || a === null || b === 0 ? null : a / b - 1;
    const interval = changeInterval(metric, before.samples, after.samples, alpha);
    return { metric, before: b, after: a, change, ...(interval ? { interval } : {}) };
  });
}

/**
 * Judges every limit at `alpha` (already split over the looks). `noBaseline` says why there is
 * no baseline, when there is none; relative limits are then not judged.
 */
export function judgeLimits(
  failIf: BenchmarkSettings['failIf'],
  after: Measured,
  before: Measured | undefined,
  alpha: number,
  noBaseline = 'there is no baseline',
): LimitVerdict[] {
  const verdicts: LimitVerdict[] = [];
  for (const metric of METRICS) {
    const limit = failIf[metric];
    if (limit) verdicts.push(judgeOne(metric, limit, after, before, alpha, noBaseline));
  }
  return isCutShort(after.samples) ? cutShortVerdicts(verdicts) : verdicts;
}

function judgeOne(
  metric: Metric,
  limit: Limit,
  after: Measured,
  before: Measured | undefined,
  alpha: number,
  noBaseline: string,
): LimitVerdict {
  const afterValue = metricValue(after.measurement, metric);
  const beforeValue = before ? metricValue(before.measurement, metric) : undefined;
  const base = { metric, limit: limit.text, before: beforeValue, after: afterValue };
  const notJudged = (reason: string): LimitVerdict => ({
    ...base,
    bound: undefined,
    status: 'not-judged',
    reason,
  });
  const up = !higherIsBetter(metric);
  let bound: number;
  let interval: Interval | undefined;
  let threshold: number;
  if (limit.kind === 'absolute') {
    bound = limit.value;
    threshold = bound;
    interval = valueInterval(metric, after, alpha);
  } else {
    if (!before) return notJudged(`a relative limit needs a baseline, and ${noBaseline}`);
    if (beforeValue === null || beforeValue === undefined || beforeValue <= 0) {
      return notJudged('the baseline has no value for it (no request succeeded before)');
    }
    threshold = up ? limit.percent / 100 : -limit.percent / 100;
    bound = beforeValue * (1 + threshold);
    interval = changeInterval(metric, before.samples, after.samples, alpha);
  }
  const of = limit.kind === 'absolute' ? ('value' as const) : ('change' as const);
  const confidence = 1 - alpha;
  if (afterValue === null || !interval) {
    // Errors have no latency: with every request failing, a latency limit cannot have held.
    if (metric === 'error-rate') return notJudged('no request was measured');
    if (after.measurement.requests > 0 && after.measurement.errors === after.measurement.requests) {
      return { ...base, bound, status: 'exceeded', reason: 'no request succeeded' };
    }
    if (!interval) return notJudged('too few requests to have an interval');
  }
  // Exactly at the limit holds; the margin keeps a computed bound's rounding from deciding.
  const margin = Math.abs(threshold) * 1e-9 + 1e-12;
  const [lo, hi] = interval;
  const past = up ? lo > threshold + margin : hi < threshold - margin;
  const within = up ? hi <= threshold + margin : lo >= threshold - margin;
  const status: LimitStatus = past ? 'exceeded' : within ? 'held' : 'inconclusive';
  const verdict: LimitVerdict = { ...base, bound, status, interval: [lo, hi], of, confidence };
  if (status === 'inconclusive') {
    const settle = settleEstimate(lo, hi, threshold, after.measurement.requests);
    if (settle !== undefined) verdict.settleRequests = settle;
  }
  return verdict;
}

/**
 * About how many requests per side would settle an inconclusive limit: an interval narrows as
 * 1/√n, so it clears the limit when its half-width shrinks below the centre's distance to it.
 * Undefined when the centre sits on the limit (no number of requests settles it for sure).
 */
export function settleEstimate(
  lo: number,
  hi: number,
  threshold: number,
  requests: number,
): number | undefined {
  const centre = (lo + hi) / 2;
  const half = (hi - lo) / 2;
  const distance = Math.abs(centre - threshold);
  if (requests <= 0 || distance < half * 0.05) return undefined;
  return Math.ceil(requests * (half / distance) ** 2);
}

/**
 * The verdicts of a run cut short (the step's timeout): its samples are censored (the requests
 * cut off at their time so far, the ones never sent as unknown; intervals.ts), so its intervals
 * are of lower bounds of the full run's latencies. They can show that a limit was exceeded,
 * never that it held: everything but `exceeded` is not judged, and says why.
 */
function cutShortVerdicts(verdicts: readonly LimitVerdict[]): LimitVerdict[] {
  return verdicts.map((v) =>
    v.status === 'exceeded' || v.status === 'not-judged'
      ? v
      : {
          ...v,
          status: 'not-judged',
          reason:
            'the benchmark was cut short: the requests cut off can show that a limit was exceeded, not that it holds',
        },
  );
}

/** The verdicts set aside, each `not-judged` for `reason`. */
export function notJudged(verdicts: readonly LimitVerdict[], reason: string): LimitVerdict[] {
  return verdicts.map((v) => ({ ...v, bound: undefined, status: 'not-judged', reason }));
}

/** The output's `failed` list: the exceeded limits. */
export function breaches(verdicts: readonly LimitVerdict[]): Breach[] {
  return verdicts
    .filter((v) => v.status === 'exceeded')
    .map((v) => ({
      metric: v.metric,
      ...(v.before === undefined ? {} : { before: v.before }),
      after: v.after,
      limit: v.limit,
      ...(v.interval ? { interval: v.interval } : {}),
    }));
}

/** A metric's value with its unit: `212.4 ms`, `123.4 tokens/s`, `6.3%`. */
export function formatMetric(metric: Metric, value: number | null | undefined): string {
  if (value === null || value === undefined) return 'n/a';
  if (metric === 'tokens-per-second') return `${value.toFixed(1)} tokens/s`;
  if (metric === 'error-rate') return `${(value * 100).toFixed(1)}%`;
  return `${value.toFixed(1)} ms`;
}

/** The relative change from before to after, e.g. `+12.5%`; empty when it has no meaning. */
export function formatChange(before: number | null | undefined, after: number | null): string {
  if (before === null || before === undefined || after === null || before === 0) return '';
  return formatRatio(after / before - 1);
}

/** A relative change as a signed percentage: `+12.5%`, `-3.0%`. */
export function formatRatio(change: number): string {
  const pct = change * 100;
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}%`;
}

/** An interval of a change (`-4.1% to +6.0%`) or of a value (`190.2 ms to 230.9 ms`). */
export function formatInterval(metric: Metric, interval: Interval, of: 'change' | 'value'): string {
  const [lo, hi] = interval;
  if (of === 'change') return `${formatRatio(lo)} to ${formatRatio(hi)}`;
  return `${formatMetric(metric, lo)} to ${formatMetric(metric, hi)}`;
}

/** Whether a change's interval spans zero: no change within the noise. */
export function withinNoise(interval: Interval | undefined): boolean {
  return interval !== undefined && interval[0] <= 0 && interval[1] >= 0;
}

/** `190.0 ms → 230.0 ms (+21.1%, 95% interval +12.0% to +30.2%)`, or `no change within noise`. */
export function describeChange(c: MetricChange, confidence: number): string {
  const from = formatMetric(c.metric, c.before);
  const to = formatMetric(c.metric, c.after);
  if (c.change === null) return `${from} → ${to}`;
  if (!c.interval) return `${from} → ${to} (${formatRatio(c.change)})`;
  const range = `${percentText(confidence)} interval ${formatInterval(c.metric, c.interval, 'change')}`;
  if (withinNoise(c.interval)) return `${from} → ${to} (no change within noise: ${range})`;
  return `${from} → ${to} (${formatRatio(c.change)}, ${range})`;
}

/** `95%`, `98.3%`. */
export function percentText(confidence: number): string {
  const pct = confidence * 100;
  return `${Number.isInteger(Math.round(pct * 10) / 10) ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

/** One exceeded limit in words, with both values, the interval and the limit. */
export function describeBreach(v: LimitVerdict): string {
  // A relative limit is shown with the value it came to; an absolute one is that value.
  const relative = /^[+-]/.test(v.limit);
  const bound = v.bound === undefined || !relative ? '' : ` (${formatMetric(v.metric, v.bound)})`;
  if (v.after === null) {
    return `${v.metric}: no request succeeded after the rollout (limit ${v.limit}${bound})`;
  }
  const kind = higherIsBetter(v.metric) ? 'below the minimum' : 'above the limit';
  const range =
    v.interval && v.of && v.confidence !== undefined
      ? `, ${percentText(v.confidence)} interval ${formatInterval(v.metric, v.interval, v.of)}`
      : '';
  const cut = v.reason ? ` (${v.reason})` : '';
  if (v.before === undefined || v.before === null) {
    return `${v.metric} is ${formatMetric(v.metric, v.after)}${range ? ` (${range.slice(2)})` : ''}, ${kind} ${v.limit}${cut}`;
  }
  const change = formatChange(v.before, v.after);
  const word = v.after > v.before ? 'rose' : v.after < v.before ? 'fell' : 'stayed';
  return `${v.metric} ${word} from ${formatMetric(v.metric, v.before)} to ${formatMetric(v.metric, v.after)}${change ? ` (${change}${range})` : ''}, ${kind} ${v.limit}${bound}${cut}`;
}
