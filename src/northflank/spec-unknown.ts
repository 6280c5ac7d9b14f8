/**
 * The escape hatch for spec fields newer than the action (`allow-unknown-spec-fields`): the
 * fields the schema knows are validated as usual; the others are set aside, then sent as given.
 * Pure.
 */
import { specLeaves, specObjectPaths } from './spec-leaves.js';

/** A spec field the action does not know, with the value given for it. */
export interface UnknownSpecField {
  /** Dotted path from the spec's root. */
  path: string;
  value: unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Splits a parsed spec into what the schema knows (to validate) and the unknown fields (each
 * taken whole, at the first key the schema does not know).
 */
export function splitUnknownSpecFields(spec: unknown): {
  known: unknown;
  unknown: UnknownSpecField[];
} {
  const leaves = new Set(specLeaves().map((leaf) => leaf.path));
  const objects = new Set(specObjectPaths());
  const unknown: UnknownSpecField[] = [];
  const walk = (value: unknown, at: string): unknown => {
    // Not an object where one is expected: left for the schema to refuse with its own message.
    if (!isObject(value)) return value;
    const kept: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      const path = at ? `${at}.${key}` : key;
      if (objects.has(path)) kept[key] = walk(child, path);
      else if (leaves.has(path)) kept[key] = child;
      else unknown.push({ path, value: child });
    }
    return kept;
  };
  return { known: walk(spec, ''), unknown };
}

/**
 * Takes every key given as `null` out of a parsed spec, at any depth, with its dotted path: null
 * means "not set", and a merge cannot unset a key, so there is nothing to compare or send.
 */
export function dropNullSpecFields(spec: unknown): { kept: unknown; dropped: string[] } {
  const dropped: string[] = [];
  const walk = (value: unknown, at: string): unknown => {
    // Arrays are leaves, compared and sent whole.
    if (!isObject(value)) return value;
    const kept: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      const path = at ? `${at}.${key}` : key;
      if (child === null) dropped.push(path);
      else kept[key] = walk(child, path);
    }
    return kept;
  };
  return { kept: walk(spec, ''), dropped };
}

/** `spec` with the unknown fields put back at their paths (a copy; `spec` is not changed). */
export function withUnknownSpecFields<T extends object>(
  spec: T,
  unknown: readonly UnknownSpecField[],
): T {
  const out = structuredClone(spec) as Record<string, unknown>;
  for (const field of unknown) {
    const keys = field.path.split('.');
    let here = out;
    for (const key of keys.slice(0, -1)) {
      const next = here[key];
      here = isObject(next) ? next : (here[key] = {});
    }
    here[keys[keys.length - 1] ?? ''] = structuredClone(field.value);
  }
  return out as T;
}
