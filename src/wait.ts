import type { Clock } from './clock.js';
import { formatDuration } from './duration.js';
import { DeadlineError, NorthflankApiError } from './errors.js';
import type { Logger } from './log.js';
import {
  FAILED_STATUSES,
  GONE_STATUS,
  IN_PROGRESS_STATUSES,
  SERVING_STATUS,
  isDifferentRollout,
} from './rollout.js';
import type { Deployment } from './schema.js';

/** How a wait ended. Only `running` and `no-rollout` are successes. */
export type Outcome =
  | 'running'
  | 'no-rollout'
  | 'crashed'
  | 'paused'
  | 'deleting'
  | 'deleted'
  | 'timeout'
  | 'cancelled'
  | 'not-waited'
  | 'dry-run'
  | 'smoke-failed'
  | 'error';

export const SUCCESSFUL_OUTCOMES: ReadonlySet<Outcome> = new Set([
  'running',
  'no-rollout',
  'not-waited',
  'dry-run',
]);

/** One status the deployment held, and for how long (until `endMs`, or still). */
export interface TimelineEntry {
  status: string;
  /** Whether this was still the rollout from before the update. */
  previousRollout: boolean;
  startMs: number;
  endMs?: number;
}

/** What has been seen of the deployment so far; kept outside the wait so a failure can report it. */
export class RolloutTracker {
  readonly timeline: TimelineEntry[] = [];
  last: Deployment | undefined;

  /** Records a reading; returns the entry it ended when the status (or the rollout) changed. */
  observe(
    deployment: Deployment,
    nowMs: number,
    previousRollout: boolean,
  ): TimelineEntry | undefined {
    this.last = deployment;
    const current = this.timeline.at(-1);
    if (current?.status === deployment.status && current.previousRollout === previousRollout) {
      return undefined;
    }
    if (current) current.endMs = nowMs;
    this.timeline.push({ status: deployment.status, previousRollout, startMs: nowMs });
    return current;
  }
}

/** A timeline entry as text: `running (previous rollout)`. */
export function describeEntry(entry: Pick<TimelineEntry, 'status' | 'previousRollout'>): string {
  return entry.previousRollout ? `${entry.status} (previous rollout)` : entry.status;
}

/** What the wait knows when it judges a reading. */
export interface Judgement {
  /** The deployment before the update; undefined when no update was sent (wait for the current one). */
  before: Deployment | undefined;
  current: Deployment;
  /** Whether a reading since the update already belonged to the new rollout. */
  newRolloutSeen: boolean;
  sinceUpdateMs: number;
  rolloutStartGraceMs: number;
}

export type Verdict =
  | { done: false; newRollout: boolean }
  | { done: true; newRollout: boolean; outcome: Outcome; message: string };

/** Whether a reading is of the new rollout: a new configuration, or the old one left `running`. */
function belongsToNewRollout(j: Judgement): boolean {
  if (j.before === undefined || j.newRolloutSeen) return true;
  if (isDifferentRollout(j.before, j.current)) return true;
  // Same configuration id, but the deployment left a settled state: the id may lag behind the
  // status, and a rollout under way after we changed it is ours.
  return !IN_PROGRESS_STATUSES.has(j.before.status) && IN_PROGRESS_STATUSES.has(j.current.status);
}

/** Decides, from one reading, whether the wait is over and how it ended. Pure. */
export function judge(j: Judgement): Verdict {
  const { status } = j.current;
  const newRollout = belongsToNewRollout(j);
  if (status === GONE_STATUS) {
    return {
      done: true,
      newRollout,
      outcome: 'deleting',
      message: 'The deployment is being deleted; nothing will serve.',
    };
  }
  if (newRollout) {
    if (status === SERVING_STATUS) {
      return { done: true, newRollout, outcome: 'running', message: 'The new rollout is running.' };
    }
    if (FAILED_STATUSES.has(status)) {
      return {
        done: true,
        newRollout,
        outcome: status === 'paused' ? 'paused' : 'crashed',
        message:
          status === 'paused'
            ? 'The deployment was paused during the rollout; resume it in Northflank and run the workflow again.'
            : j.before === undefined
              ? "The deployment crashed; no update was sent, as no fields to change were given. Check the deployment's logs in Northflank (model name, GPU type and memory, vLLM settings)."
              : "The new rollout crashed. Check the deployment's logs in Northflank (model name, GPU type and memory, vLLM settings) and fix the spec.",
      };
    }
    return { done: false, newRollout };
  }
  // Still the old rollout: a stale read, or an update that needs no rollout. After the grace
  // period the update is taken to have started none, instead of hanging until the timeout.
  if (j.sinceUpdateMs >= j.rolloutStartGraceMs) {
    const grace = formatDuration(j.rolloutStartGraceMs);
    if (status === SERVING_STATUS) {
      return {
        done: true,
        newRollout,
        outcome: 'no-rollout',
        message: `No new rollout was observed within ${grace} of the update; the deployment is running its previous configuration. The update probably changed nothing that needs a rollout (name, description or tags, or the same spec).`,
      };
    }
    if (FAILED_STATUSES.has(status)) {
      return {
        done: true,
        newRollout,
        outcome: status === 'paused' ? 'paused' : 'crashed',
        message: `No new rollout was observed within ${grace} of the update, and the deployment is still ${status}. Change the spec to start a new rollout, or fix the deployment in Northflank.`,
      };
    }
  }
  return { done: false, newRollout };
}

/** How often to check. */
export interface PollPolicy {
  /** The shortest pause between checks. */
  minMs: number;
  /** The longest pause: the `poll-interval` input. */
  maxMs: number;
  /**
   * While the next status could be `running`, the pause stays under this fraction of the time
   * since the update: that bounds how late success is seen, relative to the rollout's length.
   */
  fraction: number;
  /** After a status change the pause is this many times the time since the change. */
  rampFactor: number;
}

export const DEFAULT_POLL_POLICY: Omit<PollPolicy, 'maxMs'> = {
  // Under the 1 s / 5% latency target, with room for the request itself.
  minMs: 900,
  fraction: 0.045,
  rampFactor: 2,
};

/** What the poll policy looks at. */
export interface PollState {
  sinceUpdateMs: number;
  /** Time since the status last changed (or the rollout did). */
  sinceChangeMs: number;
  status: string;
  /** Whether the reading belongs to the new rollout. */
  newRollout: boolean;
}

/** The pause before the next check. Pure. */
export function nextPollDelayMs(policy: PollPolicy, state: PollState): number {
  // Quick checks right after a change (a crash often follows `starting` within seconds), then
  // back off as the status holds.
  const ramp = Math.max(policy.minMs, policy.rampFactor * state.sinceChangeMs);
  // `running` follows `starting`, never `pending` or `provisioning`: only where it may come next
  // (or the rollout has not been seen yet) does the latency bound apply. This is what keeps a
  // long GPU rollout frugal with the token's hourly budget.
  const servingMayBeNext = !state.newRollout || !EARLY_STATUSES.has(state.status);
  const bound = servingMayBeNext
    ? Math.max(policy.minMs, policy.fraction * state.sinceUpdateMs)
    : Infinity;
  return Math.round(Math.min(policy.maxMs, ramp, bound));
}

const EARLY_STATUSES: ReadonlySet<string> = new Set(['pending', 'provisioning']);

/** How a wait is run; every source of time and I/O is passed in. */
export interface WaitOptions {
  before: Deployment | undefined;
  /** Clock time at which the update was sent (or the wait began, without an update). */
  updateSentMs: number;
  /** Clock time at which the step started, which `timeout` counts from; defaults to updateSentMs. */
  startedMs?: number;
  getDeployment: () => Promise<Deployment>;
  tracker: RolloutTracker;
  clock: Clock;
  signal: AbortSignal;
  deadlineMs: number;
  poll: PollPolicy;
  rolloutStartGraceMs: number;
  log: Logger;
  /** Log "still <status>" at most this often while nothing changes. */
  heartbeatMs?: number;
}

export interface WaitResult {
  outcome: Outcome;
  message: string;
  deployment: Deployment | undefined;
}

const DEFAULT_HEARTBEAT_MS = 60_000;
/** Time kept before the deadline for one last reading (and that request's own timeout). */
const LAST_LOOK_MARGIN_MS = 500;

function timedOut(options: WaitOptions, last: Deployment | undefined): WaitResult {
  const waited = formatDuration(options.clock.now() - (options.startedMs ?? options.updateSentMs));
  return {
    outcome: 'timeout',
    deployment: last,
    message: `Timed out after ${waited} waiting for the new rollout; the last status was "${last?.status ?? 'unknown'}". Raise the "timeout" input if the model needs longer to load, or check the deployment in Northflank.`,
  };
}

/** Polls until the new rollout is running, fails, or the deadline passes. */
export async function waitForRollout(options: WaitOptions): Promise<WaitResult> {
  const { clock, tracker, log } = options;
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  let newRolloutSeen = false;
  let lastLogMs = clock.now();
  let firstReading = true;
  for (;;) {
    let current: Deployment;
    try {
      current = await options.getDeployment();
    } catch (error) {
      // At the deadline, a failed last look changes nothing: the wait timed out.
      if (
        error instanceof DeadlineError ||
        clock.now() >= options.deadlineMs - LAST_LOOK_MARGIN_MS
      ) {
        return timedOut(options, tracker.last);
      }
      if (error instanceof NorthflankApiError && error.status === 404) {
        return {
          outcome: 'deleted',
          deployment: tracker.last,
          message: `The deployment is gone (404 from ${error.info.path}): it was deleted during the rollout.`,
        };
      }
      throw error;
    }
    const now = clock.now();
    const verdict = judge({
      before: options.before,
      current,
      newRolloutSeen,
      sinceUpdateMs: now - options.updateSentMs,
      rolloutStartGraceMs: options.rolloutStartGraceMs,
    });
    newRolloutSeen = verdict.newRollout;
    const ended = tracker.observe(current, now, !verdict.newRollout);
    const entry = tracker.timeline.at(-1);
    const label = describeEntry({ status: current.status, previousRollout: !verdict.newRollout });
    if (ended) {
      log.info(
        `Status: ${label} after ${formatDuration(now - ended.startMs)} ${describeEntry(ended)}, ${formatDuration(now - options.updateSentMs)} since the update`,
      );
      lastLogMs = now;
    } else if (firstReading) {
      log.info(`Status: ${label}`);
      lastLogMs = now;
    } else if (now - lastLogMs >= heartbeatMs) {
      log.info(
        `Still ${label} (for ${formatDuration(now - (entry?.startMs ?? now))}; ${formatDuration(now - options.updateSentMs)} since the update)`,
      );
      lastLogMs = now;
    }
    firstReading = false;
    if (verdict.done)
      return { outcome: verdict.outcome, message: verdict.message, deployment: current };

    const remainingMs = options.deadlineMs - now;
    if (remainingMs <= LAST_LOOK_MARGIN_MS) return timedOut(options, current);
    // The last pause stops short of the deadline so that one more reading fits before it.
    const delayMs = Math.min(
      nextPollDelayMs(options.poll, {
        sinceUpdateMs: now - options.updateSentMs,
        sinceChangeMs: now - (entry?.startMs ?? now),
        status: current.status,
        newRollout: verdict.newRollout,
      }),
      remainingMs - LAST_LOOK_MARGIN_MS,
    );
    await clock.sleep(delayMs, options.signal);
  }
}
