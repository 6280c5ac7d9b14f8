/** Which of two readings of the deployment is the newer one, when replicas may lag. Pure. */
import type { Deployment } from '../northflank/schema.js';

/** A Northflank time as milliseconds; NaN when missing or unreadable. */
function timeOf(value: string | undefined): number {
  return Date.parse(value ?? '');
}

/**
 * Compares two Northflank times: positive when `a` is later, negative when earlier, 0 when equal
 * or when either is missing (no order known).
 */
function compareTimes(a: string | undefined, b: string | undefined): number {
  const at = timeOf(a);
  const bt = timeOf(b);
  if (Number.isNaN(at) || Number.isNaN(bt)) return 0;
  return at - bt;
}

/**
 * The newer of two readings: by `deploymentConfiguration.createdAt`, then by `updatedAt` (a
 * metadata update moves only that); on a tie, or with no times to go by, the later read.
 */
export function newerReading(first: Deployment, second: Deployment): Deployment {
  const byConfiguration = compareTimes(
    first.deploymentConfiguration?.createdAt,
    second.deploymentConfiguration?.createdAt,
  );
  if (byConfiguration !== 0) return byConfiguration > 0 ? first : second;
  return compareTimes(first.updatedAt, second.updatedAt) > 0 ? first : second;
}
