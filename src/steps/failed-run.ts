/** How a thrown error ends a run: skipped, cancelled, out of time, or an error. */
import {
  CancelledError,
  DeadlineError,
  NorthflankApiError,
  RunSkipped,
  errorMessage,
  errorTitle,
} from '../errors.js';
import { SKIPPED_TITLE } from '../report/fork-notice.js';
import type { StepResult } from '../rollout/outcome.js';
import type { RunBase } from './context.js';

/** The result of a run that `error` ended, with what the run had done by then. */
export function failedRun(error: unknown, run: RunBase): StepResult & { title: string } {
  const last = run.tracker.last;
  if (error instanceof RunSkipped) {
    return { outcome: 'skipped', title: SKIPPED_TITLE, message: error.message, deployment: last };
  }
  if (error instanceof CancelledError) {
    const status = last ? ` The last status seen was "${last.status}".` : '';
    return {
      outcome: 'cancelled',
      title: 'Cancelled',
      message: `${error.message}${status}${afterCancel(run)}`,
      deployment: last,
    };
  }
  if (error instanceof NorthflankApiError && error.status === 404 && !run.record.planned) {
    run.deploymentNotFound = true;
  }
  if (error instanceof DeadlineError) {
    return {
      outcome: 'timeout',
      title: 'Timed out',
      message: `Timed out: ${error.message}. Raise the "timeout" input.`,
      deployment: last,
    };
  }
  return {
    outcome: 'error',
    title: errorTitle(error),
    message: errorMessage(error),
    deployment: last,
  };
}

/** A cancel stops only the action: what goes on in Northflank without it. */
function afterCancel(run: RunBase): string {
  const { planned, sent } = run.record;
  if (sent === undefined) return planned ? ' No update had been sent.' : '';
  if (run.record.benchmark?.stopped?.which === 'after') {
    return ' The new rollout runs: the cancel stopped the benchmark after it, so its fail-if limits were not judged and nothing was reverted.';
  }
  if (run.tracker.reverting) {
    return ' The update had failed and a revert to the previous values had been sent: it goes on in Northflank; check there that it runs.';
  }
  return run.tracker.ours !== undefined || planned?.plan.expectation !== 'either'
    ? ' The update had been sent and goes on rolling out in Northflank; the action only stopped following it.'
    : ' The update had been sent; the action only stopped following it, so whether Northflank rolls out for it was not seen: check the deployment in Northflank.';
}
