/**
 * Why a pull request's run has no Northflank token, and what to do about it. Pure.
 */
import type { GitHubRun } from '../runner/event.js';

/** The notice's title. */
export const SKIPPED_TITLE = 'Skipped: no Northflank token on a pull request';

/**
 * The message for a pull request event whose `api-token` is empty: GitHub gives forks no
 * secrets, so this is expected there, and the way to plan such a change is a maintainer's run.
 */
export function skippedMessage(run: Pick<GitHubRun, 'eventName' | 'pullRequest'>): string {
  const pr = run.pullRequest ? ` #${run.pullRequest.number}` : '';
  const fork = run.pullRequest?.fromFork;
  const which =
    // pull_request_target runs in the base repository's context, with its secrets, forks too.
    run.eventName === 'pull_request_target'
      ? `A pull_request_target workflow gets this repository's secrets, for pull requests from forks too (Dependabot's get only Dependabot secrets): check that the secret given as api-token exists in this repository.`
      : fork === true
        ? `Pull request${pr} comes from a fork, so this is expected.`
        : fork === false
          ? `Pull request${pr} is not from a fork: check that the secret given as api-token exists in this repository and is available to this workflow (Dependabot's pull requests get only Dependabot secrets).`
          : `If pull request${pr} is not from a fork, check that the secret given as api-token exists in this repository.`;
  return [
    `Skipped: api-token is empty on this ${run.eventName} event, so nothing was read from Northflank or sent (outcome skipped).`,
    "GitHub gives no secrets to workflows run for pull requests from forks (nor to Dependabot's, which get only Dependabot secrets).",
    `To plan this change, a maintainer can push its commits to a branch of this repository and run the workflow there, or use the workflow_run pattern: this ${run.eventName} workflow uploads the spec as an artifact, and a workflow_run workflow, which has the secrets, plans it and comments without checking out the pull request's code.`,
    which,
  ].join(' ');
}

/** Why a fork's pull request gets no preview, even where the workflow has secrets. */
export function forkPreviewMessage(pullRequest: number): string {
  return `Skipped: pull request #${pullRequest} comes from a fork, and a fork's pull request gets no preview (nothing was read from Northflank or created): a preview would run the fork's configuration on your GPUs with your token. A maintainer can push the branch to this repository to get one.`;
}
