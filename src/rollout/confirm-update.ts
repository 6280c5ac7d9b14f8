/**
 * After an update whose answer was lost: it may have reached Northflank, so it is not sent again.
 * The deployment is read until the update shows, within the rollout-start grace period.
 */
import type { Clock } from '../clock.js';
import { formatDuration } from '../duration.js';
import { UpdateNotConfirmedError } from '../errors.js';
import type { Logger } from '../log.js';
import { showsValues } from './compare.js';
import { hasChangedSince } from './status.js';
import type { Deployment, UpdateBody } from '../northflank/schema.js';
import { outageDelayMs, transientFailure } from './poll-policy.js';

/** Whether `current` shows the update: a new configuration or update time, or the sent values. Pure. */
export function updateShows(update: UpdateBody, before: Deployment, current: Deployment): boolean {
  return hasChangedSince(before, current) || showsValues(update, current);
}

export interface WatchOptions {
  update: UpdateBody;
  before: Deployment;
  /** Why the answer is unknown, for the messages. */
  reason: string;
  /** Clock time at which the update was sent. */
  sentMs: number;
  /** One read of the deployment. */
  getDeployment: () => Promise<Deployment>;
  clock: Clock;
  random: () => number;
  signal: AbortSignal;
  graceMs: number;
  /** The longest pause between reads: the `poll-interval` input. */
  maxDelayMs: number;
  log: Logger;
}

const WATCH_DELAY_MS = 1000;

/**
 * Reads until the update shows, and resolves to that reading; throws UpdateNotConfirmedError when
 * it has not shown within the grace period. Transient read failures are outlasted.
 */
export async function watchForUpdate(o: WatchOptions): Promise<Deployment> {
  const deadlineMs = o.sentMs + o.graceMs;
  let failures = 0;
  let lastProblem: string;
  for (;;) {
    let delayMs = Math.min(WATCH_DELAY_MS, o.maxDelayMs);
    try {
      const current = await o.getDeployment();
      failures = 0;
      if (updateShows(o.update, o.before, current)) {
        o.log.info(
          `The update reached Northflank (${formatDuration(o.clock.now() - o.sentMs)} after it was sent); carrying on with the wait.`,
        );
        return current;
      }
      lastProblem = `the deployment still shows its state from before the update (status ${current.status})`;
    } catch (error) {
      const transient = transientFailure(error);
      if (!transient) throw error;
      failures++;
      lastProblem = `the last read failed (${transient.reason})`;
      delayMs = outageDelayMs(failures, o.maxDelayMs, o.random, transient.retryAfterMs);
    }
    const remainingMs = deadlineMs - o.clock.now();
    if (remainingMs <= 0) {
      throw new UpdateNotConfirmedError(
        `The update was sent but its answer was lost (${o.reason}), and it has not shown on the deployment within ${formatDuration(o.graceMs)} (rollout-start-grace): ${lastProblem}. The update may or may not have been applied. Check the deployment in Northflank (its configuration and latest rollout) before running the workflow again; raise rollout-start-grace or request-timeout if Northflank is slow to answer.`,
      );
    }
    await o.clock.sleep(Math.min(delayMs, remainingMs), o.signal);
  }
}
