// The wait itself: reads the deployment until the judge ends it, outlasting outages, within the
// deadline and the phase limits. All time and I/O come in through WaitOptions.
import type { Clock } from '../clock.js';
import { formatDuration } from '../duration.js';
import { DeadlineError, NorthflankApiError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Deployment, UpdateBody } from '../northflank/schema.js';
import { confirmPeriodMs, judgeReading, type ReadingFacts } from './judge.js';
import type { RolloutExpectation } from './plan.js';
import type { StepResult } from './outcome.js';
import {
  describeTimeSpent,
  phaseOf,
  phaseOverrun,
  phaseOverrunMessage,
  timeInPhase,
  type PhaseLimits,
} from './phases.js';
import {
  nextPollDelayMs,
  outageDelayMs,
  transientFailure,
  type PollPolicy,
} from './poll-policy.js';
import { gpuLabel } from './status.js';
import { formatSeconds, offsetSeconds } from './timeline.js';
import { OUTAGE_LABEL, RATE_LIMITED_LABEL, describeEntry, type RolloutTracker } from './tracker.js';

/** How a wait is run; every source of time and I/O is passed in. */
export interface WaitOptions {
  before: Deployment | undefined;
  /** Clock time at which the update was sent (or the wait began, without an update). */
  updateSentMs: number;
  /** Clock time at which the step started, which `timeout` counts from; defaults to updateSentMs. */
  startedMs?: number;
  /** One read of the deployment; the wait itself outlasts transient failures. */
  getDeployment: () => Promise<Deployment>;
  tracker: RolloutTracker;
  clock: Clock;
  /** For the jitter of the pauses during an outage. */
  random?: () => number;
  signal: AbortSignal;
  deadlineMs: number;
  poll: PollPolicy;
  rolloutStartGraceMs: number;
  /** What the update asks for, for when no new configuration shows (see plan.ts). */
  expectation?: RolloutExpectation | undefined;
  /** See ReadingFacts.sent: what the update sent, which a reading of ours shows. */
  sent?: UpdateBody | undefined;
  /** See ReadingFacts.unchanged. */
  unchanged?: { given: UpdateBody; planned: Deployment } | undefined;
  /** The input that bounds this wait, named when it runs out (`timeout`, `revert-timeout`). */
  timeoutInput?: string;
  /** Deadlines for the phases of the new rollout. */
  phaseLimits?: PhaseLimits;
  log: Logger;
  /** Log "still <status>" at most this often while nothing changes. */
  heartbeatMs?: number;
}

const DEFAULT_HEARTBEAT_MS = 60_000;
/** Time kept before the deadline for one last reading (and that request's own timeout). */
const LAST_LOOK_MARGIN_MS = 500;

/** Where the time went since the update, status by status, for timeout messages. */
function timeSpent(options: WaitOptions, nowMs: number): string {
  const { tracker } = options;
  const spans = tracker.timeline
    .filter(
      (entry) =>
        (entry.endMs ?? nowMs) > options.updateSentMs &&
        (entry.revert ?? false) === tracker.reverting,
    )
    .map((entry) => ({
      status: describeEntry(entry),
      startMs: Math.max(entry.startMs, options.updateSentMs),
      ...(entry.endMs === undefined ? {} : { endMs: entry.endMs }),
    }));
  return describeTimeSpent(spans, nowMs);
}

/** An outage under way: since when, how many reads failed, and the last reason. */
interface Outage {
  sinceMs: number;
  failures: number;
  reason: string;
  /** Whether the last failed read ran out of request-timeout. */
  timedOut: boolean;
}

function timedOut(options: WaitOptions, last: Deployment | undefined, outage?: Outage): StepResult {
  const now = options.clock.now();
  const waited = formatDuration(now - (options.startedMs ?? options.updateSentMs));
  const silent = outage
    ? ` The API had not answered for the last ${formatDuration(now - outage.sinceMs)} (${outage.reason}).${outage.timedOut ? ' The reads ran out of "request-timeout": raise request-timeout if the API is slow from this runner.' : ''}`
    : '';
  return {
    outcome: 'timeout',
    deployment: last,
    ours: options.tracker.ours,
    message: `Timed out after ${waited} waiting for ${options.tracker.reverting ? "the revert's rollout" : 'the new rollout'}; the last status was "${last?.status ?? 'unknown'}".${silent} Where the time went: ${timeSpent(options, now)}. Raise the "${options.timeoutInput ?? 'timeout'}" input if the model needs longer to load, or check the deployment in Northflank.`,
  };
}

/** The new rollout ran past a phase deadline: a timeout that names the phase. */
function phaseTimedOut(
  options: WaitOptions,
  current: Deployment,
  nowMs: number,
): StepResult | undefined {
  if (!options.phaseLimits) return undefined;
  const overrun = phaseOverrun(
    options.tracker.currentRolloutSpans(),
    current.status,
    options.phaseLimits,
    nowMs,
  );
  if (!overrun) return undefined;
  return {
    outcome: 'timeout',
    deployment: current,
    ours: options.tracker.ours,
    message: `${phaseOverrunMessage(overrun, gpuLabel(current))} Where the time went: ${timeSpent(options, nowMs)}.`,
  };
}

/** How long until the current phase of the new rollout reaches its deadline, if it has one. */
function untilPhaseDeadlineMs(options: WaitOptions, status: string, nowMs: number): number {
  const phase = phaseOf(status);
  const limit =
    phase === 'provisioning'
      ? options.phaseLimits?.provisioningMs
      : phase === 'starting'
        ? options.phaseLimits?.startingMs
        : undefined;
  if (phase === undefined || limit === undefined) return Infinity;
  // One millisecond past the limit, so the next reading is over it, not on it.
  return Math.max(0, limit - timeInPhase(options.tracker.currentRolloutSpans(), phase, nowMs)) + 1;
}

/** 401/403 mid-wait: the update itself went through, and the user should know that. */
function refusedMidWait(error: NorthflankApiError): NorthflankApiError {
  return new NorthflankApiError({
    ...error.info,
    hint: `${error.info.hint ?? 'The API refused the token'}. The update was already accepted and is rolling out in Northflank; only following it failed. Fix the token's permissions, then follow the rollout in Northflank, or run the action again without fields to change to wait for it`,
  });
}

/** Polls until the new rollout is running, fails, or the deadline passes; outlasts API outages. */
export async function waitForRollout(options: WaitOptions): Promise<StepResult> {
  const { clock, tracker, log } = options;
  const random = options.random ?? Math.random;
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  let newRolloutSeen = false;
  let slowStartWarned = false;
  let backSinceMs: number | undefined;
  let confirming: ReadingFacts['confirming'];
  let confirmingSaid = false;
  // Whether a reading of the configuration from before has shown the values sent, and since
  // when the readings have not, without a break.
  let valuesShown = false;
  let valuesGoneSinceMs: number | undefined;
  let outage: Outage | undefined;
  let lastLogMs = clock.now();
  let firstReading = true;
  // A revert waits again: the timeline stays measured from the first update.
  tracker.originMs ??= options.updateSentMs;
  const since = (ms: number): number => offsetSeconds(ms, options.updateSentMs);
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
        return timedOut(options, tracker.last, outage);
      }
      if (error instanceof NorthflankApiError && error.status === 404) {
        return {
          outcome: 'deleted',
          deployment: tracker.last,
          ours: tracker.ours,
          message: `The deployment is gone (404 from ${error.info.path}): it was deleted during the rollout.`,
        };
      }
      const transient = transientFailure(error);
      if (!transient) {
        if (
          options.before !== undefined &&
          error instanceof NorthflankApiError &&
          (error.status === 401 || error.status === 403)
        ) {
          throw refusedMidWait(error);
        }
        throw error;
      }
      // An outage: the rollout goes on without us, so keep trying, more slowly, until the deadline.
      const now = clock.now();
      const timedOutRead = transient.timedOut === true;
      outage = outage
        ? {
            ...outage,
            failures: outage.failures + 1,
            reason: transient.reason,
            timedOut: timedOutRead,
          }
        : { sinceMs: now, failures: 1, reason: transient.reason, timedOut: timedOutRead };
      const remainingMs = options.deadlineMs - now;
      const delayMs = Math.min(
        outageDelayMs(outage.failures, options.poll.maxMs, random, transient.retryAfterMs),
        remainingMs - LAST_LOOK_MARGIN_MS,
      );
      if (outage.failures === 1) {
        tracker.outageStarted(now, transient.rateLimited ? RATE_LIMITED_LABEL : OUTAGE_LABEL);
        log.warning(
          `Reading the deployment failed (${transient.reason}): ${transient.rateLimited ? 'the Northflank API is rate limiting this token (its requests for the hour are used up; other tools using the token share them)' : 'the Northflank API is not answering'}.${options.before === undefined ? '' : ' The update was already accepted and the rollout goes on.'} The action keeps trying until the deadline (${formatDuration(remainingMs)} left), retrying in ${formatDuration(Math.max(0, delayMs))}.`,
        );
      } else {
        log.debug(
          `Read ${outage.failures} failed (${transient.reason}); retrying in ${formatDuration(Math.max(0, delayMs))}`,
        );
      }
      if (delayMs > 0) await clock.sleep(delayMs, options.signal);
      continue;
    }
    const now = clock.now();
    if (outage) {
      log.info(
        `The Northflank API answered again after an outage of ${formatDuration(now - outage.sinceMs)} (${outage.failures} failed read(s), last: ${outage.reason}).`,
      );
      outage = undefined;
    }
    const verdict = judgeReading({
      before: options.before,
      current,
      ours: tracker.ours,
      newRolloutSeen,
      sinceUpdateMs: now - options.updateSentMs,
      updateSentMs: options.updateSentMs,
      backOnPreviousMs: backSinceMs === undefined ? 0 : now - backSinceMs,
      rolloutStartGraceMs: options.rolloutStartGraceMs,
      expectation: options.expectation,
      confirming,
      valuesGoneMs: valuesShown ? now - (valuesGoneSinceMs ?? now) : undefined,
      sent: options.sent,
      unchanged: options.unchanged,
      reverting: tracker.reverting,
    });
    if (verdict.ours !== undefined && tracker.ours === undefined) {
      tracker.ours = verdict.ours;
      log.debug(`Our rollout is configuration ${verdict.ours}.`);
    }
    newRolloutSeen ||= verdict.newRollout;
    if (verdict.showsSent === true) {
      valuesShown = true;
      valuesGoneSinceMs = undefined;
    } else if (verdict.showsSent === false && valuesShown) {
      valuesGoneSinceMs ??= now;
    }
    // An unbroken run of readings that show the update on the configuration from before.
    confirming =
      verdict.confirming === undefined
        ? undefined
        : confirming?.key === verdict.confirming
          ? confirming
          : { key: verdict.confirming, sinceUpdateMs: now - options.updateSentMs };
    if (confirming && !confirmingSaid && !verdict.done) {
      confirmingSaid = true;
      log.info(
        `The values sent show on the configuration from before the update (${current.deploymentConfiguration?.id ?? 'no id'}, ${current.status}). Northflank does not document whether this update starts a rollout: watching ${formatDuration(confirmPeriodMs(options.rolloutStartGraceMs))} for one before taking it that none follows.`,
      );
    }
    if (
      options.expectation === 'rollout' &&
      !verdict.done &&
      (verdict.of === 'previous' || verdict.of === 'unconfirmed') &&
      tracker.ours === undefined &&
      !slowStartWarned &&
      now - options.updateSentMs >= options.rolloutStartGraceMs
    ) {
      slowStartWarned = true;
      log.warning(
        `No new rollout seen yet, ${formatDuration(now - options.updateSentMs)} after an update that changed the configuration: still waiting for it, up to "timeout". Northflank may be slow to start it, or the API is serving stale reads; if it never shows, check the deployment in Northflank.`,
        { title: 'New rollout not seen yet' },
      );
    }
    const backOnPrevious = verdict.of === 'previous' && verdict.ours !== undefined;
    if (backOnPrevious && backSinceMs === undefined) {
      backSinceMs = now;
      log.info(
        `A reading shows the previous configuration again, after our rollout ${verdict.ours ?? ''}: a replica behind, or a rollback; not taken as a result.`,
      );
    } else if (!backOnPrevious) {
      backSinceMs = undefined;
    }
    // A configuration not yet confirmed as ours is shown as another update's until it is.
    const foreign = verdict.of === 'foreign' || verdict.of === 'unconfirmed';
    const ended = tracker.observe(current, now, verdict.of === 'previous', foreign);
    const entry = tracker.timeline.at(-1);
    const label = describeEntry({
      status: current.status,
      previousRollout: verdict.of === 'previous',
      foreign,
    });
    if (ended) {
      log.info(
        `Status: ${label} after ${formatSeconds(since(now) - since(ended.startMs))} ${describeEntry(ended)}, ${formatSeconds(since(now))} since the update`,
      );
      lastLogMs = now;
    } else if (firstReading) {
      log.info(`Status: ${label}`);
      lastLogMs = now;
    } else if (now - lastLogMs >= heartbeatMs) {
      log.info(
        `Still ${label} (for ${formatSeconds(since(now) - since(entry?.startMs ?? now))}; ${formatSeconds(since(now))} since the update)`,
      );
      lastLogMs = now;
    }
    firstReading = false;
    if (verdict.done) {
      return {
        outcome: verdict.outcome,
        message: verdict.message,
        deployment: current,
        ours: tracker.ours,
      };
    }
    if (verdict.newRollout) {
      const overrun = phaseTimedOut(options, current, now);
      if (overrun) return overrun;
    }

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
      verdict.newRollout ? untilPhaseDeadlineMs(options, current.status, now) : Infinity,
    );
    await clock.sleep(delayMs, options.signal);
  }
}
