/**
 * The report, made from what the run learnt, whichever step ended it: the last step's result,
 * the record the steps kept on the way (what was planned, sent and measured) and the timeline.
 * Pure.
 */
import { describeChange, type UpdatePlan } from '../rollout/plan.js';
import { planVerdict } from '../rollout/plan-verdict.js';
import { SUCCESSFUL_OUTCOMES, type Outcome, type StepResult } from '../rollout/outcome.js';
import type { RolloutTracker } from '../rollout/tracker.js';
import type { RunRecord, RunReport } from './report.js';

/** The run's report; `requestCount` is the Northflank requests the run made. */
export function buildReport(
  result: StepResult,
  record: RunRecord,
  tracker: RolloutTracker,
  elapsedMs: number,
  requestCount: number,
): RunReport {
  const plan = record.planned?.plan;
  const before = record.planned?.before;
  const failedReason = SUCCESSFUL_OUTCOMES.has(result.outcome) ? undefined : result.outcome;
  const reason = record.reason ?? failedReason;
  return {
    outcome: result.outcome,
    ...(reason ? { reason } : {}),
    message: withChanges(result, plan),
    title: result.title ?? titleFor(result),
    deployment: result.deployment ?? tracker.last,
    // The reading before the update alone is no rollout: no timeline for a run that followed none.
    timeline: record.sent !== undefined || record.followed ? tracker.timeline : [],
    timelineOriginMs: tracker.originMs,
    elapsedMs,
    target: record.target,
    updatedFields: Object.keys(record.sent ?? {}),
    ...(plan ? { inPlace: plan.inPlace } : {}),
    ...(plan?.unreadable.length && (record.sent || record.dryRun)
      ? { resent: plan.unreadable }
      : {}),
    requestCount,
    ...(plan ? { changes: plan.changes, verdict: planVerdict(plan) } : {}),
    ...(before?.deploymentConfiguration?.id
      ? { previousConfigurationId: before.deploymentConfiguration.id }
      : {}),
    ...(result.notReverted ? { notReverted: result.notReverted } : {}),
    ...(result.models ? { models: result.models } : {}),
    ...(result.reply === undefined ? {} : { reply: result.reply }),
    ...(record.benchmark ? { benchmark: record.benchmark } : {}),
    ...(record.replanned ? { replanned: record.replanned } : {}),
    ...(record.preview ? { preview: record.preview } : {}),
    ...(record.sweep ? { sweep: record.sweep } : {}),
  };
}

/** Outcomes where the rollout itself failed: naming what the update changed helps. */
const ROLLOUT_FAILURES: ReadonlySet<Outcome> = new Set<Outcome>([
  'crashed',
  'rolled-back',
  'paused',
  'timeout',
  'reverted',
  'revert-failed',
  'smoke-failed',
  'regressed',
]);

const MAX_CHANGES_IN_MESSAGE = 5;

/** A failed rollout's message names the changes it carried. */
function withChanges(result: StepResult, plan: UpdatePlan | undefined): string {
  if (!plan || plan.changes.length === 0 || !ROLLOUT_FAILURES.has(result.outcome)) {
    return result.message;
  }
  const shown = plan.changes.slice(0, MAX_CHANGES_IN_MESSAGE).map(describeChange).join('; ');
  const more = plan.changes.length - MAX_CHANGES_IN_MESSAGE;
  return `${result.message} The update carried: ${shown}${more > 0 ? `; and ${more} more` : ''}.`;
}

const TITLES: Partial<Record<Outcome, string>> = {
  crashed: 'Rollout crashed',
  paused: 'Deployment paused',
  deleting: 'Deployment being deleted',
  deleted: 'Deployment deleted',
  'rolled-back': 'Rolled back',
  superseded: 'Superseded by another update',
  timeout: 'Timed out',
  cancelled: 'Cancelled',
  'smoke-failed': 'Smoke test failed',
  regressed: 'Serving regressed',
  reverted: 'Rollout failed; reverted',
  'revert-failed': 'Revert failed',
};

function titleFor(result: StepResult): string {
  return TITLES[result.outcome] ?? 'Deploy failed';
}
