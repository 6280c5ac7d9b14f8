// The wait itself: reads the deployment until the judge ends it, outlasting outages, within the
// deadline and the phase limits. All time and I/O come in through WaitOptions.
import type { Clock } from '../clock.js';
import { formatDuration } from '../duration.js';
import { DeadlineError, NorthflankApiError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Deployment, UpdateBody } from '../northflank/schema.js';
import { confirmPeriodMs, judgeReading, type ReadingFacts, type RolloutVerdict } from './judge.js';
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
import { showsValues } from './compare.js';
import { formatSeconds, offsetSeconds } from './timeline.js';
import {
  OUTAGE_LABEL,
  RATE_LIMITED_LABEL,
  describeEntry,
  type RolloutTracker,
  type TimelineEntry,
} from './tracker.js';

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
  const watching = confirmingNoRollout(options, last);
  if (watching) {
    return {
      outcome: 'timeout',
      deployment: last,
      ours: options.tracker.ours,
      message: `Timed out after ${waited} while confirming that no rollout follows the update: the values sent (${Object.keys(options.sent ?? {}).join(', ')}) show on the configuration from before (${watching}, running), but "${options.timeoutInput ?? 'timeout'}" ran out before the ${formatDuration(confirmPeriodMs(options.rolloutStartGraceMs))} watch for a new configuration ended. Nothing failed; give "${options.timeoutInput ?? 'timeout'}" those few seconds more.${silent}`,
    };
  }
  return {
    outcome: 'timeout',
    deployment: last,
    ours: options.tracker.ours,
    message: `Timed out after ${waited} waiting for ${options.tracker.reverting ? "the revert's rollout" : 'the new rollout'}; the last status was "${last?.status ?? 'unknown'}"${outage && last ? `, read before the API stopped answering ${formatDuration(now - outage.sinceMs)} ago (the status output is that reading; it may have moved since)` : ''}.${silent} Where the time went: ${timeSpent(options, now)}. Raise the "${options.timeoutInput ?? 'timeout'}" input if the model needs longer to load, or check the deployment in Northflank.`,
  };
}

/**
 * The configuration id, when the wait was only watching for a rollout that may not come: the
 * values sent show on the configuration from before, which runs, and no new one has shown.
 */
function confirmingNoRollout(
  options: WaitOptions,
  last: Deployment | undefined,
): string | undefined {
  if (options.expectation !== 'either' || !options.sent || last?.status !== 'running')
    return undefined;
  if (options.tracker.ours !== undefined || options.tracker.currentRolloutSpans().length > 0) {
    return undefined;
  }
  const newSeen = options.tracker.timeline.some((e) => e.foreign || e.unconfirmed);
  if (newSeen || !showsValues(options.sent, last)) return undefined;
  return last.deploymentConfiguration?.id ?? 'no id';
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
  const wait = new RolloutWait(options);
  // A revert waits again: the timeline stays measured from the first update.
  options.tracker.originMs ??= options.updateSentMs;
  for (;;) {
    let current: Deployment;
    try {
      current = await options.getDeployment();
    } catch (error) {
      const pause = wait.readFailed(error);
      if (typeof pause !== 'number') return pause;
      if (pause > 0) await options.clock.sleep(pause, options.signal);
      continue;
    }
    const pause = wait.reading(current);
    if (typeof pause !== 'number') return pause;
    await options.clock.sleep(pause, options.signal);
  }
}

/** One wait's memory between readings: what it has seen, said and been told. */
class RolloutWait {
  private newRolloutSeen = false;
  private slowStartWarned = false;
  private backSinceMs: number | undefined;
  private confirming: ReadingFacts['confirming'];
  private confirmingSaid = false;
  // Whether a reading of the configuration from before has shown the values sent, and since
  // when the readings have not, without a break.
  private valuesShown = false;
  private valuesGoneSinceMs: number | undefined;
  private outage: Outage | undefined;
  private lastLogMs: number;
  private firstReading = true;

  constructor(private readonly options: WaitOptions) {
    this.lastLogMs = options.clock.now();
  }

  /**
   * A read that failed: the result that ends the wait, or how long to pause before the next read
   * (an outage: the rollout goes on without us). Throws what the wait cannot outlast.
   */
  readFailed(error: unknown): StepResult | number {
    const { options } = this;
    const { clock, tracker } = options;
    // At the deadline, a failed last look changes nothing: the wait timed out.
    if (error instanceof DeadlineError || clock.now() >= options.deadlineMs - LAST_LOOK_MARGIN_MS) {
      return timedOut(options, tracker.last, this.outage);
    }
    if (error instanceof NorthflankApiError && error.status === 404) {
      return {
        outcome: 'deleted',
        deployment: tracker.last,
        ours: tracker.ours,
        message: `The deployment is gone (404 from ${error.info.path}): it was deleted during the rollout${tracker.last ? ` (last seen ${tracker.last.status}${tracker.last.deploymentConfiguration?.id ? `, configuration ${tracker.last.deploymentConfiguration.id}` : ''})` : ''}. The status and deployment outputs are empty: Northflank shows no deployment.`,
      };
    }
    const transient = transientFailure(error);
    if (!transient) {
      const refused =
        error instanceof NorthflankApiError && (error.status === 401 || error.status === 403);
      throw refused && options.before !== undefined ? refusedMidWait(error) : error;
    }
    const now = clock.now();
    const timedOutRead = transient.timedOut === true;
    const outage: Outage = this.outage
      ? {
          ...this.outage,
          failures: this.outage.failures + 1,
          reason: transient.reason,
          timedOut: timedOutRead,
        }
      : { sinceMs: now, failures: 1, reason: transient.reason, timedOut: timedOutRead };
    this.outage = outage;
    const remainingMs = options.deadlineMs - now;
    const delayMs = Math.min(
      outageDelayMs(
        outage.failures,
        options.poll.maxMs,
        options.random ?? Math.random,
        transient.retryAfterMs,
      ),
      remainingMs - LAST_LOOK_MARGIN_MS,
    );
    const retrying = formatDuration(Math.max(0, delayMs));
    if (outage.failures === 1) {
      tracker.outageStarted(now, transient.rateLimited ? RATE_LIMITED_LABEL : OUTAGE_LABEL);
      options.log.warning(
        `Reading the deployment failed (${transient.reason}): ${transient.rateLimited ? 'the Northflank API is rate limiting this token (its requests for the hour are used up; other tools using the token share them)' : 'the Northflank API is not answering'}.${options.before === undefined ? '' : ' The update was already accepted and the rollout goes on.'} The action keeps trying until the deadline (${formatDuration(remainingMs)} left), retrying in ${retrying}.`,
      );
    } else {
      options.log.debug(
        `Read ${outage.failures} failed (${transient.reason}); retrying in ${retrying}`,
      );
    }
    return delayMs;
  }

  /** A reading: the result that ends the wait, or how long to pause before the next read. */
  reading(current: Deployment): StepResult | number {
    const { options } = this;
    const now = options.clock.now();
    if (this.outage) {
      options.log.info(
        `The Northflank API answered again after an outage of ${formatDuration(now - this.outage.sinceMs)} (${this.outage.failures} failed read(s), last: ${this.outage.reason}).`,
      );
      this.outage = undefined;
    }
    const verdict = judgeReading(this.facts(current, now));
    this.learn(verdict, current, now);
    const entry = this.record(verdict, current, now);
    if (verdict.done) {
      return {
        outcome: verdict.outcome,
        message: verdict.message,
        deployment: current,
        ours: options.tracker.ours,
      };
    }
    if (verdict.newRollout) {
      const overrun = phaseTimedOut(options, current, now);
      if (overrun) return overrun;
    }
    const remainingMs = options.deadlineMs - now;
    if (remainingMs <= LAST_LOOK_MARGIN_MS) return timedOut(options, current);
    // Watching that no rollout follows: one reading at the watch's end says it (readings in
    // between would only spend the request budget, which then delays that one).
    if (this.confirming)
      return Math.min(this.untilConfirmedMs(now), remainingMs - LAST_LOOK_MARGIN_MS);
    // The last pause stops short of the deadline so that one more reading fits before it.
    return Math.min(
      nextPollDelayMs(options.poll, {
        sinceUpdateMs: now - options.updateSentMs,
        sinceChangeMs: now - (entry?.startMs ?? now),
        status: current.status,
        newRollout: verdict.newRollout,
      }),
      remainingMs - LAST_LOOK_MARGIN_MS,
      verdict.newRollout ? untilPhaseDeadlineMs(options, current.status, now) : Infinity,
    );
  }

  /**
   * While watching that no rollout follows, the time until the watch ends (and a millisecond, so
   * the reading is past it): the next reading lands there, not a poll-interval later.
   */
  private untilConfirmedMs(now: number): number {
    if (!this.confirming) return Infinity;
    const { options } = this;
    const endsMs =
      options.updateSentMs +
      this.confirming.sinceUpdateMs +
      confirmPeriodMs(options.rolloutStartGraceMs);
    return Math.max(0, endsMs - now) + 1;
  }

  /** What the judge is told of a reading. */
  private facts(current: Deployment, now: number): ReadingFacts {
    const { options } = this;
    return {
      before: options.before,
      current,
      ours: options.tracker.ours,
      newRolloutSeen: this.newRolloutSeen,
      sinceUpdateMs: now - options.updateSentMs,
      updateSentMs: options.updateSentMs,
      backOnPreviousMs: this.backSinceMs === undefined ? 0 : now - this.backSinceMs,
      rolloutStartGraceMs: options.rolloutStartGraceMs,
      expectation: options.expectation,
      confirming: this.confirming,
      valuesGoneMs: this.valuesShown ? now - (this.valuesGoneSinceMs ?? now) : undefined,
      sent: options.sent,
      unchanged: options.unchanged,
      reverting: options.tracker.reverting,
    };
  }

  /** What the wait takes from a verdict for the next readings, and says of it once. */
  private learn(verdict: RolloutVerdict, current: Deployment, now: number): void {
    const { options } = this;
    const { tracker, log } = options;
    if (verdict.ours !== undefined && tracker.ours === undefined) {
      tracker.ours = verdict.ours;
      log.debug(`Our rollout is configuration ${verdict.ours}.`);
    }
    this.newRolloutSeen ||= verdict.newRollout;
    if (verdict.showsSent === true) {
      this.valuesShown = true;
      this.valuesGoneSinceMs = undefined;
    } else if (verdict.showsSent === false && this.valuesShown) {
      this.valuesGoneSinceMs ??= now;
    }
    // An unbroken run of readings that show the update on the configuration from before.
    this.confirming =
      verdict.confirming === undefined
        ? undefined
        : this.confirming?.key === verdict.confirming
          ? this.confirming
          : { key: verdict.confirming, sinceUpdateMs: now - options.updateSentMs };
    if (this.confirming && !this.confirmingSaid && !verdict.done) {
      this.confirmingSaid = true;
      log.info(
        `The values sent show on the configuration from before the update (${current.deploymentConfiguration?.id ?? 'no id'}, ${current.status}). Northflank does not document whether this update starts a rollout: watching ${formatDuration(confirmPeriodMs(options.rolloutStartGraceMs))} for one before taking it that none follows.`,
      );
    }
    this.warnOfSlowStart(verdict, now);
    const backOnPrevious = verdict.of === 'previous' && verdict.ours !== undefined;
    if (backOnPrevious && this.backSinceMs === undefined) {
      this.backSinceMs = now;
      log.info(
        `A reading shows the previous configuration again, after our rollout ${verdict.ours ?? ''}: a replica behind, or a rollback; not taken as a result.`,
      );
    } else if (!backOnPrevious) {
      this.backSinceMs = undefined;
    }
  }

  /** Once: an update that must roll out shows no new rollout past rollout-start-grace. */
  private warnOfSlowStart(verdict: RolloutVerdict, now: number): void {
    const { options } = this;
    const sinceUpdateMs = now - options.updateSentMs;
    if (
      options.expectation !== 'rollout' ||
      verdict.done ||
      (verdict.of !== 'previous' && verdict.of !== 'unconfirmed') ||
      options.tracker.ours !== undefined ||
      this.slowStartWarned ||
      sinceUpdateMs < options.rolloutStartGraceMs
    ) {
      return;
    }
    this.slowStartWarned = true;
    options.log.warning(
      `No new rollout seen yet, ${formatDuration(sinceUpdateMs)} after an update that changed the configuration: still waiting for it, up to "timeout". Northflank may be slow to start it, or the API is serving stale reads; if it never shows, check the deployment in Northflank.`,
      { title: 'New rollout not seen yet' },
    );
  }

  /** Puts the reading on the timeline and logs the status: on a change, first, then at a heartbeat. */
  private record(
    verdict: RolloutVerdict,
    current: Deployment,
    now: number,
  ): TimelineEntry | undefined {
    const { tracker, log, updateSentMs } = this.options;
    const since = (ms: number): number => offsetSeconds(ms, updateSentMs);
    // A configuration not yet confirmed as ours is shown as such, neither ours nor another's,
    // and relabelled as ours once a reading of it shows this update.
    const foreign = verdict.of === 'foreign';
    const unconfirmed = verdict.of === 'unconfirmed';
    const id = current.deploymentConfiguration?.id;
    if (verdict.of === 'ours' && id !== undefined) tracker.confirmOurs(id);
    const ended = tracker.observe(current, now, verdict.of === 'previous', foreign, unconfirmed);
    const entry = tracker.timeline.at(-1);
    const label = describeEntry({
      status: current.status,
      previousRollout: verdict.of === 'previous',
      foreign,
      unconfirmed,
      revert: tracker.reverting,
    });
    const logged = (text: string): void => {
      log.info(text);
      this.lastLogMs = now;
    };
    // Nothing sent (no fields given, or all in place): the wait counts from its own start.
    const origin = this.options.before === undefined ? 'since the wait began' : 'since the update';
    if (ended) {
      logged(
        `Status: ${label} after ${formatSeconds(since(now) - since(ended.startMs))} ${describeEntry(ended)}, ${formatSeconds(since(now))} ${origin}`,
      );
    } else if (this.firstReading) {
      logged(`Status: ${label}`);
    } else if (now - this.lastLogMs >= (this.options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS)) {
      logged(
        `Still ${label} (for ${formatSeconds(since(now) - since(entry?.startMs ?? now))}; ${formatSeconds(since(now))} ${origin})`,
      );
    }
    this.firstReading = false;
    return entry;
  }
}
