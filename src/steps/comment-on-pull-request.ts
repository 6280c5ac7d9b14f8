/** The pull request comment step of the report: the plan or the deploy's result, for reviewers. */
import type { Settings } from '../config/settings.js';
import {
  COMMENT_MIN_TIME_MS,
  COMMENT_TIME_LIMIT_MS,
  commentMarker,
  writePullRequestComment,
} from '../github/pr-comment.js';
import { commentMarkdown } from '../report/comment-body.js';
import type { PullRequestCommentNote, RunReport } from '../report/report.js';
import type { GitHubRun } from '../runner/event.js';
import type { RunBase } from './context.js';

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
 * No comment for a deployment Northflank does not know: the ids may come from the pull request
 * itself, and no comment vouches for them.
 */
function notFound(run: RunBase, target: Settings['target']): PullRequestCommentNote {
  const reason = `Northflank has no deployment "${target.deploymentId}" in project "${target.projectId}"${target.teamId ? ` of team "${target.teamId}"` : ''} for this token (HTTP 404), so there is no plan to show`;
  run.log.warning(
    `Not writing the pull request comment: ${reason}. Check project-id and deployment-id (and team-id); the error above says more.`,
    { title: 'Pull request comment not written' },
  );
  return { written: false, reason };
}

/**
 * Writes the report as the pull request's comment, if asked and possible; resolves to what the
 * job summary says of it (undefined when no comment was asked for, or the run was cancelled).
 * Never throws, and never changes the outcome: a refusal is a warning.
 */
export async function commentStep(
  run: RunBase,
  report: RunReport,
): Promise<PullRequestCommentNote | undefined> {
  const { settings, githubRun } = run;
  const pr = githubRun.pullRequest;
  const repository = githubRun.repository;
  const prComment = settings?.prComment;
  // Not asked, or ignored with a warning at the start. Cancelled: stop at once.
  if (!settings || !prComment || !pr || !repository || run.signal.aborted) return undefined;
  if (report.outcome === 'skipped') {
    return {
      written: false,
      reason:
        "the run was skipped, so there is no plan to show (and the token GitHub gives a fork's workflow cannot comment)",
    };
  }
  const { target } = settings;
  if (run.deploymentNotFound) return notFound(run, target);
  const before = run.record.planned?.before;
  const body = commentMarkdown(report, {
    target,
    dryRun: settings.dryRun,
    plannedAgainst: before
      ? { configurationId: before.deploymentConfiguration?.id, status: before.status }
      : undefined,
    headSha: pr.headSha,
    runUrl: githubRun.runUrl,
  });
  const written = await run.log.group('Pull request comment', () =>
    writePullRequestComment({
      apiUrl: githubRun.apiUrl,
      token: prComment.token,
      owner: repository.owner,
      repo: repository.repo,
      pullRequest: pr.number,
      marker: run.redactor.redact(commentMarker(target)),
      // A secret an API error echoed must not reach a public comment either.
      body: run.redactor.redact(body),
      requestTimeoutMs: settings.requestTimeoutMs,
      headSha: pr.headSha,
      // Within what is left of `timeout` (and at least a few seconds, so that a run that timed
      // out still reports), never more than the comment's own cap.
      timeLimitMs: Math.min(
        COMMENT_TIME_LIMIT_MS,
        Math.max(COMMENT_MIN_TIME_MS, run.startedMs + settings.timeoutMs - run.clock.now()),
      ),
      signal: run.signal,
      clock: run.clock,
      random: run.random,
      log: run.log,
    }),
  );
  if (written.action === 'stale') return { written: false, reason: written.reason };
  if (written.action !== 'failed') return { written: written.action, url: written.url };
  // Cancelled while writing: the summary says nothing of a comment nobody refused.
  if (written.reason === 'cancelled') return undefined;
  return { written: false, reason: `${written.reason}.${written.hint ? ` ${written.hint}` : ''}` };
}
