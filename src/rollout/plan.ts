/**
 * What an update would change, decided before anything is written. Pure.
 *
 * How each field compares is Northflank's update semantics as we infer them (the API does not
 * document them; see ../shared/api and README): `spec` is merged into the current spec, so only
 * the leaves it sets matter; `name`, `description`, `tags` and `ports` are replaced whole. If
 * Northflank documents otherwise, this file is the one place to change.
 */
import { boundedJson } from '../json.js';
import { updateBodySchema, type Deployment, type UpdateBody } from '../northflank/schema.js';

/** One leaf the update changes, with its current and new values. */
export interface FieldChange {
  path: string;
  from: unknown;
  to: unknown;
}

/** The top-level fields of an update. */
export type UpdateField = keyof UpdateBody;

/** The plan for one update: what would change, and what to send. */
export interface UpdatePlan {
  /** What to POST: only the top-level fields that would change (all given ones when forced). */
  body: UpdateBody;
  /** Every leaf that would change, for the log, the summary and the `changes` output. */
  changes: FieldChange[];
  /** The given fields that are already in place. */
  inPlace: UpdateField[];
  /** Whether the body changes `spec` or `ports`, the fields whose change starts a rollout. */
  startsRollout: boolean;
}

/** The fields whose change starts a new rollout; the others are metadata. */
export const ROLLOUT_FIELDS: ReadonlySet<UpdateField> = new Set<UpdateField>(['spec', 'ports']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Structural equality of JSON values; object key order does not matter, array order does. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, i) => sameValue(item, b[i]))
    );
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if (!sameValue(a[key], b[key])) return false;
  return true;
}

/**
 * The leaves `wanted` sets that differ from `current`: objects are walked key by key (a merge
 * keeps what they leave out); anything else, arrays included, is one leaf compared whole.
 */
export function specLeafChanges(path: string, wanted: unknown, current: unknown): FieldChange[] {
  if (!isObject(wanted)) {
    return sameValue(wanted, current) ? [] : [{ path, from: current, to: wanted }];
  }
  const here = isObject(current) ? current : {};
  return Object.entries(wanted).flatMap(([key, value]) =>
    specLeafChanges(`${path}.${key}`, value, here[key]),
  );
}

/** A port as an update sets it: server-set fields (`id`, `dns`) left out, defaults filled in. */
export function settablePort(port: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: port.name,
    internalPort: port.internalPort,
    protocol: port.protocol,
    public: port.public ?? false,
    disableNfDomain: port.disableNfDomain ?? false,
  };
  // The GET does not report `domains`; only a port that names some compares them.
  if (port.domains !== undefined && port.domains !== null) out.domains = port.domains;
  return out;
}

/** Ports compare as a list of what an update can set, in name order (names are unique). */
function comparablePorts(ports: readonly Readonly<Record<string, unknown>>[]): unknown[] {
  return ports.map(settablePort).sort((a, b) => String(a.name).localeCompare(String(b.name), 'en'));
}

/** Tags compare as a set: order and repeats carry no meaning. */
function comparableTags(tags: readonly string[]): string[] {
  return [...new Set(tags)].sort();
}

/** The leaves one given field would change. */
function fieldChanges(field: UpdateField, body: UpdateBody, current: Deployment): FieldChange[] {
  switch (field) {
    case 'name':
      return body.name === current.name
        ? []
        : [{ path: 'name', from: current.name, to: body.name }];
    case 'description':
      return body.description === current.description
        ? []
        : [{ path: 'description', from: current.description, to: body.description }];
    case 'tags': {
      const from = current.tags ?? [];
      const to = body.tags ?? [];
      return sameValue(comparableTags(from), comparableTags(to))
        ? []
        : [{ path: 'tags', from, to }];
    }
    case 'ports': {
      const from = (current.ports ?? []).map(settablePort);
      const to = (body.ports ?? []).map(settablePort);
      return sameValue(comparablePorts(from), comparablePorts(to))
        ? []
        : [{ path: 'ports', from, to }];
    }
    case 'spec':
      return specLeafChanges(
        'spec.configuration',
        body.spec?.configuration ?? {},
        current.spec?.configuration,
      );
  }
}

const FIELD_ORDER: readonly UpdateField[] = ['name', 'description', 'tags', 'ports', 'spec'];

/**
 * Plans an update of `current` with the given fields: which are in place, which leaves change,
 * and the body to send. With `force`, every given field is sent even when in place.
 */
export function planUpdate(given: UpdateBody, current: Deployment, force = false): UpdatePlan {
  const body: UpdateBody = {};
  const changes: FieldChange[] = [];
  const inPlace: UpdateField[] = [];
  for (const field of FIELD_ORDER) {
    if (given[field] === undefined) continue;
    const fieldLeaves = fieldChanges(field, given, current);
    changes.push(...fieldLeaves);
    if (fieldLeaves.length === 0) inPlace.push(field);
    if (fieldLeaves.length > 0 || force) Object.assign(body, { [field]: given[field] });
  }
  return { body, changes, inPlace, startsRollout: startsRollout(body) };
}

/** Whether an update with this body starts a rollout: it changes `spec` or `ports`. */
export function startsRollout(body: UpdateBody): boolean {
  return FIELD_ORDER.some((field) => ROLLOUT_FIELDS.has(field) && body[field] !== undefined);
}

/**
 * Whether the plan changes `spec` or `ports` values, so a rollout must follow (not only re-sends
 * them with force).
 */
export function changesConfiguration(plan: UpdatePlan): boolean {
  return plan.changes.some((change) =>
    [...ROLLOUT_FIELDS].some(
      (field) => change.path === field || change.path.startsWith(`${field}.`),
    ),
  );
}

/** Whether a reading shows every field of `body` in place (an update's values have landed). */
export function isInPlace(body: UpdateBody, current: Deployment): boolean {
  return planUpdate(body, current).changes.length === 0;
}

/** A change as one line: `spec.configuration.revision: "main" → "v2"`. */
export function describeChange(change: FieldChange): string {
  const show = (value: unknown): string => (value === undefined ? '(not set)' : boundedJson(value));
  return `${change.path}: ${show(change.from)} → ${show(change.to)}`;
}

/** The update that undoes a sent one, and what a merge cannot undo. */
export interface RevertPlan {
  /** The pre-update values of the fields the update changed. */
  body: UpdateBody;
  /** Spec leaves the update added where the previous spec had none: a merge cannot remove them. */
  notReverted: FieldChange[];
  /** Why the previous values cannot be sent as an update (they break a rule of the API). */
  invalid?: string;
}

/**
 * The previous values of the spec leaves `sent` set, as a spec to merge back; leaves that had no
 * previous value go to `missing`.
 */
function previousSpec(
  path: string,
  sent: Record<string, unknown>,
  before: unknown,
  missing: FieldChange[],
): Record<string, unknown> {
  const here = isObject(before) ? before : {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(sent)) {
    const at = `${path}.${key}`;
    const previous = here[key];
    if (isObject(value)) {
      const nested = previousSpec(at, value, previous, missing);
      if (Object.keys(nested).length > 0) out[key] = nested;
    } else if (previous === undefined) {
      missing.push({ path: at, from: undefined, to: value });
    } else if (!sameValue(previous, value)) {
      out[key] = previous;
    }
  }
  return out;
}

/** Plans the revert of `sent` (the body of an accepted update) to `before`, the deployment it changed. Pure. */
export function planRevert(sent: UpdateBody, before: Deployment): RevertPlan {
  const previous: Record<string, unknown> = {};
  const notReverted: FieldChange[] = [];
  if (sent.name !== undefined) previous.name = before.name;
  // No description before: the closest an update can come is an empty one.
  if (sent.description !== undefined) previous.description = before.description ?? '';
  if (sent.tags !== undefined) previous.tags = [...(before.tags ?? [])];
  if (sent.ports !== undefined) previous.ports = (before.ports ?? []).map(settablePort);
  if (sent.spec?.configuration !== undefined) {
    const configuration = previousSpec(
      'spec.configuration',
      sent.spec.configuration,
      before.spec?.configuration,
      notReverted,
    );
    if (Object.keys(configuration).length > 0) previous.spec = { configuration };
  }
  // The previous values come from the API; send them only if they pass the update's own rules.
  const parsed = updateBodySchema().safeParse(previous);
  if (parsed.success) return { body: parsed.data, notReverted };
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
    .join('; ');
  return { body: {}, notReverted, invalid: issues };
}
