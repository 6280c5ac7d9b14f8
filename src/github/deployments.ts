import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';

/** How a run ended, in GitHub's deployment states. */
export type GitHubDeploymentState = 'success' | 'failure' | 'error' | 'inactive';

/** A GitHub deployment in progress, to be given its final state. */
export interface GitHubDeployment {
  finish(state: GitHubDeploymentState, environmentUrl: string, description: string): Promise<void>;
}

export interface GitHubDeploymentOptions {
  environment: string;
  token: string;
  description: string;
  log: Logger;
}

const PERMISSION_HINT = 'the job needs "permissions: deployments: write" for github-token';

/** The hint for a GitHub API failure: permissions only where GitHub refused, not for a network error. */
function hintFor(error: unknown): string {
  const status =
    typeof error === 'object' && error !== null && 'status' in error ? error.status : undefined;
  if (status === 401 || status === 403 || status === 404) return PERMISSION_HINT;
  if (typeof status === 'number') return `GitHub answered HTTP ${status}`;
  return 'GitHub could not be reached; the model deploy goes on without it';
}

/**
 * Records the rollout as a GitHub deployment of this commit, `in_progress` from now on.
 * @actions/github is loaded only here, so runs without `environment` never pay for it. A GitHub
 * API failure is a warning: it must not fail the model's deploy.
 */
export async function startGitHubDeployment(
  o: GitHubDeploymentOptions,
): Promise<GitHubDeployment | undefined> {
  try {
    const { getOctokit, context } = await import('@actions/github');
    const octokit = getOctokit(o.token);
    const { owner, repo } = context.repo;
    const logUrl = `${context.serverUrl}/${owner}/${repo}/actions/runs/${String(context.runId)}`;
    const created = await octokit.rest.repos.createDeployment({
      owner,
      repo,
      ref: context.sha,
      environment: o.environment,
      description: o.description.slice(0, 140),
      auto_merge: false,
      required_contexts: [],
    });
    if (!('id' in created.data)) {
      o.log.warning(
        `GitHub did not create a deployment: ${created.data.message ?? 'no reason given'}`,
      );
      return undefined;
    }
    const deploymentId = created.data.id;
    await octokit.rest.repos.createDeploymentStatus({
      owner,
      repo,
      deployment_id: deploymentId,
      state: 'in_progress',
      log_url: logUrl,
    });
    o.log.info(`GitHub deployment ${String(deploymentId)} to "${o.environment}" is in progress.`);
    return {
      finish: async (state, environmentUrl, description) => {
        try {
          await octokit.rest.repos.createDeploymentStatus({
            owner,
            repo,
            deployment_id: deploymentId,
            state,
            log_url: logUrl,
            description: description.slice(0, 140),
            ...(environmentUrl ? { environment_url: environmentUrl } : {}),
          });
        } catch (error) {
          o.log.warning(
            `Could not set the GitHub deployment's status to ${state}: ${errorMessage(error)} (${hintFor(error)})`,
          );
        }
      },
    };
  } catch (error) {
    o.log.warning(
      `Could not record a GitHub deployment to "${o.environment}": ${errorMessage(error)} (${hintFor(error)})`,
    );
    return undefined;
  }
}
