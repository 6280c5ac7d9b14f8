/** The revert step: put the previous values back after a failed rollout of ours. */
import { formatDuration } from '../duration.js';
import { CancelledError, errorMessage } from '../errors.js';
import type { Deployment, UpdateBody } from '../northflank/schema.js';
import { changesFrom } from '../rollout/compare.js';
import type { StepResult } from '../rollout/outcome.js';
import { rolloutExpectation } from '../rollout/plan.js';
import { planRevert, revertSkipReason } from '../rollout/revert-plan.js';
import { waitForRollout } from '../rollout/wait-loop.js';
import { withoutRepeats } from '../sentences.js';
import type { RunContext } from './context.js';
import { waitOptions } from './follow-rollout.js';
import { sendUpdate, type SentUpdate } from './send-update.js';

/** A rollout of ours that failed: the step's result, and the update that started it. */
export interface FailedRollout {
  failed: StepResult;
  update: SentUpdate;
}

/**
 * Whether to put the previous values back: a rollout of ours crashed or ran out of time, or it
 * runs but its model does not answer or serves worse than the benchmark's limits allow.
 */
export function shouldRevert(ctx: RunContext, result: StepResult, update: SentUpdate): boolean {
  const { sent } = update;
  if (!ctx.settings.revert || !sent) return false;
  // A rollout that runs is kept when only the action's own time ran out (its benchmark).
  if (result.rolloutRuns === true) return false;
  if (Object.keys(sent).length === 0) return false;
  // Only a rollout of ours is the update's doing: a deployment that was crashed before the
  // update and stayed so, or that serves worse on the configuration from before, is not. Any
  // rollout of ours counts, whatever the update changed (metadata only too).
  const ours = ctx.tracker.currentRolloutSpans().length > 0;
  return ['regressed', 'smoke-failed', 'crashed', 'timeout'].includes(result.outcome) && ours;
}

/**
 * The result of a failed run that `revert-on-failure` did not revert, saying why: a failure that
 * names no revert would leave the user guessing whether one was tried (hostile pass, issue 25).
 */
export function withNoRevertReason(
  ctx: RunContext,
  result: StepResult,
  update: SentUpdate,
): StepResult {
  if (!ctx.settings.revert || !update.sent || SERVING.has(result.outcome)) return result;
  // Already said: superseded (reverts nothing), the benchmark's own timeout, a revert's result.
  if (/revert/i.test(result.message) || result.rolloutRuns === true) return result;
  const id = update.before.deploymentConfiguration?.id;
  const why = ['crashed', 'timeout', 'smoke-failed', 'regressed'].includes(result.outcome)
    ? `no rollout of this update was seen: what ${result.outcome === 'timeout' ? 'ran out of time' : 'failed'} is the configuration from before the update${id ? ` (${id})` : ''}, so there is nothing of this update's to put back`
    : `revert-on-failure puts back the previous values after a rollout of this update crashed, ran out of time, did not answer or regressed; a deployment that is ${result.outcome} is not one a revert can fix`;
  ctx.log.info(`Not reverting: ${why}.`);
  return { ...result, message: `${result.message} No revert was sent: ${why}.` };
}

const SERVING: ReadonlySet<string> = new Set([
  'running',
  'updated',
  'unchanged',
  'no-rollout',
  'not-waited',
  'cancelled',
]);

/** How the revert's message names what it followed. */
function revertedAfter(failed: StepResult): string {
  if (failed.outcome === 'regressed') return 'Reverted after the regression';
  if (failed.outcome === 'smoke-failed') return 'Reverted because the model did not answer';
  return 'Reverted';
}

/** Sends the pre-update values of what the update changed, and waits for that rollout. */
export async function revertStep(
  ctx: RunContext,
  { failed, update }: FailedRollout,
): Promise<StepResult> {
  const { before, plan: updatePlan, sent } = update;
  const revert = ctx.settings.revert;
  if (!revert || !sent) return failed;
  const skipped = revertSkipReason(before, updatePlan, ctx.settings.force);
  if (skipped !== undefined) {
    ctx.log.info(`Not reverting: ${skipped}.`);
    return { ...failed, message: `${failed.message} No revert was sent: ${skipped}.` };
  }
  const failedAt = failed.deployment ?? ctx.tracker.last ?? before;
  const plan = planRevert(sent, before);
  const leftOver =
    plan.notReverted.length > 0
      ? ` Not reverted: ${plan.notReverted.map((c) => c.path).join(', ')} (not set before the update; Northflank merges a spec, so an update cannot unset them: remove them in Northflank, or set them in your spec).`
      : '';
  const revertFailed = (deployment: Deployment | undefined, why: string): StepResult => ({
    outcome: 'revert-failed',
    title: 'Revert failed',
    deployment,
    notReverted: plan.notReverted,
    message: `${failed.message} ${why} Restore the previous configuration in Northflank.${leftOver}`,
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
  let waited: StepResult;
  try {
    waited = await sendRevert(ctx, plan.body, failedAt, revert.timeoutMs);
  } catch (error) {
    if (error instanceof CancelledError) throw error;
    return revertFailed(ctx.tracker.last, `The revert failed too: ${errorMessage(error)}.`);
  }
  if (waited.outcome !== 'running' && waited.outcome !== 'updated') {
    // The revert's own wait words its failure from scratch; what the first failure said stays said.
    const why = withoutRepeats(waited.message, failed.message);
    const lower = why.replace(/^The /, 'the ');
    return revertFailed(waited.deployment, `The revert did not bring it back: ${lower}`);
  }
  return reverted(failed, waited, plan, leftOver);
}

/** The revert ran: the deployment runs the previous values again; the step fails all the same. */
function reverted(
  failed: StepResult,
  waited: StepResult,
  plan: ReturnType<typeof planRevert>,
  leftOver: string,
): StepResult {
  const id = waited.deployment?.deploymentConfiguration?.id;
  return {
    ...waited,
    notReverted: plan.notReverted,
    outcome: 'reverted',
    title:
      failed.outcome === 'regressed' ? 'Serving regressed; reverted' : 'Rollout failed; reverted',
    message: `${failed.message} ${revertedAfter(failed)}: the previous values of ${restoredFields(plan.body)} were sent back, and the deployment runs them again${id ? ` (configuration ${id})` : ''}${plan.notReverted.length > 0 ? ', except for the settings the update added (below)' : ''}. The step fails because the deploy did.${leftOver}`,
  };
}

/** The fields a revert sent back, and what of them it could not restore (a port's domains). */
function restoredFields(body: UpdateBody): string {
  const withDomains = body.ports?.some((p) => p.domains !== undefined) === true;
  return Object.keys(body)
    .map((field) =>
      field === 'ports' && withDomains
        ? 'ports (with the domains this update sent: the ones from before cannot be read)'
        : field,
    )
    .join(', ');
}

/** Sends the previous values and waits, within revert-timeout, for the deployment to run them. */
async function sendRevert(
  ctx: RunContext,
  body: UpdateBody,
  failedAt: Deployment,
  timeoutMs: number,
): Promise<StepResult> {
  const revertSentMs = ctx.clock.now();
  const deadlineMs = revertSentMs + timeoutMs;
  // The revert has its own time: the step's timeout may be what just ran out.
  ctx.api.extendDeadline(deadlineMs);
  ctx.tracker.startRevert();
  ctx.log.info(
    `Sending the previous values of ${Object.keys(body).join(', ')}; waiting up to ${formatDuration(timeoutMs)} for the deployment to run them again.`,
  );
  const expectation = rolloutExpectation(changesFrom(body, failedAt), body, false);
  await sendUpdate(ctx, body, failedAt);
  return waitForRollout({
    ...waitOptions(ctx),
    before: failedAt,
    updateSentMs: revertSentMs,
    deadlineMs,
    // The deadlines per phase are for the new rollout; getting the previous one back may take
    // as long as revert-timeout allows.
    phaseLimits: undefined,
    expectation,
    sent: body,
    timeoutInput: 'revert-timeout',
  });
}
