/**
 * The update that undoes a failed one, and when not to send one. Pure.
 *
 * A revert never removes what it cannot see: a port's `domains` (GET never shows them) are kept
 * as the failed update sent them, and a leaf that was not set before (absent or null) cannot be
 * unset by a merge, so it is listed as not reverted instead of sent as null.
 */
import { updateBodySchema, type Deployment, type UpdateBody } from '../northflank/schema.js';
import { SERVING_STATUS } from './status.js';
import {
  fieldChanges,
  isObject,
  isUnset,
  readablePort,
  sameValue,
  type FieldChange,
} from './compare.js';
import type { UpdatePlan } from './plan.js';

/** The update that undoes a sent one, and what a merge cannot undo. */
export interface RevertPlan {
  /** The pre-update values of the fields the update changed. */
  body: UpdateBody;
  /** Spec leaves that were not set before the update: a merge cannot unset them. */
  notReverted: FieldChange[];
  /** Why the previous values cannot be sent as an update (they break a rule of the API). */
  invalid?: string;
}

/**
 * The previous values of the spec leaves `sent` set, as a spec to merge back; leaves that had no
 * previous value (absent or null) go to `missing`.
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
    } else if (sameValue(previous, value)) {
      continue;
    } else if (isUnset(previous)) {
      missing.push({ path: at, from: undefined, to: value });
    } else {
      out[key] = previous;
    }
  }
  return out;
}

/** The ports before the update as an update sets them, with the domains the failed update sent. */
function previousPorts(sent: UpdateBody, before: Deployment): Record<string, unknown>[] {
  return (before.ports ?? []).map((port) => {
    const out = readablePort(port);
    const domains = sent.ports?.find((p) => p.name === port.name)?.domains;
    if (domains !== undefined) out.domains = domains;
    return out;
  });
}

/** Plans the revert of `sent` (the body of an accepted update) to `before`, the deployment it changed. */
export function planRevert(sent: UpdateBody, before: Deployment): RevertPlan {
  const previous: Record<string, unknown> = {};
  const notReverted: FieldChange[] = [];
  if (sent.name !== undefined) previous.name = before.name;
  // No description before: the closest an update can come is an empty one.
  if (sent.description !== undefined) previous.description = before.description ?? '';
  if (sent.tags !== undefined) previous.tags = [...(before.tags ?? [])];
  // Ports re-sent only for their domains changed nothing a revert could put back (the domains
  // before cannot be read): sending them again would only repeat the failed update.
  if (sent.ports !== undefined && fieldChanges('ports', sent, before).length > 0) {
    previous.ports = previousPorts(sent, before);
  }
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

/**
 * Why a failed update is not to be reverted, or undefined when it is: an update that changed
 * nothing a GET shows (a forced re-send, or ports re-sent for their domains, which cannot be read
 * back) leaves nothing to put back, and a configuration that was not running before the update is
 * no working state to go back to.
 */
export function revertSkipReason(
  before: Deployment,
  plan: Pick<UpdatePlan, 'changes' | 'unreadable'>,
  forced: boolean,
): string | undefined {
  if (plan.changes.length === 0) {
    const domains = plan.unreadable.includes('ports');
    if (forced) {
      return `the update changed nothing (force: true re-sent values already in place${domains ? ', and ports for their domains, which a GET never shows' : ''}), so there is nothing to put back`;
    }
    if (domains) {
      return "the update changed nothing a GET shows: it re-sent ports only for their domains, and the domains from before the update cannot be read (a GET never shows them), so a revert could only send this update's domains again";
    }
    return 'the update changed nothing, so there is nothing to put back';
  }
  if (before.status !== SERVING_STATUS) {
    const id = before.deploymentConfiguration?.id;
    return `the configuration before the update${id ? ` (${id})` : ''} was itself ${before.status}, so putting its values back would not bring back a working deployment`;
  }
  return undefined;
}
