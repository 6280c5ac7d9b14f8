/**
 * What a reading shows otherwise than an update would leave the deployment: the leaves it sent,
 * and the leaves it did not send, which keep their value from before the update. Pure; by the
 * rules of compare.ts (null is absent, spec merged, tags as a set, ports by what GET shows).
 *
 * This is the identity of a rollout (identity.ts): a new configuration is the update's own only
 * when nothing differs; and it is what a message names when something does, so a user can tell
 * someone else's update from Northflank showing a value sent in another form.
 */
import { boundedJson } from '../json.js';
import type { Deployment, UpdateBody } from '../northflank/schema.js';
import { FIELD_ORDER, fieldChanges, isObject, isUnset, sameValue } from './compare.js';

/** One leaf a reading shows otherwise than the update would leave it. */
export interface Difference {
  path: string;
  /** Whether the update sent this leaf; otherwise it should show its value from before. */
  sent: boolean;
  /** What the update sent, or (not sent) what the reading before it showed; undefined: not set. */
  expected: unknown;
  /** What the reading shows; undefined: not set. */
  shows: unknown;
}

/** The leaves of a spec as dotted paths: objects walked key by key, anything else one leaf. */
function specLeaves(path: string, value: unknown, out = new Map<string, unknown>()) {
  if (isUnset(value)) return out;
  if (!isObject(value)) return out.set(path, value);
  for (const [key, item] of Object.entries(value)) specLeaves(`${path}.${key}`, item, out);
  return out;
}

/** `patch` merged into `base` key by key, as Northflank merges a spec; a null leaf unsets. */
function merged(base: unknown, patch: unknown): unknown {
  if (!isObject(patch) || !isObject(base)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) out[key] = merged(base[key], value);
  return out;
}

/** Whether `path` is a leaf the update sent, or lies under or above one. */
function underSent(path: string, sent: ReadonlyMap<string, unknown>): boolean {
  for (const key of sent.keys()) {
    if (path === key || path.startsWith(`${key}.`) || key.startsWith(`${path}.`)) return true;
  }
  return false;
}

const SPEC_PATH = 'spec.configuration';

/** The spec leaves that differ from `before`'s spec with `sent` merged in. */
function specDifferences(sent: UpdateBody, before: Deployment, current: Deployment): Difference[] {
  const sentLeaves = specLeaves(SPEC_PATH, sent.spec?.configuration);
  const expected = specLeaves(
    SPEC_PATH,
    merged(before.spec?.configuration ?? {}, sent.spec?.configuration ?? {}),
  );
  const shows = specLeaves(SPEC_PATH, current.spec?.configuration);
  const out: Difference[] = [];
  for (const path of new Set([...expected.keys(), ...shows.keys()])) {
    if (sameValue(expected.get(path), shows.get(path))) continue;
    out.push({
      path,
      sent: underSent(path, sentLeaves),
      expected: expected.get(path),
      shows: shows.get(path),
    });
  }
  // The leaves sent first: they tell most about whose configuration this is.
  return [...out.filter((d) => d.sent), ...out.filter((d) => !d.sent)];
}

/**
 * Every leaf `current` shows otherwise than `sent` would leave `before`: the values sent, and
 * the rest as `before` showed it. Without `before`, only the values sent. Sent leaves come first,
 * field by field in FIELD_ORDER.
 */
export function differencesFrom(
  sent: UpdateBody,
  before: Deployment | undefined,
  current: Deployment,
): Difference[] {
  const sentOut: Difference[] = [];
  const keptOut: Difference[] = [];
  for (const field of FIELD_ORDER) {
    if (field === 'spec' && before !== undefined) continue;
    const given = sent[field] !== undefined;
    if (!given && before === undefined) continue;
    for (const change of fieldChanges(field, given ? sent : (before ?? {}), current)) {
      (given ? sentOut : keptOut).push({
        path: change.path,
        sent: given,
        expected: change.to,
        shows: change.from,
      });
    }
  }
  if (before !== undefined) {
    const spec = specDifferences(sent, before, current);
    sentOut.push(...spec.filter((d) => d.sent));
    keptOut.push(...spec.filter((d) => !d.sent));
  }
  return [...sentOut, ...keptOut];
}

/** Whether `current` shows the update: the values sent, and otherwise `before`'s configuration. */
export function showsUpdate(sent: UpdateBody, before: Deployment, current: Deployment): boolean {
  return differencesFrom(sent, before, current).length === 0;
}

/** A value for a message: JSON, cut short past this many characters. */
const MAX_VALUE_CHARS = 60;
/** How many leaves a message names before "and N more". */
const MAX_NAMED = 3;

function short(value: unknown): string {
  if (isUnset(value)) return '(not set)';
  const json = boundedJson(value);
  return json.length <= MAX_VALUE_CHARS ? json : `${json.slice(0, MAX_VALUE_CHARS - 1)}…`;
}

/** Context kept before the first character two long values differ at. */
const BEFORE_DIFFERENCE_CHARS = 20;

/**
 * Two values for a message, each shortened around where they first differ: two long texts that
 * differ near their end must not read the same.
 */
function shortPair(a: unknown, b: unknown): [string, string] {
  if (isUnset(a) || isUnset(b)) return [short(a), short(b)];
  const [x, y] = [boundedJson(a), boundedJson(b)];
  if (x.length <= MAX_VALUE_CHARS && y.length <= MAX_VALUE_CHARS) return [x, y];
  let at = 0;
  while (at < x.length && at < y.length && x[at] === y[at]) at++;
  const from = Math.max(0, at - BEFORE_DIFFERENCE_CHARS);
  const cut = (text: string): string => {
    const part = text.slice(from, from + MAX_VALUE_CHARS - 2);
    return `${from > 0 ? '…' : ''}${part}${from + part.length < text.length ? '…' : ''}`;
  };
  return [cut(x), cut(y)];
}

/** A list of objects that each have a distinct string `name` (ports): compared by name. */
function byName(value: unknown): Map<string, unknown> | undefined {
  if (!Array.isArray(value)) return undefined;
  const out = new Map<string, unknown>();
  for (const item of value) {
    if (!isObject(item) || typeof item.name !== 'string' || out.has(item.name)) return undefined;
    out.set(item.name, item);
  }
  return out;
}

/**
 * A difference broken down to the leaves that differ: objects key by key, named lists (ports)
 * by name, so a message names `ports[p1].public`, not the whole list twice.
 */
function leavesOf(d: Difference): Difference[] {
  const { expected, shows } = d;
  if (sameValue(expected, shows)) return [];
  const [a, b] = [byName(expected), byName(shows)];
  if (a && b) {
    return [...new Set([...a.keys(), ...b.keys()])].flatMap((name) =>
      leavesOf({ ...d, path: `${d.path}[${name}]`, expected: a.get(name), shows: b.get(name) }),
    );
  }
  if (isObject(expected) && isObject(shows)) {
    return [...new Set([...Object.keys(expected), ...Object.keys(shows)])].flatMap((key) =>
      leavesOf({ ...d, path: `${d.path}.${key}`, expected: expected[key], shows: shows[key] }),
    );
  }
  return [d];
}

/**
 * The first few differences as `path: sent X, shows Y` (or `path: not sent, was X, shows Y`),
 * down to the leaves that differ, values shortened around where they differ, and how many more:
 * bounded, whatever the values.
 */
export function describeDifferences(differences: readonly Difference[]): string {
  const leaves = differences.flatMap((d) => {
    const found = leavesOf(d);
    return found.length > 0 ? found : [d];
  });
  const named = leaves.slice(0, MAX_NAMED).map((d) => {
    const [expected, shows] = shortPair(d.expected, d.shows);
    return d.sent
      ? `${d.path}: sent ${expected}, shows ${shows}`
      : `${d.path}: not sent, was ${expected}, shows ${shows}`;
  });
  const more = leaves.length - named.length;
  return `${named.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}
