/** The wait step: follow the rollout the update started, or the one under way. */
import type { Deployment, UpdateBody } from '../northflank/schema.js';
import { unreadableFields } from '../rollout/compare.js';
import type { StepResult } from '../rollout/outcome.js';
import { DEFAULT_POLL_POLICY } from '../rollout/poll-policy.js';
import { FAILED_STATUSES, GONE_STATUS, SERVING_STATUS } from '../rollout/status.js';
import { waitForRollout, type WaitOptions } from '../rollout/wait-loop.js';
import type { RunContext } from './context.js';
import type { SentUpdate } from './send-update.js';

/** Statuses that no rollout is under way in; any other (an unknown one too) may still change. */
const SETTLED_STATUSES: ReadonlySet<string> = new Set([
  SERVING_STATUS,
  GONE_STATUS,
  ...FAILED_STATUSES,
]);

/**
 * After the update: the rollout it started followed to its end (or the one under way, with
 * nothing sent); with `wait: false`, one reading. Nothing sent and nothing under way: the result
 * at once, with no wait group and no timeline.
 */
export async function followRollout(ctx: RunContext, u: SentUpdate): Promise<StepResult> {
  if (!ctx.settings.wait) return notWaited(ctx, u);
  const settled = settledWithoutUpdate(u);
  if (settled) return settled;
  ctx.record.followed = true;
  return ctx.log.group('Waiting for the rollout', () => waitStep(ctx, u));
}

/** Whether fields were given but all were in place, so nothing was sent. */
function isUnchanged(u: SentUpdate): boolean {
  return u.sent === undefined && u.plan.inPlace.length > 0;
}

/** What to do about a deployment that is down with the very configuration the workflow gives. */
function inPlaceButDownAdvice(status: string): string {
  return status === 'paused'
    ? 'Resume the deployment in Northflank.'
    : 'The crash is in this configuration: fix the spec, or set force: true to send it again and restart the deployment.';
}

/** Waits for the rollout the update started; with nothing sent, for the one under way. */
async function waitStep(ctx: RunContext, u: SentUpdate): Promise<StepResult> {
  const { settings } = ctx;
  const unchanged = isUnchanged(u);
  const waited = await waitForRollout({
    ...waitOptions(ctx),
    before: u.sent === undefined ? undefined : u.before,
    updateSentMs: u.updateSentMs,
    startedMs: ctx.startedMs,
    deadlineMs: ctx.deadlineMs,
    expectation: u.sent ? u.plan.expectation : undefined,
    sent: u.sent,
    // Nothing sent: the rollout under way counts only while it shows the given values.
    unchanged: unchanged ? { given: settings.update, planned: u.before } : undefined,
  });
  if (unchanged && (waited.outcome === 'crashed' || waited.outcome === 'paused')) {
    return {
      ...waited,
      message: `This configuration is already in place (nothing was sent), and the rollout that was under way ended ${waited.outcome}. ${inPlaceButDownAdvice(waited.outcome)}`,
    };
  }
  if (unchanged && waited.outcome === 'running') {
    return {
      ...waited,
      outcome: 'unchanged',
      message:
        'The configuration is already in place; nothing was sent. The rollout that was under way is now running.',
    };
  }
  return withUnconfirmedDomains(waited, u.sent);
}

/** A success after sending ports with `domains` says what no reading could confirm. */
function withUnconfirmedDomains(waited: StepResult, sent: UpdateBody | undefined): StepResult {
  if (!sent || unreadableFields(sent).length === 0) return waited;
  if (waited.outcome !== 'running' && waited.outcome !== 'updated') return waited;
  return {
    ...waited,
    message: `${waited.message} The ports' domains were sent, but GET never shows domains, so the action cannot confirm them: check them in Northflank.`,
  };
}

/**
 * Nothing was sent and no rollout is under way: the result at once, with nothing to wait for
 * (undefined when there is a rollout to follow).
 */
function settledWithoutUpdate(u: SentUpdate): StepResult | undefined {
  return isUnchanged(u) && SETTLED_STATUSES.has(u.before.status)
    ? unchangedSettled(u.before)
    : undefined;
}

/** The options every wait shares (the rollout's, and the revert's). */
export function waitOptions(
  ctx: RunContext,
): Omit<WaitOptions, 'before' | 'updateSentMs' | 'deadlineMs'> {
  const { api, settings } = ctx;
  return {
    // One attempt per read: the wait outlasts outages itself, up to the deadline.
    getDeployment: () => api.getDeployment({ attempts: 1 }),
    tracker: ctx.tracker,
    clock: ctx.clock,
    random: ctx.random,
    signal: ctx.signal,
    poll: { ...DEFAULT_POLL_POLICY, maxMs: settings.pollIntervalMs },
    rolloutStartGraceMs: settings.rolloutStartGraceMs,
    phaseLimits: settings.phaseLimits,
    log: ctx.log,
  };
}

/**
 * Nothing was sent and no rollout is under way: done at once. Running is success; crashed or
 * paused fails, since sending the same values again would not help.
 */
function unchangedSettled(current: Deployment): StepResult {
  const { status } = current;
  if (status === SERVING_STATUS) {
    return {
      outcome: 'unchanged',
      message: 'The configuration is already in place and running; nothing was sent.',
      deployment: current,
    };
  }
  if (status === GONE_STATUS) {
    return {
      outcome: 'deleting',
      message: 'The deployment is being deleted; nothing will serve.',
      deployment: current,
    };
  }
  return {
    outcome: status === 'paused' ? 'paused' : 'crashed',
    message: `This configuration is already in place, and the deployment is ${status}; nothing was sent. ${inPlaceButDownAdvice(status)}`,
    deployment: current,
  };
}

/** With `wait: false`: one reading after the update (none when nothing was sent), no wait. */
async function notWaited(ctx: RunContext, u: SentUpdate): Promise<StepResult> {
  if (isUnchanged(u)) {
    return {
      outcome: 'unchanged',
      message: 'The configuration is already in place; nothing was sent.',
      deployment: u.before,
    };
  }
  const deployment = await ctx.api.getDeployment();
  ctx.tracker.observe(deployment, ctx.clock.now(), false);
  return {
    outcome: 'not-waited',
    message: `${u.sent ? 'Update sent' : 'No update sent (no fields to change)'}; not waiting for the rollout (wait: false).`,
    deployment,
  };
}
