import type { Clock } from '../clock.js';
import { formatDuration } from '../duration.js';
import { DeadlineError, NetworkError, NorthflankApiError } from '../errors.js';
import type { Logger } from '../log.js';
import {
  FAILED_STATUSES,
  GONE_STATUS,
  IN_PROGRESS_STATUSES,
  SERVING_STATUS,
  gpuLabel,
  isDifferentRollout,
} from './status.js';
import {
  describeTimeSpent,
  phaseOf,
  phaseOverrun,
  phaseOverrunMessage,
  timeInPhase,
  type PhaseLimits,
} from './phases.js';
import { isInPlace } from './plan.js';
import type { Deployment, UpdateBody } from '../northflank/schema.js';
import { formatSeconds, offsetSeconds } from './timeline.js';

/** How a step ended; the successes are in SUCCESSFUL_OUTCOMES. */
export type Outcome =
  | 'running'
  | 'updated'
  | 'unchanged'
  | 'no-rollout'
  | 'crashed'
  | 'paused'
  | 'deleting'
  | 'deleted'
  | 'rolled-back'
  | 'superseded'
  | 'timeout'
  | 'cancelled'
  | 'not-waited'
  | 'dry-run'
  | 'smoke-failed'
  | 'reverted'
  | 'revert-failed'
  | 'error';

export const SUCCESSFUL_OUTCOMES: ReadonlySet<Outcome> = new Set([
  'running',
  'updated',
  'unchanged',
  'no-rollout',
  'not-waited',
  'dry-run',
]);

/** One status the deployment held, and for how long (until `endMs`, or still). */
export interface TimelineEntry {
  status: string;
  /** Whether this was still the rollout from before the update (or, in a revert, the failed one). */
  previousRollout: boolean;
  /** Whether this was seen while reverting a failed rollout. */
  revert?: boolean;
  /** A rollout started by another update than ours. */
  foreign?: boolean;
  /** Not a status: the API did not answer during this time. */
  outage?: boolean;
  startMs: number;
  endMs?: number;
}

/** The timeline's text for a time the API did not answer. */
export const OUTAGE_LABEL = 'no answer from the API';

/** The timeline's text for a time the API refused reads with 429. */
export const RATE_LIMITED_LABEL = 'rate limited by the API';

/** Which rollout a reading shows, relative to the update. */
export type RolloutOf = 'ours' | 'previous' | 'foreign';

/** What has been seen of the deployment so far; kept outside the wait so a failure can report it. */
export class RolloutTracker {
  readonly timeline: TimelineEntry[] = [];
  last: Deployment | undefined;
  /** Set once the action reverts a failed rollout: later entries belong to the revert. */
  reverting = false;
  /** When the update was sent: the log and the summary measure the timeline from it. */
  originMs: number | undefined;
  /** The configuration id of the rollout our update started, once a reading has shown it. */
  ours: string | undefined;

  /** Records a reading; returns the entry it ended when the status (or the rollout) changed. */
  observe(
    deployment: Deployment,
    nowMs: number,
    previousRollout: boolean,
    foreign = false,
  ): TimelineEntry | undefined {
    this.last = deployment;
    const current = this.timeline.at(-1);
    if (
      current &&
      !current.outage &&
      current.status === deployment.status &&
      current.previousRollout === previousRollout &&
      (current.foreign ?? false) === foreign &&
      (current.revert ?? false) === this.reverting
    ) {
      return undefined;
    }
    if (current) current.endMs = nowMs;
    this.timeline.push({
      status: deployment.status,
      previousRollout,
      ...(this.reverting ? { revert: true } : {}),
      ...(foreign ? { foreign } : {}),
      startMs: nowMs,
    });
    return current;
  }

  /** Records that the API stopped answering (or rate limits) at `nowMs` (once per outage). */
  outageStarted(nowMs: number, label: string = OUTAGE_LABEL): void {
    const current = this.timeline.at(-1);
    if (current?.outage) return;
    if (current) current.endMs = nowMs;
    this.timeline.push({
      status: label,
      previousRollout: false,
      outage: true,
      startMs: nowMs,
    });
  }

  /**
   * The entries of the rollout the wait is following (ours, since the update or the revert):
   * not the previous rollout, someone else's, or an outage.
   */
  currentRolloutSpans(): TimelineEntry[] {
    return this.timeline.filter(
      (entry) =>
        !entry.previousRollout &&
        !entry.outage &&
        !entry.foreign &&
        (entry.revert ?? false) === this.reverting,
    );
  }

  /** Starts following a revert: later readings belong to it, and its configuration is found anew. */
  startRevert(): void {
    this.reverting = true;
    this.ours = undefined;
  }
}

/** A timeline entry as text: `running (previous rollout)`, `pending (revert)`. */
export function describeEntry(
  entry: Pick<TimelineEntry, 'status' | 'previousRollout' | 'foreign' | 'outage' | 'revert'>,
): string {
  if (entry.outage) return entry.status;
  if (entry.foreign) return `${entry.status} (another update)`;
  if (entry.revert) {
    return entry.previousRollout ? `${entry.status} (failed rollout)` : `${entry.status} (revert)`;
  }
  return entry.previousRollout ? `${entry.status} (previous rollout)` : entry.status;
}

/** What the wait knows when it judges a reading. */
export interface Judgement {
  /** The deployment before the update; undefined when no update was sent (wait for the current one). */
  before: Deployment | undefined;
  current: Deployment;
  /** The configuration id of our rollout, once a reading has shown it. */
  ours?: string | undefined;
  /** Whether a reading since the update already belonged to the new rollout. */
  newRolloutSeen: boolean;
  sinceUpdateMs: number;
  /** Clock time at which the update was sent (wall-clock milliseconds in the action). */
  updateSentMs?: number;
  /**
   * How long the readings have shown the pre-update configuration again, without a break, after
   * ours was seen (0 when the previous reading did not).
   */
  backOnPreviousMs?: number;
  rolloutStartGraceMs: number;
  /**
   * The body of an update that changed only metadata (name, description, tags): it starts no
   * rollout, so the wait ends once its values show with the configuration still running.
   */
  metadataOnly?: UpdateBody;
  /**
   * Whether the update changed `spec` or `ports` values, so a new rollout must come: the previous
   * configuration past the grace period is then a slow start or stale reads, not "no rollout".
   */
  rolloutExpected?: boolean;
}

export type Verdict = {
  /** Whether the reading belongs to our rollout. */
  newRollout: boolean;
  of: RolloutOf;
  /** The configuration id of our rollout, when known (from this reading or an earlier one). */
  ours: string | undefined;
} & ({ done: false } | { done: true; outcome: Outcome; message: string });

const configurationId = (d: Deployment): string | undefined => d.deploymentConfiguration?.id;

/** The deployment left a settled state for a rollout under way. */
function startedRolling(before: Deployment, current: Deployment): boolean {
  return !IN_PROGRESS_STATUSES.has(before.status) && IN_PROGRESS_STATUSES.has(current.status);
}

/**
 * Which rollout a reading shows. After the update, the first configuration id that differs from
 * the one before is ours; later, the id before means a stale replica or a rollback, and any other
 * id another update. Where ids are missing, `updatedAt` and the status stand in (as they always did).
 */
export function classify(j: Judgement): { of: RolloutOf; ours: string | undefined } {
  const { before, current } = j;
  if (before === undefined) return { of: 'ours', ours: j.ours };
  const beforeId = configurationId(before);
  const currentId = configurationId(current);
  if (beforeId !== undefined && currentId !== undefined) {
    if (currentId !== beforeId) {
      // A replica behind the one read before the update shows an even older configuration.
      if (predatesUpdate(j)) return { of: 'previous', ours: j.ours };
      if (j.ours === undefined || j.ours === currentId) return { of: 'ours', ours: currentId };
      return { of: 'foreign', ours: j.ours };
    }
    if (j.ours !== undefined) return { of: 'previous', ours: j.ours };
  } else if (isDifferentRollout(before, current)) {
    return { of: 'ours', ours: j.ours };
  }
  // Same configuration id, but the deployment left a settled state: the id may lag behind the
  // status, and a rollout under way after we changed it is ours.
  if (j.newRolloutSeen || startedRolling(before, current)) return { of: 'ours', ours: j.ours };
  return { of: 'previous', ours: j.ours };
}

/** Configurations created this long before the update cannot be its own, whatever the clocks say. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Whether the reading's configuration was created before the update: no later than the one read
 * before it (both times are Northflank's), or well before the update was sent (the runner's clock).
 */
export function predatesUpdate(j: Pick<Judgement, 'before' | 'current' | 'updateSentMs'>): boolean {
  const created = Date.parse(j.current.deploymentConfiguration?.createdAt ?? '');
  if (Number.isNaN(created)) return false;
  const beforeCreated = Date.parse(j.before?.deploymentConfiguration?.createdAt ?? '');
  if (!Number.isNaN(beforeCreated) && created <= beforeCreated) return true;
  return j.updateSentMs !== undefined && created < j.updateSentMs - CLOCK_SKEW_MS;
}

/** Judges a reading after a metadata-only update that still shows the configuration from before it. */
function judgeMetadata(j: Judgement, sent: UpdateBody): Verdict {
  const { status } = j.current;
  const base = { newRollout: false, of: 'previous' as const, ours: j.ours };
  const fields = Object.keys(sent).join(', ');
  if (!isInPlace(sent, j.current)) {
    // A replica that has not seen the update yet; it catches up within seconds.
    if (j.sinceUpdateMs < j.rolloutStartGraceMs) return { ...base, done: false };
    return {
      ...base,
      done: true,
      outcome: 'error',
      message: `Northflank accepted the update of ${fields}, but ${formatDuration(j.sinceUpdateMs)} later the deployment still shows the previous values. Check the deployment in Northflank, and run the workflow again.`,
    };
  }
  if (status === SERVING_STATUS) {
    return {
      ...base,
      done: true,
      outcome: 'updated',
      message: `The update is in place (${fields}). It needed no rollout: the configuration that was running still runs.`,
    };
  }
  if (FAILED_STATUSES.has(status)) {
    return {
      ...base,
      done: true,
      outcome: status === 'paused' ? 'paused' : 'crashed',
      message: `The update of ${fields} is in place, but the deployment is ${status}, and a change of ${fields} does not restart it. Fix the deployment in Northflank, or change the spec to start a new rollout.`,
    };
  }
  // The same configuration, still rolling out (it was before the update): wait for it.
  return { ...base, done: false };
}

/** Decides, from one reading, whether the wait is over and how it ended. Pure. */
export function judge(j: Judgement): Verdict {
  const { status } = j.current;
  const { of, ours } = classify(j);
  const base = { newRollout: of === 'ours', of, ours };
  if (status === GONE_STATUS) {
    return {
      ...base,
      done: true,
      outcome: 'deleting',
      message: 'The deployment is being deleted; nothing will serve.',
    };
  }
  if (
    j.metadataOnly &&
    j.before &&
    j.ours === undefined &&
    !j.newRolloutSeen &&
    (!isDifferentRollout(j.before, j.current) || predatesUpdate(j))
  ) {
    return judgeMetadata(j, j.metadataOnly);
  }
  if (of === 'foreign') {
    const theirs = configurationId(j.current) ?? 'unknown';
    return {
      ...base,
      done: true,
      outcome: 'superseded',
      message: `Another update replaced this one during the wait: the deployment moved from our rollout (configuration ${ours ?? 'unknown'}) to configuration ${theirs}, now ${status}. Someone else (another workflow run, or a person in Northflank) updated it; this step's result would not be about our update, so it stops here. To avoid this, let one deployment of the model run at a time: give the job a \`concurrency:\` group per deployment (see examples/workflows/deploy-on-push.yml).`,
    };
  }
  if (of === 'ours') {
    if (status === SERVING_STATUS) {
      return { ...base, done: true, outcome: 'running', message: 'The new rollout is running.' };
    }
    if (FAILED_STATUSES.has(status)) {
      return {
        ...base,
        done: true,
        outcome: status === 'paused' ? 'paused' : 'crashed',
        message:
          status === 'paused'
            ? 'The deployment was paused during the rollout; resume it in Northflank and run the workflow again.'
            : j.before === undefined
              ? "The deployment crashed; no update was sent, as no fields to change were given. Check the deployment's logs in Northflank (model name, GPU type and memory, vLLM settings)."
              : "The new rollout crashed. Check the deployment's logs in Northflank (model name, GPU type and memory, vLLM settings) and fix the spec.",
      };
    }
    return { ...base, done: false };
  }
  const grace = formatDuration(j.rolloutStartGraceMs);
  if (ours !== undefined) {
    // The pre-update configuration after ours: a replica that lags, or a rollback. Never a
    // success; only when it holds for the grace period is it taken for a rollback.
    if ((j.backOnPreviousMs ?? 0) >= j.rolloutStartGraceMs) {
      const beforeId = j.before ? (configurationId(j.before) ?? 'unknown') : 'unknown';
      return {
        ...base,
        done: true,
        outcome: 'rolled-back',
        message: `The deployment is back on its previous configuration ${beforeId} (${status}) and has stayed there for ${grace}, after our rollout (configuration ${ours}) had started: Northflank rolled the update back, or someone reverted it. Check the deployment's rollout history and logs in Northflank for why configuration ${ours} did not stay.`,
      };
    }
    return { ...base, done: false };
  }
  // Still the old rollout: a stale read, or an update that needs no rollout. After the grace
  // period an update that changed nothing of the configuration (a forced one) is taken to have
  // started none, instead of hanging until the timeout; one that did keeps waiting for it.
  if (j.sinceUpdateMs >= j.rolloutStartGraceMs && !j.rolloutExpected) {
    if (status === SERVING_STATUS) {
      return {
        ...base,
        done: true,
        outcome: 'no-rollout',
        message: `No new rollout was observed within ${grace} of the update; the deployment is running its previous configuration. The values sent were already in place, and Northflank did not restart the deployment for them.`,
      };
    }
    if (FAILED_STATUSES.has(status)) {
      return {
        ...base,
        done: true,
        outcome: status === 'paused' ? 'paused' : 'crashed',
        message: `No new rollout was observed within ${grace} of the update, and the deployment is still ${status}. Change the spec to start a new rollout, or fix the deployment in Northflank.`,
      };
    }
  }
  return { ...base, done: false };
}

/** A failed read that the wait outlasts: why, and how long the API asked us to wait. */
export interface TransientFailure {
  reason: string;
  retryAfterMs?: number;
  /** A 429: the API answers, but refuses this token more requests for now. */
  rateLimited?: boolean;
}

/** Whether a failed read is transient (connection errors, timeouts, 408, 429, 5xx). Pure. */
export function transientFailure(error: unknown): TransientFailure | undefined {
  if (error instanceof NetworkError) return { reason: error.reason ?? error.message };
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
  /** See Judgement.metadataOnly. */
  metadataOnly?: UpdateBody;
  /** See Judgement.rolloutExpected. */
  rolloutExpected?: boolean;
  /** Deadlines for the phases of the new rollout. */
  phaseLimits?: PhaseLimits;
  log: Logger;
  /** Log "still <status>" at most this often while nothing changes. */
  heartbeatMs?: number;
}

export interface WaitResult {
  outcome: Outcome;
  message: string;
  deployment: Deployment | undefined;
  /** The configuration id of the rollout our update started, when a reading showed it. */
  ours?: string | undefined;
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
}

function timedOut(options: WaitOptions, last: Deployment | undefined, outage?: Outage): WaitResult {
  const now = options.clock.now();
  const waited = formatDuration(now - (options.startedMs ?? options.updateSentMs));
  const silent = outage
    ? ` The API had not answered for the last ${formatDuration(now - outage.sinceMs)} (${outage.reason}).`
    : '';
  return {
    outcome: 'timeout',
    deployment: last,
    ours: options.tracker.ours,
    message: `Timed out after ${waited} waiting for the new rollout; the last status was "${last?.status ?? 'unknown'}".${silent} Where the time went: ${timeSpent(options, now)}. Raise the "timeout" input if the model needs longer to load, or check the deployment in Northflank.`,
  };
}

/** The new rollout ran past a phase deadline: a timeout that names the phase. */
function phaseTimedOut(
  options: WaitOptions,
  current: Deployment,
  nowMs: number,
): WaitResult | undefined {
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
export async function waitForRollout(options: WaitOptions): Promise<WaitResult> {
  const { clock, tracker, log } = options;
  const random = options.random ?? Math.random;
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  let newRolloutSeen = false;
  let slowStartWarned = false;
  let backSinceMs: number | undefined;
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
      outage = outage
        ? { ...outage, failures: outage.failures + 1, reason: transient.reason }
        : { sinceMs: now, failures: 1, reason: transient.reason };
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
    const verdict = judge({
      before: options.before,
      current,
      ours: tracker.ours,
      newRolloutSeen,
      sinceUpdateMs: now - options.updateSentMs,
      updateSentMs: options.updateSentMs,
      backOnPreviousMs: backSinceMs === undefined ? 0 : now - backSinceMs,
      rolloutStartGraceMs: options.rolloutStartGraceMs,
      ...(options.metadataOnly ? { metadataOnly: options.metadataOnly } : {}),
      ...(options.rolloutExpected ? { rolloutExpected: true } : {}),
    });
    if (verdict.ours !== undefined && tracker.ours === undefined) {
      tracker.ours = verdict.ours;
      log.debug(`Our rollout is configuration ${verdict.ours}.`);
    }
    newRolloutSeen ||= verdict.newRollout;
    if (
      options.rolloutExpected &&
      !verdict.done &&
      verdict.of === 'previous' &&
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
    const foreign = verdict.of === 'foreign';
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
