// The judgement of one reading: which rollout it shows (ours, the previous one, someone else's)
// and whether the wait is over. Pure: the wait loop supplies the times.
import { formatDuration } from '../duration.js';
import type { Deployment, UpdateBody } from '../northflank/schema.js';
import type { Outcome } from './outcome.js';
import { showsValues } from './compare.js';
import { identify, predatesUpdate, replacedSincePlan, type RolloutOf } from './identity.js';
import { FAILED_STATUSES, GONE_STATUS, SERVING_STATUS, isDifferentRollout } from './status.js';

export { predatesUpdate, type RolloutOf } from './identity.js';

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
  /** The body of the update: a configuration is ours only if a reading shows these values. */
  sent?: UpdateBody | undefined;
  /**
   * With nothing sent (`unchanged`): the given values, and the reading the plan found them in. A
   * newer configuration without them means another update replaced it.
   */
  unchanged?: { given: UpdateBody; planned: Deployment } | undefined;
  /** Whether this wait follows a revert (its messages say so). */
  reverting?: boolean;
}

export type Verdict = {
  /** Whether the reading belongs to our rollout. */
  newRollout: boolean;
  of: RolloutOf;
  /** The configuration id of our rollout, when known (from this reading or an earlier one). */
  ours: string | undefined;
} & (
  | { done: false }
  | {
      done: true;
      outcome: Outcome;
      message: string;
      /** Something to tell the user beside the result (the log's notice). */
      notice?: string;
    }
);

const configurationId = (d: Deployment): string | undefined => d.deploymentConfiguration?.id;

/** Which rollout a reading shows (see identity.ts): ours is what shows our values. */
export function classify(j: Judgement): { of: RolloutOf; ours: string | undefined } {
  return identify(j);
}

const CONCURRENCY_ADVICE =
  'To avoid this, let one deployment of the model run at a time: give the job a `concurrency:` group per deployment (see examples/workflows/deploy-on-push.yml).';

/** Judges a reading after a metadata-only update that still shows the configuration from before it. */
function judgeMetadata(j: Judgement, sent: UpdateBody): Verdict {
  const { status } = j.current;
  const base = { newRollout: false, of: 'previous' as const, ours: j.ours };
  const fields = Object.keys(sent).join(', ');
  if (!showsValues(sent, j.current)) {
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

/**
 * Judges a reading after a metadata-only update that shows a new configuration: a rollout it
 * cannot have started, so never ours. Done when our values show (with a notice naming the other
 * rollout); superseded when they still do not after the grace period (overwritten).
 */
function judgeMetadataBesideRollout(j: Judgement, sent: UpdateBody): Verdict {
  const base = { newRollout: false, of: 'foreign' as const, ours: undefined };
  const { status } = j.current;
  const fields = Object.keys(sent).join(', ');
  const theirs = configurationId(j.current) ?? 'unknown';
  if (showsValues(sent, j.current)) {
    const notice = `A rollout started beside this update: configuration ${theirs}, now ${status}. This update (${fields}) starts no rollout, so it is not this step's: someone else updated the deployment. This step does not follow it; check it in Northflank.`;
    return {
      ...base,
      done: true,
      outcome: 'updated',
      message: `The update is in place (${fields}); it needed no rollout. Another rollout started meanwhile (configuration ${theirs}, ${status}), not this update's: it is not followed.`,
      notice,
    };
  }
  if (j.sinceUpdateMs < j.rolloutStartGraceMs) return { ...base, done: false };
  return {
    ...base,
    done: true,
    outcome: 'superseded',
    message: `Another update replaced this one: the deployment moved to configuration ${theirs} (${status}), and ${formatDuration(j.sinceUpdateMs)} after this update of ${fields} it does not show the values sent: someone else overwrote them. This step's result would not be about our update, so it stops here. ${CONCURRENCY_ADVICE}`,
  };
}

/**
 * With nothing sent: a newer configuration without the given values means another update
 * replaced the one the plan found them in; say so instead of succeeding on theirs.
 */
function judgeUnchanged(
  j: Judgement,
  u: { given: UpdateBody; planned: Deployment },
): Verdict | undefined {
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
  if (j.before === undefined && j.unchanged) {
    const replaced = judgeUnchanged(j, j.unchanged);
    if (replaced) return replaced;
  }
  if (j.metadataOnly && j.before) {
    if (!isDifferentRollout(j.before, j.current) || predatesUpdate(j)) {
      return judgeMetadata(j, j.metadataOnly);
    }
    return judgeMetadataBesideRollout(j, j.metadataOnly);
  }
  if (of === 'unconfirmed') {
    // A new configuration without our values: a replica behind, or someone else's update. Only
    // when no configuration of ours has shown within the grace period is it taken as theirs.
    if (j.sinceUpdateMs < j.rolloutStartGraceMs) return { ...base, done: false };
    const theirs = configurationId(j.current) ?? 'unknown';
    return {
      ...base,
      done: true,
      outcome: 'superseded',
      message: `Another update replaced this one: ${formatDuration(j.sinceUpdateMs)} after the update, the deployment shows configuration ${theirs} (${status}), which does not have the values this update sent (${Object.keys(j.sent ?? {}).join(', ') || 'none'}), and no configuration with them has shown. Someone else (another workflow run, or a person in Northflank) updated it; this step's result would not be about our update, so it stops here. ${CONCURRENCY_ADVICE}`,
    };
  }
  if (of === 'foreign') {
    const theirs = configurationId(j.current) ?? 'unknown';
    return {
      ...base,
      done: true,
      outcome: 'superseded',
      message: `Another update replaced this one during the wait: the deployment moved from our rollout (configuration ${ours ?? 'unknown'}) to configuration ${theirs}, now ${status}. Someone else (another workflow run, or a person in Northflank) updated it; this step's result would not be about our update, so it stops here. ${CONCURRENCY_ADVICE}`,
    };
  }
  if (of === 'ours') {
    if (status === SERVING_STATUS) {
      return {
        ...base,
        done: true,
        outcome: 'running',
        message: j.reverting ? "The revert's rollout is running." : 'The new rollout is running.',
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
            : j.reverting
              ? "The revert's rollout crashed as well: the previous values do not run now either."
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
