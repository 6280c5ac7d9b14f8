/**
 * The `fail-if` gate, pure: each limit judged against the measurement after the rollout, and,
 * for relative limits, against the baseline measured before it.
 */
import type { BenchmarkSettings, Limit } from './benchmark-settings.js';
import { higherIsBetter, METRICS, metricValue, type Measurement, type Metric } from './stats.js';

/** How one `fail-if` rule came out. */
export interface GateVerdict {
  metric: Metric;
  /** The limit as written, e.g. `+25%`, `2s`, `-15%`, `5%`. */
  limit: string;
  /** The baseline's value; undefined without a baseline. */
  before: number | null | undefined;
  after: number | null;
  /** The value `after` is held to (relative limits: computed from the baseline). */
  bound: number | undefined;
  status: 'held' | 'breached' | 'not-judged';
  /** Why it was not judged. */
  reason?: string;
}

/** An entry of the output's `failed` list. */
export interface Breach {
  metric: Metric;
  before?: number | null;
  after: number | null;
  limit: string;
}

/**
 * Judges every limit. `noBaseline` says why there is no baseline, when there is none; relative
 * limits are then not judged.
 */
export function judgeLimits(
  failIf: BenchmarkSettings['failIf'],
  after: Measurement,
  before: Measurement | undefined,
  noBaseline = 'there is no baseline',
): GateVerdict[] {
  const verdicts: GateVerdict[] = [];
  for (const metric of METRICS) {
    const limit = failIf[metric];
    if (limit) verdicts.push(judgeOne(metric, limit, after, before, noBaseline));
  }
  return verdicts;
}

function judgeOne(
  metric: Metric,
  limit: Limit,
  after: Measurement,
  before: Measurement | undefined,
  noBaseline: string,
): GateVerdict {
  const afterValue = metricValue(after, metric);
  const beforeValue = before ? metricValue(before, metric) : undefined;
  const base = { metric, limit: limit.text, before: beforeValue, after: afterValue };
  const notJudged = (reason: string): GateVerdict => ({
    ...base,
    bound: undefined,
    status: 'not-judged',
    reason,
  });
  let bound: number;
  if (limit.kind === 'absolute') {
    bound = limit.value;
  } else {
    if (!before) return notJudged(`a relative limit needs a baseline, and ${noBaseline}`);
    if (beforeValue === null || beforeValue === undefined || beforeValue <= 0) {
      return notJudged('the baseline has no value for it (no request succeeded before)');
    }
    bound = higherIsBetter(metric)
      ? beforeValue * (1 - limit.percent / 100)
      : beforeValue * (1 + limit.percent / 100);
  }
  if (afterValue === null) {
    // Errors have no latency: with every request failing, a latency limit cannot have held.
    return metric === 'error-rate'
      ? notJudged('no request was measured')
      : { ...base, bound, status: 'breached', reason: 'no request succeeded' };
  }
  // Exactly at the limit holds; the margin keeps a computed bound's rounding from deciding.
  const margin = Math.abs(bound) * 1e-9;
  const breached = higherIsBetter(metric)
    ? afterValue < bound - margin
    : afterValue > bound + margin;
  return { ...base, bound, status: breached ? 'breached' : 'held' };
}

/** The verdicts set aside, each `not-judged` for `reason`. */
export function notJudged(verdicts: readonly GateVerdict[], reason: string): GateVerdict[] {
  return verdicts.map((v) => ({ ...v, bound: undefined, status: 'not-judged', reason }));
}

/**
 * The verdicts of a run cut short (the step's timeout), judged on what finished: valid evidence
 * that serving got worse, never that a limit held. The requests cut off are the slow end of the
 * distribution, so the latency percentiles of the finished ones can only rise with them; the
 * tokens per second count every token received until the stop, and the error rate counts the
 * unfinished requests as successes (see stats.ts), so neither can be worse than the whole run's
 * would have been. A breach stands; a limit that held is not judged, and says why.
 */
export function judgeLimitsCutShort(
  verdicts: readonly GateVerdict[],
  after: Measurement,
  reason: string,
): GateVerdict[] {
  if (after.requests === 0)
    return notJudged(verdicts, `${reason}, before any measured request finished`);
  return verdicts.map((v) =>
    v.status === 'breached'
      ? v
      : {
          ...v,
          bound: undefined,
          status: 'not-judged',
          reason: `${reason}: what finished can show a breach, not that the limit holds`,
        },
  );
}

/** The output's `failed` list: the breached limits. */
export function breaches(verdicts: readonly GateVerdict[]): Breach[] {
  return verdicts
    .filter((v) => v.status === 'breached')
    .map((v) => ({
      metric: v.metric,
      ...(v.before === undefined ? {} : { before: v.before }),
      after: v.after,
      limit: v.limit,
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
  const change = ((after - before) / before) * 100;
  return `${change >= 0 ? '+' : ''}${change.toFixed(1)}%`;
}

/** One breached limit in words, with both values and the limit. */
export function describeBreach(v: GateVerdict): string {
  // A relative limit is shown with the value it came to; an absolute one is that value.
  const relative = /^[+-]/.test(v.limit);
  const bound = v.bound === undefined || !relative ? '' : ` (${formatMetric(v.metric, v.bound)})`;
  if (v.after === null) {
    return `${v.metric}: no request succeeded after the rollout (limit ${v.limit}${bound})`;
  }
  const kind = higherIsBetter(v.metric) ? 'below the minimum' : 'above the limit';
  if (v.before === undefined || v.before === null) {
    return `${v.metric} is ${formatMetric(v.metric, v.after)}, ${kind} ${v.limit}`;
  }
  const change = formatChange(v.before, v.after);
  const word = v.after > v.before ? 'rose' : v.after < v.before ? 'fell' : 'stayed';
  return `${v.metric} ${word} from ${formatMetric(v.metric, v.before)} to ${formatMetric(v.metric, v.after)}${change ? ` (${change})` : ''}, ${kind} ${v.limit}${bound}`;
}
