import type { Deployment, KnownStatus } from '../northflank/schema.js';

/** Statuses of a rollout still under way. A status not listed anywhere counts as this too. */
export const IN_PROGRESS_STATUSES: ReadonlySet<string> = new Set<KnownStatus>([
  'pending',
  'provisioning',
  'starting',
]);

/** Statuses that end the wait for a rollout as a failure. */
export const FAILED_STATUSES: ReadonlySet<string> = new Set<KnownStatus>(['crashed', 'paused']);

export const SERVING_STATUS: KnownStatus = 'running';

/** `deleting` ends the wait whichever rollout it belongs to: nothing will serve after it. */
export const GONE_STATUS: KnownStatus = 'deleting';

/**
 * Whether `after` shows a different rollout than `before`. The deployment configuration id
 * names a rollout; `updatedAt` stands in only when an id is missing on either side.
 */
export function isDifferentRollout(before: Deployment, after: Deployment): boolean {
  const beforeId = before.deploymentConfiguration?.id;
  const afterId = after.deploymentConfiguration?.id;
  if (beforeId !== undefined && afterId !== undefined) return beforeId !== afterId;
  if (before.updatedAt !== undefined && after.updatedAt !== undefined) {
    return before.updatedAt !== after.updatedAt;
  }
  return false;
}

/** Whether the deployment changed at all since `before`: a new rollout, or any update recorded. */
export function hasChangedSince(before: Deployment, after: Deployment): boolean {
  return (
    isDifferentRollout(before, after) ||
    (before.updatedAt !== undefined &&
      after.updatedAt !== undefined &&
      before.updatedAt !== after.updatedAt)
  );
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOSTNAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})+$`, 'i');

/** Whether `name` is a DNS host name (letters, digits, hyphens, dots): no path, port or markup. */
export function isHostname(name: string): boolean {
  return HOSTNAME.test(name);
}

/**
 * The public URL: `https://` and the DNS of the first public HTTP port, or '' when there is none.
 * Built only from a valid host name, since workflows open or probe it.
 */
export function publicUrl(deployment: Deployment): string {
  const port = deployment.ports?.find(
    (p) =>
      p.public === true &&
      (p.protocol === 'HTTP' || p.protocol === 'HTTP/2') &&
      p.dns !== undefined &&
      isHostname(p.dns),
  );
  return port?.dns ? `https://${port.dns.toLowerCase()}` : '';
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** The GPU the spec asks for, as `nvidia-h100 x8`, for messages; undefined when the spec names none. */
export function gpuLabel(deployment: Deployment): string | undefined {
  const gpu = field(
    field(field(deployment.spec?.configuration, 'nodeConfiguration'), 'gpu'),
    'configuration',
  );
  const type = field(gpu, 'gpuType');
  if (typeof type !== 'string' || type === '') return undefined;
  const count = field(gpu, 'gpuCount');
  return typeof count === 'number' ? `${type} x${count}` : type;
}
