/**
 * Measure until it knows, pure: a fixed schedule of looks (requests, doubling up to
 * max-requests), the error split evenly over them (Bonferroni), and at each look whether to
 * send another batch. The baseline grows until its own intervals are narrow next to the
 * relative limits; the new rollout until no limit is inconclusive.
 */
import type { BenchmarkSettings } from './benchmark-settings.js';
import {
  judgeLimits,
  latencyParts,
  valueInterval,
  type LimitVerdict,
  type Measured,
} from './gate.js';
import { metricValue, METRICS } from './stats.js';

/** The measured requests per side at each look: `requests`, doubling, up to `maxRequests`. */
export function lookSchedule(requests: number, maxRequests: number): number[] {
  const looks = [requests];
  let n = requests;
  while (n < maxRequests) {
    n = Math.min(maxRequests, n * 2);
    looks.push(n);
  }
  return looks;
}

/** The gate's confidence and how it is split over its looks. */
export interface GatePlan {
  looks: number[];
  /** The confidence asked for (the benchmark's `confidence`). */
  confidence: number;
  /** The error each look may spend: (1 − confidence) / looks. */
  alpha: number;
}

/** The looks and the per-look error of a benchmark's settings. */
export function gatePlan(settings: BenchmarkSettings): GatePlan {
  const looks = lookSchedule(settings.requests, settings.maxRequests);
  return {
    looks,
    confidence: settings.confidence,
    alpha: (1 - settings.confidence) / looks.length,
  };
}

/** How many more requests the next look needs after `sent`; 0 past the last look. */
export function nextBatch(plan: GatePlan, sent: number): number {
  const next = plan.looks.find((n) => n > sent);
  return next === undefined ? 0 : next - sent;
}

/**
 * Whether the baseline is precise enough for every relative limit: its interval's half-width
 * (relative to its value) at most a quarter of the limit, so that the change's interval is
 * decided by the new rollout's requests, which can go on after the update.
 */
export function baselineSettled(
  settings: BenchmarkSettings,
  before: Measured,
  alpha: number,
): boolean {
  const m = before.measurement;
  // Every request failing: more of them would not make a baseline.
  if (m.requests > 0 && m.errors === m.requests) return true;
  for (const metric of METRICS) {
    const limit = settings.failIf[metric];
    if (limit?.kind !== 'relative') continue;
    if (metric !== 'tokens-per-second' && !latencyParts(metric)) continue;
    const value = metricValue(m, metric);
    const interval = valueInterval(metric, before, alpha);
    if (value === null || value <= 0 || !interval) return false;
    const half = (interval[1] - interval[0]) / 2 / value;
    if (half > limit.percent / 100 / 4) return false;
  }
  return true;
}

/** The limits that keep the new rollout's benchmark going: inconclusive, and none exceeded. */
export function undecided(verdicts: readonly LimitVerdict[]): LimitVerdict[] {
  if (verdicts.some((v) => v.status === 'exceeded')) return [];
  return verdicts.filter((v) => v.status === 'inconclusive');
}

/** The `more` of the new rollout's benchmark: another batch while a limit is undecided. */
export function afterMore(
  settings: BenchmarkSettings,
  plan: GatePlan,
  before: Measured | undefined,
  noBaseline: string | undefined,
  onMore: (open: LimitVerdict[], batch: number) => void,
): (soFar: Measured) => number {
  return (soFar) => {
    const open = undecided(judgeLimits(settings.failIf, soFar, before, plan.alpha, noBaseline));
    const batch = open.length > 0 ? nextBatch(plan, soFar.measurement.requests) : 0;
    if (batch > 0) onMore(open, batch);
    return batch;
  };
}
