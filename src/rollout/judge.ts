// The judgement of one reading: which rollout it shows (ours, the previous one, someone else's)
// and whether the wait is over. Pure: the wait loop supplies the times.
import { formatDuration } from '../duration.js';
import type { Deployment, UpdateBody } from '../northflank/schema.js';
import type { Outcome } from './outcome.js';
import { showsValues } from './compare.js';
import { describeDifferences, differencesFrom } from './differences.js';
import { identify, replacedSincePlan, type RolloutOf } from './identity.js';
import type { RolloutExpectation } from './plan.js';
import { FAILED_STATUSES, GONE_STATUS, SERVING_STATUS } from './status.js';

export { predatesUpdate, type RolloutOf } from './identity.js';

/**
 * How long readings of the configuration from before an update must show its values, settled,
 * with no new configuration appearing, before the step takes it that no rollout follows (after
 * an update whose rollout Northflank does not document: expectation `either`). Northflank may
 * create a rollout a moment after it answers the update; this is that moment, bounded by
 * `rollout-start-grace`.
 */
export const NO_ROLLOUT_CONFIRM_MS = 5000;

/** The confirmation period for a given rollout-start-grace. */
export function confirmPeriodMs(rolloutStartGraceMs: number): number {
  return Math.min(NO_ROLLOUT_CONFIRM_MS, rolloutStartGraceMs);
}

/** What the wait knows when it judges a reading. */
export interface ReadingFacts {
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
   * What the update asks for, for when no new configuration shows (plan.ts). Without it, the
   * previous configuration past the grace period ends the wait as after a restart (`no-rollout`).
   */
  expectation?: RolloutExpectation | undefined;
  /**
   * The readings of the configuration from before that have shown the values sent, settled, in
   * an unbroken run so far (the previous verdicts' `confirming`): which configuration, and since
   * when (milliseconds since the update).
   */
  confirming?: { key: string; sinceUpdateMs: number } | undefined;
  /**
   * Once a reading of the configuration from before has shown the values sent (the update
   * reached Northflank): how long the readings since have not shown them, without a break (0
   * when the previous reading did). Undefined while none has shown them.
   */
  valuesGoneMs?: number | undefined;
  /** The body of the update: a configuration is ours only if a reading shows it (differences.ts). */
  sent?: UpdateBody | undefined;
  /**
   * With nothing sent (`unchanged`): the given values, and the reading the plan found them in. A
   * newer configuration without them means another update replaced it.
   */
  unchanged?: { given: UpdateBody; planned: Deployment } | undefined;
  /** Whether this wait follows a revert (its messages say so). */
  reverting?: boolean;
}

export type RolloutVerdict = {
  /** Whether the reading belongs to our rollout. */
  newRollout: boolean;
  of: RolloutOf;
  /** The configuration id of our rollout, when known (from this reading or an earlier one). */
  ours: string | undefined;
  /**
   * Set when the reading shows the values sent on the configuration from before, settled: it
   * counts towards confirming that no rollout follows. Names that configuration.
   */
  confirming?: string;
  /**
   * For a reading of the configuration from before, whether it shows the values sent: a reading
   * that does not, after one that did, is a replica behind (or someone changed them back).
   */
  showsSent?: boolean;
} & ({ done: false } | { done: true; outcome: Outcome; message: string });

const configurationId = (d: Deployment): string | undefined => d.deploymentConfiguration?.id;

const CONCURRENCY_ADVICE =
  'To avoid this, let one deployment of the model run at a time: give the job a `concurrency:` group per deployment (see examples/workflows/deploy-on-push.yml).';

const NORMALISED_ADVICE =
  'If a value listed is the one sent written another way, Northflank normalised it: give it in the form it shows.';

/** What a reading shows otherwise than the update would leave it, for a message. */
function whatDiffers(j: ReadingFacts, withRest: boolean): string {
  const differences = differencesFrom(j.sent ?? {}, withRest ? j.before : undefined, j.current);
  return differences.length > 0 ? describeDifferences(differences) : 'nothing that GET shows';
}

const fieldsOf = (sent: UpdateBody | undefined): string => Object.keys(sent ?? {}).join(', ');

/**
 * With nothing sent: a newer configuration without the given values means another update
 * replaced the one the plan found them in; say so instead of succeeding on theirs.
 */
function judgeUnchanged(
  j: ReadingFacts,
  u: { given: UpdateBody; planned: Deployment },
): RolloutVerdict | undefined {
  const base = { newRollout: false, of: 'foreign' as const, ours: j.ours };
  if (replacedSincePlan(u.given, u.planned, j.current)) {
    const plannedId = configurationId(u.planned) ?? 'unknown';
    const theirs = configurationId(j.current) ?? 'unknown';
    return {
      ...base,
      done: true,
      outcome: 'superseded',
      message: `Another update replaced the configuration this step was waiting for: the given values were in place in configuration ${plannedId} (nothing was sent), but the deployment moved to configuration ${theirs}, now ${j.current.status}, which does not have them. Someone else (another workflow run, or a person in Northflank) updated it. ${CONCURRENCY_ADVICE}`,
    };
  }
  // A reading that does not show the given values, of the same or an older configuration, is a
  // replica behind the plan's: keep reading.
  if (!showsValues(u.given, j.current)) return { ...base, of: 'previous', done: false };
  return undefined;
}

/** The message of our rollout that crashed. */
function crashedMessage(j: ReadingFacts): string {
  if (j.reverting)
    return "The revert's rollout crashed as well: the previous values do not run now either.";
  if (j.before === undefined) {
    return "The deployment crashed; no update was sent, as no fields to change were given. Check the deployment's logs in Northflank (model name, GPU type and memory, vLLM settings).";
  }
  if (j.expectation === 'either') {
    return `The rollout that followed this update (${fieldsOf(j.sent)}) crashed: the update changed nothing of the configuration that GET shows, but Northflank rolled the deployment out again for it, and that rollout does not run. Check the deployment's logs in Northflank (model name, GPU type and memory, vLLM settings).`;
  }
  return "The new rollout crashed. Check the deployment's logs in Northflank (model name, GPU type and memory, vLLM settings) and fix the spec.";
}

/** Judges a reading of our rollout. */
function judgeOurs(j: ReadingFacts, base: Omit<RolloutVerdict, 'done'>): RolloutVerdict {
  const { status } = j.current;
  if (status === SERVING_STATUS) {
    return {
      ...base,
      done: true,
      outcome: 'running',
      message: j.reverting
        ? "The revert's rollout is running."
        : j.before === undefined
          ? 'The deployment is running (no update was sent).'
          : 'The new rollout is running.',
    };
  }
  if (FAILED_STATUSES.has(status)) {
    return {
      ...base,
      done: true,
      outcome: status === 'paused' ? 'paused' : 'crashed',
      message:
        status === 'paused'
          ? 'The deployment was paused during the rollout; resume it in Northflank and run the workflow again.'
          : crashedMessage(j),
    };
  }
  return { ...base, done: false };
}

/**
 * Judges a reading of the configuration from before the update, before any of ours has shown:
 * by what the update asks for (RolloutExpectation). Never a success while it does not run.
 */
function judgeNoNewConfiguration(
  j: ReadingFacts,
  base: Omit<RolloutVerdict, 'done'>,
): RolloutVerdict {
  const expectation = j.expectation ?? 'restart';
  // A spec or ports change must roll out: a slow start or stale reads (the loop warns), up to
  // the timeout; never "no rollout".
  if (expectation === 'rollout') return { ...base, done: false };
  if (j.sent !== undefined && !showsValues(j.sent, j.current)) {
    return judgeValuesMissing(j, { ...base, showsSent: false });
  }
  const shown = { ...base, ...(j.sent === undefined ? {} : { showsSent: true }) };
  return expectation === 'restart' ? judgeAfterRestart(j, shown) : judgeMaybeRollout(j, shown);
}

/** A reading of the configuration from before that does not show the values sent. */
function judgeValuesMissing(
  j: ReadingFacts,
  missing: Omit<RolloutVerdict, 'done'>,
): RolloutVerdict {
  const fields = fieldsOf(j.sent);
  if (j.valuesGoneMs === undefined) {
    // A replica that has not seen the update yet; it catches up within seconds.
    if (j.sinceUpdateMs < j.rolloutStartGraceMs) return { ...missing, done: false };
    return {
      ...missing,
      done: true,
      outcome: 'error',
      message: `Northflank accepted the update of ${fields}, but ${formatDuration(j.sinceUpdateMs)} later the deployment still shows the previous values (${whatDiffers(j, false)}). ${NORMALISED_ADVICE} Otherwise check the deployment in Northflank, and run the workflow again.`,
    };
  }
  // The values showed before: a replica behind the others, unless it holds.
  if (j.valuesGoneMs < j.rolloutStartGraceMs) return { ...missing, done: false };
  return {
    ...missing,
    done: true,
    outcome: 'error',
    message: `The deployment showed the values of this update (${fields}), but for the last ${formatDuration(j.rolloutStartGraceMs)} it has shown others (${whatDiffers(j, false)}), with no new configuration: someone changed them back in Northflank, or it is answering from a replica that lags. Check the deployment in Northflank, and run the workflow again. ${CONCURRENCY_ADVICE}`,
  };
}

/** Whether a status is one no rollout is under way in: serving, or failed. */
const isSettled = (status: string): boolean =>
  status === SERVING_STATUS || FAILED_STATUSES.has(status);

/**
 * Still the old rollout after a forced re-send of values in place: once the grace period is
 * over, the update is taken to have started none, instead of hanging until the timeout.
 */
function judgeAfterRestart(j: ReadingFacts, shown: Omit<RolloutVerdict, 'done'>): RolloutVerdict {
  const { status } = j.current;
  const grace = formatDuration(j.rolloutStartGraceMs);
  if (j.sinceUpdateMs < j.rolloutStartGraceMs || !isSettled(status)) {
    return { ...shown, done: false };
  }
  if (status === SERVING_STATUS) {
    return {
      ...shown,
      done: true,
      outcome: 'no-rollout',
      message: `No new rollout was observed within ${grace} of the update; the deployment is running its previous configuration. The values sent were already in place, and Northflank did not restart the deployment for them.`,
    };
  }
  return {
    ...shown,
    done: true,
    outcome: status === 'paused' ? 'paused' : 'crashed',
    message: `No new rollout was observed within ${grace} of the update, and the deployment is still ${status}. Change the spec to start a new rollout, or fix the deployment in Northflank.`,
  };
}

/**
 * `either`: Northflank may or may not roll out for this update. The values show on the
 * configuration from before; it ends only when they have shown, settled, for the confirmation
 * period with no new configuration appearing (one may come a moment after the update's answer).
 * A configuration still rolling out (it was before the update) is waited for.
 */
function judgeMaybeRollout(j: ReadingFacts, shown: Omit<RolloutVerdict, 'done'>): RolloutVerdict {
  const { status } = j.current;
  if (!isSettled(status)) return { ...shown, done: false };
  const key = configurationId(j.current) ?? j.current.updatedAt ?? '';
  const confirmMs = confirmPeriodMs(j.rolloutStartGraceMs);
  const heldMs = j.confirming?.key === key ? j.sinceUpdateMs - j.confirming.sinceUpdateMs : 0;
  if (heldMs < confirmMs) return { ...shown, done: false, confirming: key };
  const fields = fieldsOf(j.sent);
  const id = configurationId(j.current);
  const on = id ? `configuration ${id}` : 'the configuration from before the update';
  const watched = formatDuration(confirmMs);
  if (status === SERVING_STATUS) {
    return {
      ...shown,
      done: true,
      outcome: 'updated',
      message: j.reverting
        ? `The revert is in place (${fields}) and needed no rollout: ${on} shows the previous values and runs.`
        : `The update is in place (${fields}) and needed no rollout: ${on} shows the values sent and still runs, and no new configuration showed in the ${watched} the action watched after they did.`,
    };
  }
  return {
    ...shown,
    done: true,
    outcome: status === 'paused' ? 'paused' : 'crashed',
    message: `The ${j.reverting ? 'revert' : 'update'} of ${fields} is in place, but the deployment is ${status}: ${on} shows the values sent, and no rollout followed in the ${watched} the action watched. ${
      status === 'paused'
        ? 'Resume the deployment in Northflank.'
        : 'Fix the deployment in Northflank (its logs say why it crashed), or change the spec, or send it again with force: true, to start a new rollout.'
    }`,
  };
}

/** Decides, from one reading, whether the wait is over and how it ended. Pure. */
export function judgeReading(j: ReadingFacts): RolloutVerdict {
  const { status } = j.current;
  const { of, ours } = identify(j);
  const base = { newRollout: of === 'ours', of, ours };
  if (status === GONE_STATUS) {
    return {
      ...base,
      done: true,
      outcome: 'deleting',
      message: 'The deployment is being deleted; nothing will serve.',
    };
  }
  if (j.before === undefined && j.unchanged) {
    const replaced = judgeUnchanged(j, j.unchanged);
    if (replaced) return replaced;
  }
  if (of === 'unconfirmed') {
    // A new configuration that does not show our update: a replica behind, or someone else's
    // update. Only when none of ours has shown within the grace period is it taken as theirs.
    if (j.sinceUpdateMs < j.rolloutStartGraceMs) return { ...base, done: false };
    const theirs = configurationId(j.current) ?? 'unknown';
    return {
      ...base,
      done: true,
      outcome: 'superseded',
      message: `Another update replaced this one: ${formatDuration(j.sinceUpdateMs)} after the update of ${fieldsOf(j.sent) || 'nothing'}, the deployment shows configuration ${theirs} (${status}), which does not show what this update would leave (${whatDiffers(j, true)}), and no configuration that does has shown. Someone else (another workflow run, or a person in Northflank) updated it; this step's result would not be about our update, so it stops here and reverts nothing. ${NORMALISED_ADVICE} ${CONCURRENCY_ADVICE}`,
    };
  }
  if (of === 'foreign') {
    const theirs = configurationId(j.current) ?? 'unknown';
    const same =
      j.sent !== undefined &&
      differencesFrom(j.sent, j.before, j.current).length === 0 &&
      j.before !== undefined;
    // A later configuration with exactly our values: someone sent them again (lead's call).
    const differs = same
      ? ', and shows the same values as this update: someone else sent them again'
      : j.sent
        ? ` (${whatDiffers(j, true)})`
        : '';
    return {
      ...base,
      done: true,
      outcome: 'superseded',
      message: `Another update replaced this one during the wait: configuration ${theirs} replaced our rollout (configuration ${ours ?? 'unknown'}) and is now ${status}${differs}. Someone else (another workflow run, or a person in Northflank) updated it; this step's result would not be about our update, so it stops here and reverts nothing. ${CONCURRENCY_ADVICE}`,
    };
  }
  if (of === 'ours') return judgeOurs(j, base);
  if (ours !== undefined) {
    // The pre-update configuration after ours: a replica that lags, or a rollback. Never a
    // success; only when it holds for the grace period is it taken for a rollback.
    if ((j.backOnPreviousMs ?? 0) >= j.rolloutStartGraceMs) {
      const beforeId = j.before ? (configurationId(j.before) ?? 'unknown') : 'unknown';
      return {
        ...base,
        done: true,
        outcome: 'rolled-back',
        message: `The deployment is back on its previous configuration ${beforeId} (${status}) and has stayed there for ${formatDuration(j.rolloutStartGraceMs)}, after our rollout (configuration ${ours}) had started: Northflank rolled the update back, or someone reverted it. Check the deployment's rollout history and logs in Northflank for why configuration ${ours} did not stay.`,
      };
    }
    return { ...base, done: false };
  }
  return judgeNoNewConfiguration(j, base);
}
