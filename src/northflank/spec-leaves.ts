/**
 * The leaves of the spec schema, read from the schema itself: the spec reference, the "did you
 * mean" of an unknown key and the escape hatch for newer fields all use this one list, so none of
 * them can drift from what the action validates. Pure.
 */
import type * as z from 'zod/mini';
import { specSchema } from './schema.js';

/** One settable leaf of the spec. */
export interface SpecLeaf {
  /** Dotted path from the spec's root, e.g. `configuration.engine`. */
  path: string;
  /** The JSON type(s), e.g. `integer`, `string`, `boolean`, `integer or "auto"`. */
  type: string;
  /** Allowed values or range in words; empty when any value of the type goes. */
  allowed: string;
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodMiniType>;
  innerType?: z.ZodMiniType;
  in?: z.ZodMiniType;
  options?: z.ZodMiniType[];
  values?: unknown[];
  entries?: Record<string, unknown>;
  checks?: { _zod: { def: CheckDef } }[];
}

interface CheckDef {
  check: string;
  format?: string;
  value?: unknown;
  inclusive?: boolean;
  minimum?: number;
  maximum?: number;
}

const defOf = (schema: z.ZodMiniType): Def => schema._zod.def;

/** The type of a leaf schema and the values it allows, from its checks. */
function describeLeaf(schema: z.ZodMiniType): { type: string; allowed: string[] } {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
      return def.innerType ? describeLeaf(def.innerType) : { type: 'unknown', allowed: [] };
    case 'nullable': {
      const inner = def.innerType ? describeLeaf(def.innerType) : { type: 'unknown', allowed: [] };
      return { type: `${inner.type} or null`, allowed: inner.allowed };
    }
    case 'literal':
    case 'enum': {
      const values = def.values ?? Object.values(def.entries ?? {});
      return {
        type: typeof values[0] === 'string' ? 'string' : typeof values[0],
        allowed: [values.map((v) => JSON.stringify(v)).join(', ')],
      };
    }
    case 'union': {
      const parts = (def.options ?? []).map(describeLeaf);
      // A literal option reads better as a value ("auto") than as its type.
      const types = parts.map((p, i) =>
        ['literal', 'enum'].includes(defOf(def.options?.[i] ?? schema).type)
          ? (p.allowed[0] ?? p.type)
          : p.type,
      );
      return {
        type: types.join(' or '),
        allowed: parts.flatMap((p, i) => (i === 0 ? p.allowed : [])),
      };
    }
    case 'number':
    case 'string':
    case 'boolean':
      return checksOf(def);
    default:
      return { type: def.type, allowed: [] };
  }
}

function checksOf(def: Def): { type: string; allowed: string[] } {
  let type = def.type;
  let low: string | undefined;
  let high: string | undefined;
  const allowed: string[] = [];
  for (const { _zod } of def.checks ?? []) {
    const check = _zod.def;
    if (check.check === 'number_format' && check.format === 'safeint') type = 'integer';
    else if (check.check === 'greater_than')
      low = `${check.inclusive ? 'at least' : 'more than'} ${String(check.value)}`;
    else if (check.check === 'less_than')
      high = `${check.inclusive ? 'at most' : 'less than'} ${String(check.value)}`;
    else if (check.check === 'min_length' && check.minimum === 1) allowed.push('not empty');
    else if (check.check === 'min_length')
      allowed.push(`at least ${String(check.minimum)} characters`);
  }
  const range = [low, high].filter((part): part is string => part !== undefined).join(' and ');
  if (range) allowed.unshift(range);
  return { type, allowed };
}

function walk(schema: z.ZodMiniType, path: string, out: SpecLeaf[]): void {
  const def = defOf(schema);
  if (def.type === 'pipe' && def.in) {
    walk(def.in, path, out);
    return;
  }
  if (def.type === 'optional' && def.innerType && defOf(def.innerType).type !== 'nullable') {
    const inner = defOf(def.innerType);
    if (inner.type === 'object' || inner.type === 'pipe') {
      walk(def.innerType, path, out);
      return;
    }
  }
  if (def.type === 'object' && def.shape) {
    for (const [key, child] of Object.entries(def.shape)) {
      walk(child, path ? `${path}.${key}` : key, out);
    }
    return;
  }
  const { type, allowed } = describeLeaf(schema);
  out.push({ path, type, allowed: allowed.join('; ') });
}

let leaves: readonly SpecLeaf[] | undefined;

/** Every leaf of the spec schema, in the schema's order. */
export function specLeaves(): readonly SpecLeaf[] {
  if (!leaves) {
    const out: SpecLeaf[] = [];
    walk(specSchema(), '', out);
    leaves = out;
  }
  return leaves;
}

/** The paths of the spec's objects (not leaves), e.g. `configuration.nodeConfiguration`. */
export function specObjectPaths(): readonly string[] {
  const objects = new Set<string>(['']);
  for (const leaf of specLeaves()) {
    const parts = leaf.path.split('.');
    for (let i = 1; i < parts.length; i++) objects.add(parts.slice(0, i).join('.'));
  }
  return [...objects];
}
