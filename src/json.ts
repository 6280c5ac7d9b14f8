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
