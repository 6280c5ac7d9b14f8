import { boundedJson } from './json.js';
import type { Deployment, UpdateBody } from './schema.js';

/** One field the update would change, with its current and new values. */
export interface FieldChange {
  path: string;
  from: unknown;
  to: unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Bounded: the current value comes from the API and may be nested beyond JSON.stringify's reach.
const same = (a: unknown, b: unknown): boolean => boundedJson(a) === boundedJson(b);

/** Leaf-by-leaf differences between what the update sets and what is there now. */
function diffObject(
  path: string,
  wanted: Record<string, unknown>,
  current: unknown,
  out: FieldChange[],
): void {
  for (const [key, value] of Object.entries(wanted)) {
    const here = isObject(current) ? current[key] : undefined;
    const at = `${path}.${key}`;
    if (isObject(value)) diffObject(at, value, here, out);
    else if (!same(value, here)) out.push({ path: at, from: here, to: value });
  }
}

/** Ports as the update sends them, so current and wanted compare field for field. */
function comparablePorts(ports: readonly Record<string, unknown>[]): unknown[] {
  return ports.map((p) => ({
    name: p.name,
    internalPort: p.internalPort,
    protocol: p.protocol,
    public: p.public ?? false,
  }));
}

/** What the update would change on the deployment as it is now (a dry run shows this). Pure. */
export function changesOf(body: UpdateBody, current: Deployment): FieldChange[] {
  const changes: FieldChange[] = [];
  if (body.name !== undefined && body.name !== current.name) {
    changes.push({ path: 'name', from: current.name, to: body.name });
  }
  if (body.description !== undefined && body.description !== current.description) {
    changes.push({ path: 'description', from: current.description, to: body.description });
  }
  if (body.tags !== undefined && !same(body.tags, current.tags ?? [])) {
    changes.push({ path: 'tags', from: current.tags ?? [], to: body.tags });
  }
  if (body.ports !== undefined) {
    const from = comparablePorts(current.ports ?? []);
    const to = comparablePorts(body.ports);
    if (!same(from, to)) changes.push({ path: 'ports', from, to });
  }
  if (body.spec?.configuration !== undefined) {
    diffObject('spec.configuration', body.spec.configuration, current.spec?.configuration, changes);
  }
  return changes;
}

/** A change as one line: `spec.configuration.revision: "main" → "v2"`. */
export function describeChange(change: FieldChange): string {
  const show = (value: unknown): string => (value === undefined ? '(not set)' : boundedJson(value));
  return `${change.path}: ${show(change.from)} → ${show(change.to)}`;
}
