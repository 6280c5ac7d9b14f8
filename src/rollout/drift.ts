/**
 * Whether the deployment moved between the reading a plan was made on and a later one, as far as
 * the update is concerned: its configuration, or a value the update compares. Pure.
 */
import type { Deployment, UpdateBody } from '../northflank/schema.js';
import { FIELD_ORDER, fieldChanges, isUnset, sameValue, type FieldChange } from './compare.js';
import { boundedJson } from '../json.js';

/** What moved, in words; undefined when nothing the update depends on did. */
export function describeDrift(
  planned: Deployment,
  fresh: Deployment,
  given: UpdateBody,
): string | undefined {
  const moved: string[] = [];
  const was = planned.deploymentConfiguration?.id;
  const now = fresh.deploymentConfiguration?.id;
  if (was !== undefined && now !== undefined && was !== now) {
    moved.push(`configuration ${was} → ${now} (${fresh.status})`);
  }
  for (const field of FIELD_ORDER) {
    if (given[field] === undefined) continue;
    const before = byPath(fieldChanges(field, given, planned));
    const after = byPath(fieldChanges(field, given, fresh));
    for (const path of new Set([...before.keys(), ...after.keys()])) {
      // A leaf with no change is in place: it holds the given value.
      const from = before.get(path);
      const to = after.get(path);
      const fromValue = from ? from.from : to?.to;
      const toValue = to ? to.from : from?.to;
      if (!sameValue(fromValue, toValue))
        moved.push(`${path}: ${show(fromValue)} → ${show(toValue)}`);
    }
  }
  return moved.length > 0 ? moved.join('; ') : undefined;
}

function byPath(changes: readonly FieldChange[]): Map<string, FieldChange> {
  return new Map(changes.map((change) => [change.path, change]));
}

function show(value: unknown): string {
  return isUnset(value) ? '(not set)' : boundedJson(value);
}
