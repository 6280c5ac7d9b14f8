/**
 * The report model: everything the end of a run reports, success or failure, whichever step
 * ended it. Data only; report/outputs.ts, summary.ts and comment-body.ts render it.
 */
import type { DeploymentRef } from '../northflank/client.js';
import type { Deployment, UpdateBody } from '../northflank/schema.js';
import type { FieldChange, PlannedUpdate } from '../rollout/plan.js';
import type { PlanVerdict } from '../rollout/plan-verdict.js';
import type { TimelineEntry } from '../rollout/tracker.js';
import type { Outcome } from '../rollout/outcome.js';
import type { BenchmarkSettings } from '../model/benchmark-settings.js';
import type { Breach, LimitVerdict, MetricChange } from '../model/gate.js';
import type { Measurement } from '../model/stats.js';
import type { GpuUse, SweepDecision } from '../rollout/preview-identity.js';

/**
 * What a run learnt on its way, whichever step ends it: the steps record it as they go, so that a
 * failure anywhere still reports what was planned, sent and measured.
 */
export interface RunRecord {
  /** The deployment, once the inputs are read (empty before). */
  target: Partial<DeploymentRef>;
  /** Whether the run is a dry run (a plan). */
  dryRun: boolean;
  /** The deployment as read before the update, and the update planned on it. */
  planned?: PlannedUpdate;
  /** The body of the update Northflank accepted; undefined when nothing was sent. */
  sent?: UpdateBody;
  /** Whether the run followed a rollout (waited for one), so its timeline means something. */
  followed?: boolean;
  /** With `benchmark`: what it measured so far (a cancel reports it too). */
  benchmark?: BenchmarkReport;
  /** The deployment moved during the baseline: what moved, and how the update was planned again. */
  replanned?: string;
  /** Why the run failed, kept across a revert (which changes the outcome). */
  reason?: string;
  /** With mode preview: the pull request's preview, as far as the run got. */
  preview?: PreviewRecord;
  /** With mode sweep: what it found, deleted and kept. */
  sweep?: SweepRecord;
}

/** A pull request's preview, for the outputs, the summary and the comment. */
export interface PreviewRecord {
  id: string;
  name: string;
  pullRequest: number | undefined;
  /** The production deployment it previews (read only). */
  production: string;
  /** What the run did to it. */
  action?: 'created' | 'updated' | 'deleted' | 'already-gone';
  /** Its public URL, once a reading showed one. */
  url?: string;
  status?: string;
  expiresAt?: string;
  gpu?: GpuUse;
  /** GPU-hours since it was created, when Northflank gives the GPU type. */
  gpuHours?: number;
  /** With `benchmark`: preview and production measured side by side. */
  comparison?: PreviewComparison;
}

/** The side-by-side benchmark of a preview and production. */
export interface PreviewComparison {
  preview: Measurement;
  production: Measurement;
  /** The limits' verdicts, the preview judged against production as baseline. */
  verdicts: LimitVerdict[];
  /** Every metric's change, production → preview, with its interval. */
  changes: MetricChange[];
  failed: Breach[];
  /** The confidence of each interval (after the correction for repeated looks). */
  confidence: number;
  /** Requests per side (sent to both at once). */
  requests: number;
  concurrency: number;
}

/** What a sweep found in the project, and what became of it. */
export interface SweepRecord {
  decisions: (SweepDecision & { result?: string })[];
}

/** Everything the end of a run reports, success or failure. */
export interface RunReport {
  outcome: Outcome;
  /**
   * Why the step failed, in one word (crashed, timeout, smoke-failed, regressed, no-baseline,
   * ...); with a revert, why it reverted. Undefined on success.
   */
  reason?: string;
  /** What happened and, on failure, what to try. */
  message: string;
  /** A short title for the failure annotation. */
  title: string;
  deployment: Deployment | undefined;
  timeline: readonly TimelineEntry[];
  /** When the update was sent, the timeline's origin; without it, the first reading. */
  timelineOriginMs?: number | undefined;
  elapsedMs: number;
  target: Partial<DeploymentRef>;
  /** Whether an update was sent, and its fields (names only: values may be long). */
  updatedFields: readonly string[];
  /** The given fields the plan found already in place. */
  inPlace?: readonly string[];
  /**
   * Fields sent although what GET shows of them was in place, because GET cannot show all of
   * them (`ports`: a port's domains); among `updatedFields`.
   */
  resent?: readonly string[];
  requestCount: number;
  /** What the update changed (with a dry run: would change), leaf by leaf. */
  changes?: FieldChange[];
  /** What the plan does, from what it sends: the one verdict of the log, summary and comment. */
  verdict?: PlanVerdict;
  /** The configuration before the update. */
  previousConfigurationId?: string;
  /** With a revert: spec leaves the failed update added, which a revert cannot remove. */
  notReverted?: FieldChange[];
  /** With a smoke test: the models the endpoint listed, and the reply to the prompt. */
  models?: string[];
  reply?: string;
  /** With a benchmark: before and after, and the fail-if verdicts. */
  benchmark?: BenchmarkReport;
  /** With `pr-comment`: the comment written, or why none was. */
  prComment?: PullRequestCommentNote;
  /** The deployment moved during the baseline, and the update was planned again (the warning). */
  replanned?: string;
  /** With mode preview: the pull request's preview. */
  preview?: PreviewRecord;
  /** With mode sweep: what it found, deleted and kept. */
  sweep?: SweepRecord;
}

/** What became of the pull request comment, for the job summary. */
export type PullRequestCommentNote =
  | { written: 'created' | 'updated' | 'unchanged'; url: string | undefined }
  | { written: false; reason: string };

/** How the gate looked: its schedule, and the confidence of each look's intervals. */
export interface GateVerdict {
  looks: number[];
  lookConfidence: number;
}

/** The benchmark's part of the run's report. */
export interface BenchmarkReport {
  settings: Pick<
    BenchmarkSettings,
    'requests' | 'concurrency' | 'warmup' | 'maxTokens' | 'maxRequests' | 'confidence'
  >;
  /** The serving model before the update; absent without a baseline. */
  before?: Measurement;
  /** The new rollout; absent when it could not be measured (a cancel during the baseline). */
  after?: Measurement;
  /** Each fail-if limit's verdict, on its interval. */
  verdicts: LimitVerdict[];
  failed: Breach[];
  /** Every metric's change with its interval, when both sides were measured. */
  changes?: MetricChange[];
  /** The gate's looks (requests per side at each) and the confidence each look's intervals have. */
  gate?: GateVerdict;
  /** The first different error messages of each side, to quote. */
  errors?: { before?: string[]; after?: string[] };
  /** Why the benchmark did not run at all (a run that rolled nothing out). */
  skipped?: string;
  /** Why there is no baseline, when there is none. */
  noBaseline?: string;
  /** Whether `ignore_eos` was sent with every request (false once a server refused it). */
  ignoreEos: boolean;
  /** How a benchmark was cut short, if one was. */
  stopped?: { which: 'before' | 'after'; why: 'cancelled' | 'deadline' };
}
