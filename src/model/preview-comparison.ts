/**
 * The preview judged beside production, pure: production is the baseline, the preview the one
 * held to the `fail-if` limits, with the gate's own rules (intervals from the per-request samples,
 * exceeded / held / inconclusive, the error split over the looks). Both sides are measured at the
 * same time, so each look has the same number of requests on both.
 */
import type { BenchmarkSettings } from './benchmark-settings.js';
import {
  breaches,
  judgeLimits,
  metricChanges,
  type Breach,
  type LimitVerdict,
  type Measured,
  type MetricChange,
} from './gate.js';
import { nextBatch, undecided, type GatePlan } from './looks.js';

/** How the comparison came out at one look, and how many more requests each side needs. */
export interface PreviewJudgement {
  verdicts: LimitVerdict[];
  failed: Breach[];
  changes: MetricChange[];
  /** More requests per side for the next look; 0 when every limit is decided or no look is left. */
  more: number;
}

/** The verdicts of each limit on the preview, with production as the baseline, at this look. */
export function comparePreviewWithProduction(
  preview: Measured,
  production: Measured,
  failIf: BenchmarkSettings['failIf'],
  plan: GatePlan,
): PreviewJudgement {
  const verdicts = judgeLimits(
    failIf,
    preview,
    production,
    plan.alpha,
    'production could not be measured',
  );
  const open = undecided(verdicts);
  return {
    verdicts,
    failed: breaches(verdicts),
    changes: metricChanges(production, preview, plan.alpha),
    more: open.length > 0 ? nextBatch(plan, preview.measurement.requests) : 0,
  };
}
