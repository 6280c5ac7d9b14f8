/** The wait step: follow the rollout the update started, or the one under way. */
import { NorthflankClient } from '../northflank/client.js';
import type { Clock } from '../clock.js';
import type { RunDeps } from '../runner/deps.js';
import type { Settings } from '../config/settings.js';
import type { UpdatePlan } from '../rollout/plan.js';
import { unreadableFields } from '../rollout/compare.js';
import { FAILED_STATUSES, GONE_STATUS, SERVING_STATUS } from '../rollout/status.js';
import type { Deployment, UpdateBody } from '../northflank/schema.js';
import { DEFAULT_POLL_POLICY } from '../rollout/poll-policy.js';
import { RolloutTracker } from '../rollout/tracker.js';
import { waitForRollout, type WaitOptions } from '../rollout/wait-loop.js';
import type { WaitResult } from '../rollout/outcome.js';

/** What the wait needs to know about the update. */
export interface UpdateContext {
  before: Deployment;
  plan: UpdatePlan;
  /** The body sent; undefined when nothing was. */
  sent: UpdateBody | undefined;
  updateSentMs: number;
  startedMs: number;
}

/** Statuses that no rollout is under way in; any other (an unknown one too) may still change. */
const SETTLED_STATUSES: ReadonlySet<string> = new Set([
  SERVING_STATUS,
  GONE_STATUS,
  ...FAILED_STATUSES,
]);

/** Whether fields were given but all were in place, so nothing was sent. */
function isUnchanged(u: UpdateContext): boolean {
  return u.sent === undefined && u.plan.inPlace.length > 0;
}

/** What to do about a deployment that is down with the very configuration the workflow gives. */
function inPlaceButDownAdvice(status: string): string {
  return status === 'paused'
    ? 'Resume the deployment in Northflank.'
    : 'The crash is in this configuration: fix the spec, or set force: true to send it again and restart the deployment.';
}

/** Waits for the rollout the update started; with nothing sent, for the one under way. */
export async function waitStep(
  api: NorthflankClient,
  settings: Settings,
  deps: RunDeps,
  tracker: RolloutTracker,
  u: UpdateContext,
): Promise<WaitResult> {
  const unchanged = isUnchanged(u);
  const settled = settledWithoutUpdate(u);
  if (settled) return settled;
  const waited = await waitForRollout({
    ...waitOptions(api, settings, deps, tracker),
    before: u.sent === undefined ? undefined : u.before,
    updateSentMs: u.updateSentMs,
    startedMs: u.startedMs,
    deadlineMs: u.startedMs + settings.timeoutMs,
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
function withUnconfirmedDomains(waited: WaitResult, sent: UpdateBody | undefined): WaitResult {
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
export function settledWithoutUpdate(u: UpdateContext): WaitResult | undefined {
  return isUnchanged(u) && SETTLED_STATUSES.has(u.before.status)
    ? unchangedSettled(u.before)
    : undefined;
}

/** The options every wait shares. */
export function waitOptions(
  api: NorthflankClient,
  settings: Settings,
  deps: RunDeps,
  tracker: RolloutTracker,
): Omit<WaitOptions, 'before' | 'updateSentMs' | 'deadlineMs'> {
  return {
    // One attempt per read: the wait outlasts outages itself, up to the deadline.
    getDeployment: () => api.getDeployment({ attempts: 1 }),
    tracker,
    clock: deps.clock,
    random: deps.random,
    signal: deps.signal,
    poll: { ...DEFAULT_POLL_POLICY, maxMs: settings.pollIntervalMs },
    rolloutStartGraceMs: settings.rolloutStartGraceMs,
    phaseLimits: settings.phaseLimits,
    log: deps.log,
  };
}

/**
 * Nothing was sent and no rollout is under way: done at once. Running is success; crashed or
 * paused fails, since sending the same values again would not help.
 */
function unchangedSettled(current: Deployment): WaitResult {
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
export async function notWaited(
  api: NorthflankClient,
  tracker: RolloutTracker,
  clock: Clock,
  u: UpdateContext,
): Promise<WaitResult> {
  if (isUnchanged(u)) {
    return {
      outcome: 'unchanged',
      message: 'The configuration is already in place; nothing was sent.',
      deployment: u.before,
    };
  }
  const deployment = await api.getDeployment();
  tracker.observe(deployment, clock.now(), false);
  return {
    outcome: 'not-waited',
    message: `${u.sent ? 'Update sent' : 'No update sent (no fields to change)'}; not waiting for the rollout (wait: false).`,
    deployment,
  };
}
