/**
 * The last step of every run, whichever step ended it: the report made from what the run learnt,
 * the outputs and the outcome's log line, the GitHub deployment's state, and the job summary.
 */
import type { NorthflankClient } from '../northflank/client.js';
import type { RunDeps } from '../runner/deps.js';
import { formatDuration } from '../duration.js';
import {
  CancelledError,
  DeadlineError,
  NorthflankApiError,
  RunSkipped,
  errorMessage,
  errorTitle,
} from '../errors.js';
import { SKIPPED_TITLE } from '../report/fork-notice.js';
import type { GitHubDeployment, GitHubDeploymentState } from '../github/deployments.js';
import type { Settings } from '../config/settings.js';
import { describeChange, type UpdatePlan } from '../rollout/plan.js';
import { planVerdict } from '../rollout/plan-verdict.js';
import { type RunReport } from '../report/report.js';
import { setOutputs } from '../report/outputs.js';
import { summaryMarkdown } from '../report/summary.js';
import type { Deployment, UpdateBody } from '../northflank/schema.js';
import type { BenchmarkSession } from './benchmark-model.js';
import type { StepResult } from './result.js';
import type { RolloutTracker } from '../rollout/tracker.js';
import { SUCCESSFUL_OUTCOMES, type Outcome, type WaitResult } from '../rollout/outcome.js';

type Result = StepResult;

/** What the run has learnt so far; the report is made from it, whichever step failed. */
export interface RunState {
  settings?: Settings;
  client?: NorthflankClient;
  github?: GitHubDeployment;
  /** The deployment as read before the update. */
  before?: Deployment;
  /** The first read answered 404: Northflank knows no such deployment (for this token). */
  deploymentNotFound?: boolean;
  plan?: UpdatePlan;
  /** The body of the update Northflank accepted; undefined when nothing was sent. */
  sent?: UpdateBody;
  /** With `benchmark`: what it measured so far (a cancel reports it too). */
  benchmark?: BenchmarkSession;
  /** Whether the run followed a rollout (waited for one), so its timeline means something. */
  followed?: boolean;
}

/** The run's report, made from what it learnt, whichever step ended it. */
export function makeReport(
  result: Result,
  state: RunState,
  tracker: RolloutTracker,
  elapsedMs: number,
): RunReport {
  const { settings, plan, before } = state;
  return {
    outcome: result.outcome,
    message: withChanges(result, plan),
    title: result.title ?? titleFor(result),
    deployment: result.deployment ?? tracker.last,
    // The reading before the update alone is no rollout: no timeline for a run that followed none.
    timeline: state.sent !== undefined || state.followed ? tracker.timeline : [],
    timelineOriginMs: tracker.originMs,
    elapsedMs,
    target: settings
      ? {
          projectId: settings.projectId,
          deploymentId: settings.deploymentId,
          teamId: settings.teamId,
        }
      : {},
    updatedFields: Object.keys(state.sent ?? {}),
    ...(plan ? { inPlace: plan.inPlace } : {}),
    ...(plan?.unreadable.length && (state.sent || settings?.dryRun)
      ? { resent: plan.unreadable }
      : {}),
    requestCount: state.client?.requestCount ?? 0,
    ...(plan ? { changes: plan.changes, verdict: planVerdict(plan) } : {}),
    ...(before?.deploymentConfiguration?.id
      ? { previousConfigurationId: before.deploymentConfiguration.id }
      : {}),
    ...(result.notReverted ? { notReverted: result.notReverted } : {}),
    ...(result.models ? { models: result.models } : {}),
    ...(result.reply === undefined ? {} : { reply: result.reply }),
    ...(state.benchmark ? { benchmark: state.benchmark.report } : {}),
  };
}

/** Outcomes where the rollout itself failed: naming what the update changed helps. */
const ROLLOUT_FAILURES: ReadonlySet<Outcome> = new Set<Outcome>([
  'crashed',
  'rolled-back',
  'paused',
  'timeout',
  'reverted',
  'revert-failed',
  'smoke-failed',
  'regressed',
]);

const MAX_CHANGES_IN_MESSAGE = 5;

/** A failed rollout's message names the changes it carried. */
function withChanges(result: Result, plan: UpdatePlan | undefined): string {
  if (!plan || plan.changes.length === 0 || !ROLLOUT_FAILURES.has(result.outcome)) {
    return result.message;
  }
  const shown = plan.changes.slice(0, MAX_CHANGES_IN_MESSAGE).map(describeChange).join('; ');
  const more = plan.changes.length - MAX_CHANGES_IN_MESSAGE;
  return `${result.message} The update carried: ${shown}${more > 0 ? `; and ${more} more` : ''}.`;
}

type FailureResult = Result & {
  outcome: 'error' | 'cancelled' | 'timeout' | 'skipped';
  title: string;
};

/** The result of a run that a thrown error ended: skipped, cancelled, out of time, or an error. */
export function failure(error: unknown, tracker: RolloutTracker, state: RunState): FailureResult {
  const last = tracker.last;
  if (error instanceof RunSkipped) {
    return { outcome: 'skipped', title: SKIPPED_TITLE, message: error.message, deployment: last };
  }
  if (error instanceof CancelledError) {
    const status = last ? ` The last status seen was "${last.status}".` : '';
    // A cancel stops only the action: say what goes on in Northflank without it.
    const after =
      state.sent === undefined
        ? state.plan
          ? ' No update had been sent.'
          : ''
        : tracker.reverting
          ? ' The update had failed and a revert to the previous values had been sent: it goes on in Northflank; check there that it runs.'
          : tracker.ours !== undefined || state.plan?.expectation !== 'either'
            ? ' The update had been sent and goes on rolling out in Northflank; the action only stopped following it.'
            : ' The update had been sent; the action only stopped following it, so whether Northflank rolls out for it was not seen: check the deployment in Northflank.';
    return {
      outcome: 'cancelled',
      title: 'Cancelled',
      message: `${error.message}${status}${after}`,
      deployment: last,
    };
  }
  if (error instanceof NorthflankApiError && error.status === 404 && state.before === undefined) {
    state.deploymentNotFound = true;
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

const TITLES: Partial<Record<Outcome, string>> = {
  crashed: 'Rollout crashed',
  paused: 'Deployment paused',
  deleting: 'Deployment being deleted',
  deleted: 'Deployment deleted',
  'rolled-back': 'Rolled back',
  superseded: 'Superseded by another update',
  timeout: 'Timed out',
  cancelled: 'Cancelled',
  'smoke-failed': 'Smoke test failed',
  regressed: 'Serving regressed',
  reverted: 'Rollout failed; reverted',
  'revert-failed': 'Revert failed',
};

function titleFor(result: WaitResult): string {
  return TITLES[result.outcome] ?? 'Deploy failed';
}

/** The GitHub deployment state for a run: the rollout failed, or the action could not tell. */
export function githubState(report: RunReport): GitHubDeploymentState {
  if (SUCCESSFUL_OUTCOMES.has(report.outcome)) return 'success';
  // Another update replaced ours: this environment's deployment is no longer the one we made.
  if (report.outcome === 'superseded') return 'inactive';
  return ['error', 'timeout', 'cancelled'].includes(report.outcome) ? 'error' : 'failure';
}

/** Successes reported as a plain log line (not "Done in", not a warning). */
const QUIET_SUCCESSES: ReadonlySet<Outcome> = new Set<Outcome>([
  'not-waited',
  'dry-run',
  'updated',
  'unchanged',
]);

/** Sets the outputs and logs the outcome as the annotation it deserves. */
export function publish(report: RunReport, deps: RunDeps): void {
  const { log } = deps;
  try {
    setOutputs(deps.outputs, report);
  } catch (error) {
    log.warning(`Some outputs could not be set: ${errorMessage(error)}`);
  }
  const took = formatDuration(report.elapsedMs);
  if (report.outcome === 'running') {
    log.info(`Done in ${took}: ${report.message}`);
  } else if (report.outcome === 'skipped') {
    log.notice(report.message, { title: report.title });
  } else if (QUIET_SUCCESSES.has(report.outcome)) {
    log.info(report.message);
  } else if (report.outcome === 'no-rollout') {
    log.warning(report.message, { title: 'No new rollout observed' });
  } else {
    log.error(report.message, { title: report.title });
  }
}

/** Writes the job summary; written last, so that it can link the pull request comment. */
export async function writeSummary(report: RunReport, deps: RunDeps): Promise<void> {
  try {
    await deps.summary.write(summaryMarkdown(report));
  } catch (error) {
    // A summary that cannot be written (no GITHUB_STEP_SUMMARY locally) must not fail a deploy.
    deps.log.debug(`Job summary not written: ${errorMessage(error)}`);
  }
}
