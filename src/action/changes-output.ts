/** The `changes` output: each changed leaf as JSON, bounded like the log and the summary. */
import type { FieldChange } from '../rollout/compare.js';
import { boundedJson } from '../json.js';

/** Past this many characters of JSON, a value in the `changes` output is shortened. */
export const MAX_CHANGE_VALUE_CHARS = 2048;

/** What a shortened value ends with, so that no one takes it for the value. */
export const SHORTENED_MARKER = '[shortened:';

/** A value as the output shows it: itself, or the start of its JSON with a marker when long. */
function bounded(value: unknown): unknown {
  const json = boundedJson(value);
  if (json.length <= MAX_CHANGE_VALUE_CHARS) return value;
  return `${json.slice(0, MAX_CHANGE_VALUE_CHARS)}… ${SHORTENED_MARKER} ${json.length} characters of JSON in all]`;
}

/**
 * The `changes` output: a JSON list of {path, from, to}, where a leaf that is not set has no
 * `from` (or `to`) rather than a null, and a value past a few KB is shortened with a marker.
 */
export function changesOutput(changes: readonly FieldChange[]): string {
  return boundedJson(
    changes.map((c) => ({
      path: c.path,
      ...(c.from === undefined || c.from === null ? {} : { from: bounded(c.from) }),
      ...(c.to === undefined || c.to === null ? {} : { to: bounded(c.to) }),
    })),
  );
}
