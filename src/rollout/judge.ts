// The judgement of one reading: which rollout it shows (ours, the previous one, someone else's)
// and whether the wait is over. Pure: the wait loop supplies the times.
import { formatDuration } from '../duration.js';
import type { Deployment, UpdateBody } from '../northflank/schema.js';
import type { Outcome } from './outcome.js';
import { isInPlace } from './plan.js';
import {
  FAILED_STATUSES,
  GONE_STATUS,
  IN_PROGRESS_STATUSES,
  SERVING_STATUS,
  isDifferentRollout,
} from './status.js';

/** Which rollout a reading shows, relative to the update. */
export type RolloutOf = 'ours' | 'previous' | 'foreign';

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
