/**
 * Which rollout a reading shows, relative to an update: ours is what shows our update. Pure.
 *
 * One rule for every update (metadata only, ports re-sent, spec, force, revert), whether or not a
 * rollout was expected: a new configuration is ours when it shows the values sent and otherwise
 * the configuration from before the update (differences.ts). A new configuration id alone does
 * not make a rollout ours: a replica behind the one the plan read, or another update that landed
 * beside ours, also shows a new id.
 */
import type { Deployment, UpdateBody } from '../northflank/schema.js';
import { showsValues } from './compare.js';
import { showsUpdate } from './differences.js';
import type { RolloutExpectation } from './plan.js';
import { IN_PROGRESS_STATUSES, isDifferentRollout } from './status.js';

/**
 * Which rollout a reading shows: ours; the one from before the update (or a replica behind it);
 * someone else's after ours was seen; or `unconfirmed`, a new configuration that does not show
 * what we sent before ours was seen (a stale replica or someone else's update: keep reading).
 */
export type RolloutOf = 'ours' | 'previous' | 'foreign' | 'unconfirmed';

/** What identifying a reading needs to know. */
export interface IdentityInput {
  /** The deployment before the update; undefined when no update was sent. */
  before: Deployment | undefined;
  current: Deployment;
  /** The configuration id of our rollout, once a reading has shown it. */
  ours?: string | undefined;
  /** Whether a reading since the update already belonged to the new rollout. */
  newRolloutSeen: boolean;
  /** Clock time at which the update was sent. */
  updateSentMs?: number;
  /** The body of the update: a reading is ours only if it shows these values. */
  sent?: UpdateBody | undefined;
  /**
   * What the update asks for. Without configuration ids, a new `updatedAt` stands in for a new
   * configuration only after an update that changes or restarts one: any update moves it.
   */
  expectation?: RolloutExpectation | undefined;
}

const configurationId = (d: Deployment): string | undefined => d.deploymentConfiguration?.id;

/** The deployment left a settled state for a rollout under way. */
function startedRolling(before: Deployment, current: Deployment): boolean {
  return !IN_PROGRESS_STATUSES.has(before.status) && IN_PROGRESS_STATUSES.has(current.status);
}

/** Configurations created this long before the update cannot be its own, whatever the clocks say. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Whether the reading's configuration was created before the update: no later than the one read
 * before it (both times are Northflank's), or well before the update was sent (the runner's clock).
 */
export function predatesUpdate(
  j: Pick<IdentityInput, 'before' | 'current' | 'updateSentMs'>,
): boolean {
  const created = Date.parse(j.current.deploymentConfiguration?.createdAt ?? '');
  if (Number.isNaN(created)) return false;
  const beforeCreated = Date.parse(j.before?.deploymentConfiguration?.createdAt ?? '');
  if (!Number.isNaN(beforeCreated) && created <= beforeCreated) return true;
  return j.updateSentMs !== undefined && created < j.updateSentMs - CLOCK_SKEW_MS;
}

/**
 * Which rollout a reading shows. After the update, the first configuration that differs from the
 * one before and shows the update (the values sent, the rest as before) is ours; later, the id
 * before means a stale replica or a rollback, and any other id another update. Where ids are
 * missing, `updatedAt` (see IdentityInput.expectation) and the status stand in.
 */
export function identify(j: IdentityInput): { of: RolloutOf; ours: string | undefined } {
  const { before, current } = j;
  if (before === undefined) return { of: 'ours', ours: j.ours };
  const shows = j.sent === undefined || showsUpdate(j.sent, before, current);
  const beforeId = configurationId(before);
  const currentId = configurationId(current);
  if (beforeId !== undefined && currentId !== undefined) {
    if (currentId !== beforeId) {
      // A replica behind the one read before the update shows an even older configuration.
      if (predatesUpdate(j)) return { of: 'previous', ours: j.ours };
      if (j.ours === currentId) return { of: 'ours', ours: currentId };
      if (j.ours !== undefined) return { of: 'foreign', ours: j.ours };
      return shows ? { of: 'ours', ours: currentId } : { of: 'unconfirmed', ours: undefined };
    }
    if (j.ours !== undefined) return { of: 'previous', ours: j.ours };
  } else if (j.expectation !== 'either' && isDifferentRollout(before, current)) {
    return shows ? { of: 'ours', ours: j.ours } : { of: 'unconfirmed', ours: j.ours };
  }
  // Same configuration id, but the deployment left a settled state: the id may lag behind the
  // status, and a rollout under way after we changed it is ours, once it shows our values.
  if (shows && (j.newRolloutSeen || startedRolling(before, current))) {
    return { of: 'ours', ours: j.ours };
  }
  return { of: 'previous', ours: j.ours };
}

/**
 * With nothing sent (`unchanged`): whether a reading still shows the given values, or another
 * update replaced the configuration the plan found them in (a newer configuration without them).
 */
export function replacedSincePlan(
  given: UpdateBody,
  planned: Deployment,
  current: Deployment,
): boolean {
  if (showsValues(given, current)) return false;
  const plannedId = configurationId(planned);
  const currentId = configurationId(current);
  if (plannedId === undefined || currentId === undefined || plannedId === currentId) return false;
  // A replica behind the plan's reading shows an older configuration: not a replacement.
  return !predatesUpdate({ before: planned, current });
}
