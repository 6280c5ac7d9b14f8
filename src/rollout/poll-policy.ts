// When to read the deployment again: the poll pauses while a rollout runs, and which failed
// reads are transient and how long to pause during an outage. Pure.
import { NetworkError, NorthflankApiError } from '../errors.js';

/** A failed read that the wait outlasts: why, and how long the API asked us to wait. */
export interface TransientFailure {
  reason: string;
  retryAfterMs?: number;
  /** A 429: the API answers, but refuses this token more requests for now. */
  rateLimited?: boolean;
  /** The read ran out of request-timeout. */
  timedOut?: boolean;
}

/** Whether a failed read is transient (connection errors, timeouts, 408, 429, 5xx). Pure. */
export function transientFailure(error: unknown): TransientFailure | undefined {
  if (error instanceof NetworkError) {
    return { reason: error.reason ?? error.message, ...(error.timedOut ? { timedOut: true } : {}) };
  }
  if (
    error instanceof NorthflankApiError &&
    (error.status === 408 || error.status === 429 || error.status >= 500)
  ) {
    return {
      reason: `HTTP ${error.status}`,
      ...(error.info.retryAfterMs === undefined ? {} : { retryAfterMs: error.info.retryAfterMs }),
      ...(error.status === 429 ? { rateLimited: true } : {}),
    };
  }
  return undefined;
}

/** The first pause of an outage; it doubles with every failed read, up to `poll-interval`. */
export const OUTAGE_BASE_DELAY_MS = 1000;

/**
 * The pause after the `failures`-th failed read in a row: full jitter under a ceiling that doubles
 * up to `maxMs` (the poll interval), or what a 429 asked for. Pure.
 */
export function outageDelayMs(
  failures: number,
  maxMs: number,
  random: () => number,
  retryAfterMs?: number,
): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const ceiling = Math.min(maxMs, OUTAGE_BASE_DELAY_MS * 2 ** Math.max(0, failures - 1));
  return Math.floor(random() * ceiling);
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
