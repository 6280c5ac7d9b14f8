/** The pull request comment step of the report: the plan or the deploy's result, for reviewers. */
import type { RunDeps } from '../runner/deps.js';
import type { Settings } from '../config/settings.js';
import type { Redactor } from '../runner/redact.js';
import type { PullRequestCommentNote, RunReport } from '../report/report.js';
import { commentMarkdown } from '../report/comment-body.js';
import type { GitHubRun } from '../runner/event.js';
import { commentMarker, writePullRequestComment } from '../github/pr-comment.js';
import type { Deployment } from '../northflank/schema.js';

/**
 * Why `pr-comment: true` will not comment on this run, for a warning at the start; undefined
 * when it will (or was not asked for).
 */
export function commentIgnoredReason(settings: Settings, run: GitHubRun): string | undefined {
  if (!settings.prComment) return undefined;
  if (!run.isPullRequestEvent) {
    const event = run.eventName ? `a ${run.eventName} event` : 'a run outside GitHub Actions';
    return `Input "pr-comment" is ignored on ${event}: the comment is written only on pull_request and pull_request_target events. Set pr-comment only in the job that runs on pull requests, e.g. pr-comment: \${{ github.event_name == 'pull_request' }}.`;
  }
  if (!run.pullRequest) {
    return `Input "pr-comment" is ignored: this is a ${run.eventName} event, but ${run.problem ?? 'the pull request is not known'}, so the action cannot tell which pull request to comment on.`;
  }
  if (!run.repository) {
    return 'Input "pr-comment" is ignored: GITHUB_REPOSITORY is not set (owner/repository), so the action cannot tell where the pull request is.';
  }
  return undefined;
}

/**
 * Writes the report as the pull request's comment, if asked and possible; resolves to what the
 * job summary says of it (undefined when no comment was asked for, or the run was cancelled).
 * Never throws, and never changes the outcome: a refusal is a warning.
 */
export async function commentStep(
  report: RunReport,
  state: { settings?: Settings; before?: Deployment; deploymentNotFound?: boolean },
  run: GitHubRun,
  deps: RunDeps & { redactor: Redactor },
): Promise<PullRequestCommentNote | undefined> {
  const { settings, before } = state;
  const pr = run.pullRequest;
  const repository = run.repository;
  const prComment = settings?.prComment;
  // Not asked, or ignored with a warning at the start. Cancelled: stop at once.
  if (!settings || !prComment || !pr || !repository || deps.signal.aborted) return undefined;
  if (report.outcome === 'skipped') {
    return {
      written: false,
      reason:
        "the run was skipped, so there is no plan to show (and the token GitHub gives a fork's workflow cannot comment)",
    };
  }
  const target = {
    projectId: settings.projectId,
    deploymentId: settings.deploymentId,
    teamId: settings.teamId,
  };
  if (state.deploymentNotFound) {
    // The ids may come from the pull request itself: no comment vouches for a deployment that
    // Northflank does not know.
    const reason = `Northflank has no deployment "${settings.deploymentId}" in project "${settings.projectId}"${settings.teamId ? ` of team "${settings.teamId}"` : ''} for this token (HTTP 404), so there is no plan to show`;
    deps.log.warning(
      `Not writing the pull request comment: ${reason}. Check project-id and deployment-id (and team-id); the error above says more.`,
      { title: 'Pull request comment not written' },
    );
    return { written: false, reason };
  }
  const body = commentMarkdown(report, {
    target,
    dryRun: settings.dryRun,
    plannedAgainst: before
      ? { configurationId: before.deploymentConfiguration?.id, status: before.status }
      : undefined,
    headSha: pr.headSha,
    runUrl: run.runUrl,
  });
  const written = await deps.log.group('Pull request comment', () =>
    writePullRequestComment({
      apiUrl: run.apiUrl,
      token: prComment.token,
      owner: repository.owner,
      repo: repository.repo,
      pullRequest: pr.number,
      marker: deps.redactor.redact(commentMarker(target)),
      // A secret an API error echoed must not reach a public comment either.
      body: deps.redactor.redact(body),
      requestTimeoutMs: settings.requestTimeoutMs,
      signal: deps.signal,
      clock: deps.clock,
      random: deps.random,
      log: deps.log,
    }),
  );
  if (written.action !== 'failed') return { written: written.action, url: written.url };
  // Cancelled while writing: the summary says nothing of a comment nobody refused.
  if (written.reason === 'cancelled') return undefined;
  return { written: false, reason: `${written.reason}.${written.hint ? ` ${written.hint}` : ''}` };
}
