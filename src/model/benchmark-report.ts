/** What a run reports of its benchmark, and the `benchmark` output made from it. Pure. */
import type { BenchmarkSettings } from './benchmark-settings.js';
import type { Breach, Verdict } from './gate.js';
import type { Measurement } from './stats.js';

/** The benchmark's part of the run's report. */
export interface BenchmarkReport {
  settings: Pick<BenchmarkSettings, 'requests' | 'concurrency' | 'warmup' | 'maxTokens'>;
  /** The serving model before the update; absent without a baseline. */
  before?: Measurement;
  /** The new rollout; absent when it could not be measured (a cancel during the baseline). */
  after?: Measurement;
  verdicts: Verdict[];
  failed: Breach[];
  /** Why there is no baseline, when there is none. */
  noBaseline?: string;
  /** Whether `ignore_eos` was sent with every request (false once a server refused it). */
  ignoreEos: boolean;
  /** How a benchmark was cut short, if one was. */
  stopped?: { which: 'before' | 'after'; why: 'cancelled' | 'deadline' };
}

/** The `benchmark` output: `before` (without a baseline, absent), `after`, `failed`. */
export function benchmarkOutput(report: BenchmarkReport): string {
  return JSON.stringify({
    ...(report.before ? { before: report.before } : {}),
    ...(report.after ? { after: report.after } : {}),
    failed: report.failed,
  });
}
