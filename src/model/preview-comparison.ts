/**
 * The preview judged beside production, pure: production's measurement is the baseline, the
 * preview's the one held to the `fail-if` limits. The one place the comparison is decided, so
 * that a stricter gate (intervals from per-request samples) replaces it here alone.
 */
import type { BenchmarkSettings } from './benchmark-settings.js';
import { breaches, judgeLimits, type Breach, type GateVerdict } from './gate.js';
import type { Measurement } from './stats.js';

/** The verdicts of each limit on the preview, with production as the baseline. */
export function comparePreviewWithProduction(
  preview: Measurement,
  production: Measurement,
  failIf: BenchmarkSettings['failIf'],
): { verdicts: GateVerdict[]; failed: Breach[] } {
  const verdicts = judgeLimits(failIf, preview, production, 'production could not be measured');
  return { verdicts, failed: breaches(verdicts) };
}
