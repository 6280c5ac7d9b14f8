/**
 * The preview judged beside production, pure: production is the baseline, the preview the one
 * held to the `fail-if` limits. The one place the comparison is decided: both sides come with
 * their per-request samples, so that a gate judging on intervals from samples replaces the body
 * of this function alone. Today's gate judges on the summaries.
 */
import type { BenchmarkSettings } from './benchmark-settings.js';
import { breaches, judgeLimits, type Breach, type GateVerdict } from './gate.js';
import type { Measurement } from './stats.js';
import type { RequestRecord } from './stream-request.js';

/** One side's measurement: the summary, and each measured request it was made from. */
export interface SideSamples {
  measurement: Measurement;
  records: readonly RequestRecord[];
}

/** The verdicts of each limit on the preview, with production as the baseline. */
export function comparePreviewWithProduction(
  preview: SideSamples,
  production: SideSamples,
  failIf: BenchmarkSettings['failIf'],
): { verdicts: GateVerdict[]; failed: Breach[] } {
  const verdicts = judgeLimits(
    failIf,
    preview.measurement,
    production.measurement,
    'production could not be measured',
  );
  return { verdicts, failed: breaches(verdicts) };
}
