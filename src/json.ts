/** Deeper than this, API data is replaced by a note: JSON.stringify would overflow the stack. */
const MAX_JSON_DEPTH = 64;
const TOO_DEEP = '[nested too deeply to output]';

/** A copy of `value` with anything below `depth` levels replaced by a note. */
function pruned(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth <= 0) return TOO_DEEP;
  if (Array.isArray(value)) return value.map((item) => pruned(item, depth - 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = pruned(item, depth - 1);
  return copy;
}

/** JSON of API data, whatever its nesting. */
export function boundedJson(value: unknown): string {
  // Undefined (not a string) for a value JSON cannot hold, despite the declared type.
  const json = JSON.stringify(pruned(value, MAX_JSON_DEPTH)) as string | undefined;
  return json ?? '';
}

/** The value at a path of keys in parsed JSON (as a zod issue gives it); undefined where there is none. */
export function valueAt(value: unknown, at: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of at) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
