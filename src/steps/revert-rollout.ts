/** The revert step: put the previous values back after a failed rollout of ours. */
import { NorthflankClient } from '../northflank/client.js';
import type { RunDeps } from '../runner/deps.js';
import { formatDuration } from '../duration.js';
import { CancelledError, errorMessage } from '../errors.js';
import type { Settings } from '../config/settings.js';
import { rolloutExpectation, type FieldChange } from '../rollout/plan.js';
import { changesFrom } from '../rollout/compare.js';
import { planRevert, revertSkipReason } from '../rollout/revert-plan.js';
import { withoutRepeats } from '../sentences.js';
import type { Deployment, UpdateBody } from '../northflank/schema.js';
import { RolloutTracker } from '../rollout/tracker.js';
import { waitForRollout } from '../rollout/wait-loop.js';
import type { WaitResult } from '../rollout/outcome.js';
import type { StepResult as Result } from './result.js';
import { sendUpdate } from './send-update.js';
import { waitOptions } from './follow-rollout.js';

/**
 * Whether to put the previous values back: a rollout of ours crashed or ran out of time, or it
 * runs but its model does not answer or serves worse than the benchmark's limits allow.
 */
export function shouldRevert(result: Result, tracker: RolloutTracker, sent: UpdateBody): boolean {
  // A rollout that runs is kept when only the action's own time ran out (its benchmark).
  if (result.rolloutRuns === true) return false;
  if (Object.keys(sent).length === 0) return false;
  // Only a rollout of ours is the update's doing: a deployment that was crashed before the
  // update and stayed so, or that serves worse on the configuration from before, is not. Any
  // rollout of ours counts, whatever the update changed (metadata only too).
  const ours = tracker.currentRolloutSpans().length > 0;
  return ['regressed', 'smoke-failed', 'crashed', 'timeout'].includes(result.outcome) && ours;
}

/** How the revert's message names what it followed. */
function revertedAfter(failed: Result): string {
  if (failed.outcome === 'regressed') return 'Reverted after the regression';
  if (failed.outcome === 'smoke-failed') return 'Reverted because the model did not answer';
  return 'Reverted';
}

/** Sends the pre-update values of what the update changed, and waits for that rollout. */
export async function revertStep(
  api: NorthflankClient,
  settings: Settings,
  revert: { timeoutMs: number },
  deps: RunDeps,
  tracker: RolloutTracker,
  r: { failed: Result; sent: UpdateBody; before: Deployment; changes: readonly FieldChange[] },
): Promise<Result> {
  const { clock, log } = deps;
  const skipped = revertSkipReason(r.before, r.changes);
  if (skipped !== undefined) {
    log.info(`Not reverting: ${skipped}.`);
    return { ...r.failed, message: `${r.failed.message} No revert was sent: ${skipped}.` };
  }
  const failedAt = r.failed.deployment ?? tracker.last ?? r.before;
  const plan = planRevert(r.sent, r.before);
  const leftOver =
    plan.notReverted.length > 0
      ? ` Not reverted: ${plan.notReverted.map((c) => c.path).join(', ')} (not set before the update; Northflank merges a spec, so an update cannot unset them: remove them in Northflank, or set them in your spec).`
      : '';
  const revertFailed = (deployment: Deployment | undefined, why: string): Result => ({
    outcome: 'revert-failed',
    title: 'Revert failed',
    deployment,
    notReverted: plan.notReverted,
    message: `${r.failed.message} ${why} Restore the previous configuration in Northflank.${leftOver}`,
  });
  const fields = Object.keys(plan.body);
  if (plan.invalid !== undefined) {
    return revertFailed(
      failedAt,
      `The previous values break a rule of the API (${plan.invalid}), so they were not sent back.`,
    );
  }
  if (fields.length === 0) {
    return revertFailed(
      failedAt,
      'The update only set spec settings that were not set before, and a merge cannot unset them, so there was nothing to send back.',
    );
  }

  const revertSentMs = clock.now();
  const deadlineMs = revertSentMs + revert.timeoutMs;
  // The revert has its own time: the step's timeout may be what just ran out.
  api.extendDeadline(deadlineMs);
  tracker.startRevert();
  log.info(
    `Sending the previous values of ${fields.join(', ')}; waiting up to ${formatDuration(revert.timeoutMs)} for the deployment to run them again.`,
  );
  const expectation = rolloutExpectation(changesFrom(plan.body, failedAt), plan.body, false);
  let waited: WaitResult;
  try {
    await sendUpdate(api, plan.body, failedAt, settings, deps, tracker);
    waited = await waitForRollout({
      ...waitOptions(api, settings, deps, tracker),
      before: failedAt,
      updateSentMs: revertSentMs,
      deadlineMs,
      // The deadlines per phase are for the new rollout; getting the previous one back may take
      // as long as revert-timeout allows.
      phaseLimits: undefined,
      expectation,
      sent: plan.body,
      timeoutInput: 'revert-timeout',
    });
  } catch (error) {
    if (error instanceof CancelledError) throw error;
    return revertFailed(tracker.last, `The revert failed too: ${errorMessage(error)}.`);
  }
  if (waited.outcome !== 'running' && waited.outcome !== 'updated') {
    // The revert's own wait words its failure from scratch; what the first failure said stays said.
    const why = withoutRepeats(waited.message, r.failed.message);
    return revertFailed(waited.deployment, `The revert did not bring it back: ${why}`);
  }
  const id = waited.deployment?.deploymentConfiguration?.id;
  return {
    ...waited,
    notReverted: plan.notReverted,
    outcome: 'reverted',
    title:
      r.failed.outcome === 'regressed' ? 'Serving regressed; reverted' : 'Rollout failed; reverted',
    message: `${r.failed.message} ${revertedAfter(r.failed)}: the previous values of ${fields.join(', ')} were sent back, and the deployment runs them again${id ? ` (configuration ${id})` : ''}${plan.notReverted.length > 0 ? ', except for the settings the update added (below)' : ''}. The step fails because the deploy did.${leftOver}`,
  };
}
