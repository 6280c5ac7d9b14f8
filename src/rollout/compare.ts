/**
 * How what an update sends compares with what a GET shows: the one rule that the plan, the
 * identity of our rollout, the revert and the `changes` output share. Pure.
 *
 * - `null` and absent are the same ("not set"), at any depth: the API sends either for "none".
 * - `spec` is merged into the current spec (Northflank's update semantics as we infer them; see
 *   ../shared/api), so only the leaves an update sets are compared; `name`, `description`,
 *   `tags` and `ports` are replaced whole. Tags compare as a set, ports by name.
 * - A field GET never reports (a port's `domains`) is not compared at all: GET saying nothing
 *   about it is not GET saying "none". Such a field can be sent, but never confirmed by reading.
 */
import { withoutGateNote } from './gate-note.js';
import type { Deployment, UpdateBody } from '../northflank/schema.js';

/** One leaf the update changes, with its current and new values (undefined: not set). */
export interface FieldChange {
  path: string;
  from: unknown;
  to: unknown;
}

/** The top-level fields of an update. */
export type UpdateField = keyof UpdateBody;

/** The top-level fields in the order the plan, the log and the summary list them. */
export const FIELD_ORDER: readonly UpdateField[] = ['name', 'description', 'tags', 'ports', 'spec'];

/** Whether `value` is a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a value is "not set": null and absent are the same thing. */
export function isUnset(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

/** `value`, with null taken as absent (for changes, which print absent as absent). */
export function orUnset(value: unknown): unknown {
  return value === null ? undefined : value;
}

/**
 * Structural equality of JSON values: object key order does not matter, array order does, and
 * null equals absent (a key set to null equals a missing key).
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b || (isUnset(a) && isUnset(b))) return true;
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
 * keeps what they leave out); anything else, arrays included, is one leaf compared whole. A leaf
 * wanted as null against one not set is no change.
 */
export function specLeafChanges(path: string, wanted: unknown, current: unknown): FieldChange[] {
  if (!isObject(wanted)) {
    return sameValue(wanted, current)
      ? []
      : [{ path, from: orUnset(current), to: orUnset(wanted) }];
  }
  const here = isObject(current) ? current : {};
  return Object.entries(wanted).flatMap(([key, value]) =>
    specLeafChanges(`${path}.${key}`, value, here[key]),
  );
}

/**
 * A port as an update sets it: server-set fields (`id`, `dns`) left out, defaults filled in, and
 * `domains` kept when given (to send them; GET never shows them).
 */
export function settablePort(port: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out = readablePort(port);
  if (!isUnset(port.domains)) out.domains = port.domains;
  return out;
}

/** A port as far as GET can show it: what an update sets, less `domains`. */
export function readablePort(port: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return {
    name: port.name,
    internalPort: port.internalPort,
    protocol: port.protocol,
    public: port.public ?? false,
    disableNfDomain: port.disableNfDomain ?? false,
  };
}

/** Ports compare as a list of what GET shows of them, in name order (names are unique). */
function comparablePorts(ports: readonly Readonly<Record<string, unknown>>[]): unknown[] {
  return ports.map(readablePort).sort((a, b) => String(a.name).localeCompare(String(b.name), 'en'));
}

/** Tags compare as a set: order and repeats carry no meaning. */
function comparableTags(tags: readonly string[]): string[] {
  return [...new Set(tags)].sort();
}

/** A description, with the empty one taken as not set. */
function noEmpty(text: string | undefined): string | undefined {
  return text === '' ? undefined : text;
}

/**
 * What the comparison reads of a side: an update's body, or a reading (the configuration from
 * before an update, as the values it should keep).
 */
export interface Comparable {
  name?: string | null | undefined;
  description?: string | null | undefined;
  tags?: readonly string[] | null | undefined;
  ports?: readonly Readonly<Record<string, unknown>>[] | null | undefined;
  spec?: { configuration?: unknown } | null | undefined;
}

/** The leaves one field of `given` would change in `current`. */
export function fieldChanges(
  field: UpdateField,
  given: Comparable,
  current: Deployment,
): FieldChange[] {
  switch (field) {
    case 'name':
      return sameValue(given.name, current.name)
        ? []
        : [{ path: 'name', from: orUnset(current.name), to: orUnset(given.name) }];
    case 'description':
      // An empty description is how an update clears one (a revert sends it): not set either way.
      // The benchmark gate's note is the action's, not the user's: compared without it.
      return sameValue(
        noEmpty(given.description ?? undefined),
        noEmpty(withoutGateNote(current.description)),
      )
        ? []
        : [
            {
              path: 'description',
              from: orUnset(current.description),
              to: orUnset(given.description),
            },
          ];
    case 'tags': {
      const from = current.tags ?? [];
      const to = given.tags ?? [];
      return sameValue(comparableTags(from), comparableTags(to))
        ? []
        : [{ path: 'tags', from, to }];
    }
    case 'ports': {
      const from = current.ports ?? [];
      const to = given.ports ?? [];
      return sameValue(comparablePorts(from), comparablePorts(to))
        ? []
        : [{ path: 'ports', from: from.map(readablePort), to: to.map(settablePort) }];
    }
    case 'spec':
      return specLeafChanges(
        'spec.configuration',
        given.spec?.configuration ?? {},
        current.spec?.configuration,
      );
  }
}

/** Every leaf of `given` that `current` does not show, field by field in FIELD_ORDER. */
export function changesFrom(given: UpdateBody, current: Deployment): FieldChange[] {
  return FIELD_ORDER.filter((field) => given[field] !== undefined).flatMap((field) =>
    fieldChanges(field, given, current),
  );
}

/**
 * Whether a reading shows every value of `sent` that a GET can show (spec leaves by the merge
 * rule, ports without their domains, name, description and tags).
 */
export function showsValues(sent: UpdateBody, current: Deployment): boolean {
  return changesFrom(sent, current).length === 0;
}

/**
 * The given fields that hold something no GET shows, so that reading back cannot confirm them:
 * `ports` when a port gives `domains` (an empty list too), which GET never reports. Ports that
 * give no `domains` say nothing about them, so what GET shows of them is all there is to compare.
 */
export function unreadableFields(given: UpdateBody): UpdateField[] {
  return given.ports?.some((port) => port.domains !== undefined) ? ['ports'] : [];
}
