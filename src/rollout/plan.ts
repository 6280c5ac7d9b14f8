/**
 * What an update would change, decided before anything is written. Pure.
 *
 * How each field compares is Northflank's update semantics as we infer them (the API does not
 * document them; see ../shared/api and README), in compare.ts: the one place to change if
 * Northflank documents otherwise.
 */
import { boundedJson } from '../json.js';
import type { Deployment, UpdateBody } from '../northflank/schema.js';
import {
  FIELD_ORDER,
  fieldChanges,
  isUnset,
  unreadableFields,
  type FieldChange,
  type UpdateField,
} from './compare.js';

export type { FieldChange, UpdateField } from './compare.js';

/** The plan for one update: what would change, and what to send. */
export interface UpdatePlan {
  /** What to POST: the top-level fields that would change (all given ones when forced). */
  body: UpdateBody;
  /** Every leaf that would change, for the log, the summary and the `changes` output. */
  changes: FieldChange[];
  /** The given fields that are already in place, as far as a GET shows. */
  inPlace: UpdateField[];
  /**
   * Given fields sent although what GET shows of them is in place, because GET cannot show all
   * of them (`ports`: a port's `domains` are never read back).
   */
  unreadable: UpdateField[];
  /**
   * Whether a rollout must follow: the body changes `spec` or `ports` values, or re-sends them
   * with force (a restart). Whether any other update starts one is not documented (see
   * `expectation`): it may, and then it is followed like any other.
   */
  startsRollout: boolean;
  /** What must follow the update when no new configuration shows (see RolloutExpectation). */
  expectation: RolloutExpectation;
}

/** A plan and the reading it was made on (the deployment before the update). */
export interface PlannedUpdate {
  before: Deployment;
  plan: UpdatePlan;
}

/**
 * What an update asks of Northflank, for when no new configuration shows after it. Whichever it
 * is, a new configuration that shows the update is the update's own and is followed.
 * - `rollout`: it changes `spec` or `ports` values that GET shows, so a rollout must come: the
 *   previous configuration past the grace period is a slow start or stale reads; keep waiting.
 * - `restart`: `force` re-sends `spec` or `ports` already in place: a restart is asked for, and
 *   none within the grace period is `no-rollout`.
 * - `either`: nothing of the configuration that GET shows changes (name, description or tags;
 *   ports re-sent for their domains; a forced re-send of those). Whether Northflank rolls out for
 *   that is not documented: the step ends once the values have shown on the configuration from
 *   before for a few seconds without a new one appearing.
 */
export type RolloutExpectation = 'rollout' | 'restart' | 'either';

/** What must follow an update with this body and these changes (see RolloutExpectation). Pure. */
export function rolloutExpectation(
  changes: readonly FieldChange[],
  body: UpdateBody,
  force: boolean,
): RolloutExpectation {
  if (changesTouchConfiguration(changes)) return 'rollout';
  return force && sendsConfiguration(body) ? 'restart' : 'either';
}

/** The fields whose change starts a new rollout; the others are metadata. */
export const ROLLOUT_FIELDS: ReadonlySet<UpdateField> = new Set<UpdateField>(['spec', 'ports']);

/**
 * Plans an update of `current` with the given fields: which are in place, which leaves change,
 * and the body to send. With `force`, every given field is sent even when in place.
 */
export function planUpdate(given: UpdateBody, current: Deployment, force = false): UpdatePlan {
  const body: UpdateBody = {};
  const changes: FieldChange[] = [];
  const inPlace: UpdateField[] = [];
  const unreadable: UpdateField[] = [];
  const cannotReadBack = new Set(unreadableFields(given));
  for (const field of FIELD_ORDER) {
    if (given[field] === undefined) continue;
    const fieldLeaves = fieldChanges(field, given, current);
    changes.push(...fieldLeaves);
    // In place as far as GET shows, but GET cannot show all of it: only sending makes it so.
    const unsure = fieldLeaves.length === 0 && cannotReadBack.has(field) && !force;
    if (fieldLeaves.length === 0 && !unsure) inPlace.push(field);
    if (unsure) unreadable.push(field);
    if (fieldLeaves.length > 0 || force || unsure) Object.assign(body, { [field]: given[field] });
  }
  const expectation = rolloutExpectation(changes, body, force);
  return {
    body,
    changes,
    inPlace,
    unreadable,
    startsRollout: expectation !== 'either',
    expectation,
  };
}

/** Whether an update with this body sends `spec` or `ports`, the fields a rollout is made of. */
export function sendsConfiguration(body: UpdateBody): boolean {
  return FIELD_ORDER.some((field) => ROLLOUT_FIELDS.has(field) && body[field] !== undefined);
}

/** Whether any of these changes is to `spec` or `ports`. */
function changesTouchConfiguration(changes: readonly FieldChange[]): boolean {
  return changes.some((change) =>
    [...ROLLOUT_FIELDS].some(
      (field) => change.path === field || change.path.startsWith(`${field}.`),
    ),
  );
}

/** A change as one line: `spec.configuration.revision: "main" → "v2"`. */
export function describeChange(change: FieldChange): string {
  const show = (value: unknown): string => (isUnset(value) ? '(not set)' : boundedJson(value));
  return `${change.path}: ${show(change.from)} → ${show(change.to)}`;
}
