/**
 * The step's promise, held once at its end, whichever path led there: it never ends green while
 * the deployment it leaves is not running, except where the user asked not to wait for it. Pure.
 */
import type { StepResult } from './outcome.js';
import { SUCCESSFUL_OUTCOMES } from './outcome.js';
import { SERVING_STATUS } from './status.js';

/** Successes that promise nothing of the deployment's status: nothing was waited for. */
const NOT_WAITED_FOR: ReadonlySet<string> = new Set(['not-waited', 'dry-run', 'skipped']);

/**
 * `result`, or an error in its place when it is a success but the deployment it leaves does not
 * run (a bug in the judgement must never reach the next step as a serving model).
 */
export function endsRunning<T extends StepResult>(
  result: T,
  waited: boolean,
): T | (StepResult & { title: string }) {
  if (!waited || !SUCCESSFUL_OUTCOMES.has(result.outcome)) return result;
  if (NOT_WAITED_FOR.has(result.outcome)) return result;
  const status = result.deployment?.status;
  if (status === SERVING_STATUS) return result;
  return {
    outcome: 'error',
    title: 'Not running',
    deployment: result.deployment,
    ours: result.ours,
    message: `The step would have ended as ${result.outcome} ("${result.message}"), but the deployment it last read is ${status ?? 'unknown'}, not running, and this step never ends green on a deployment that does not run. Check the deployment in Northflank, then run the workflow again (or with no fields to change, to wait for it).`,
  };
}
