/** The GitHub deployment of a run: created once the update is sent, given the run's state at its end. */
import { startGitHubDeployment, type GitHubDeploymentState } from '../github/deployments.js';
import type { RunReport } from '../report/report.js';
import { SUCCESSFUL_OUTCOMES } from '../rollout/outcome.js';
import { publicUrl } from '../rollout/status.js';
import type { RunBase, RunContext } from './context.js';

/** With `environment` (and waiting): records the rollout as a GitHub deployment, in progress. */
export async function recordGitHubDeployment(ctx: RunContext): Promise<void> {
  const { github, wait } = ctx.settings;
  if (!github || !wait) return;
  ctx.githubDeployment = await startGitHubDeployment({
    ...github,
    description: `Northflank ${ctx.target.deploymentId}`,
    log: ctx.log,
  });
}

/** Gives the run's GitHub deployment, if it has one, the state the report says. */
export async function finishGitHubDeployment(run: RunBase, report: RunReport): Promise<void> {
  await run.githubDeployment?.finish(
    githubState(report),
    report.deployment ? publicUrl(report.deployment) : '',
    run.redactor.redact(report.message),
  );
}

/** The GitHub deployment state for a run: the rollout failed, or the action could not tell. */
export function githubState(report: RunReport): GitHubDeploymentState {
  if (SUCCESSFUL_OUTCOMES.has(report.outcome)) return 'success';
  // Another update replaced ours: this environment's deployment is no longer the one we made.
  if (report.outcome === 'superseded') return 'inactive';
  return ['error', 'timeout', 'cancelled'].includes(report.outcome) ? 'error' : 'failure';
}
