/**
 * One comment per deployment on a pull request: found again by its hidden marker on any page of
 * the pull request's comments, updated in place, created only when there is none. A failure is a
 * warning naming the permission: the comment must never change how the step ends.
 */
import * as z from 'zod/mini';
import type { getOctokit } from '@actions/github';
import type { Clock } from '../clock.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { once } from '../northflank/schema.js';
import {
  backoffDelayMs,
  UPDATE_RETRYABLE_STATUSES,
  type BackoffPolicy,
} from '../northflank/retry.js';

type Octokit = ReturnType<typeof getOctokit>;

/** The deployment a comment is about. */
export interface CommentTarget {
  projectId: string;
  deploymentId: string;
  teamId?: string | undefined;
}

/** The hidden line that finds the comment again: one per deployment (and team) in a pull request. */
export function commentMarker(target: CommentTarget): string {
  const team = target.teamId ? `${target.teamId}/` : '';
  return `<!-- northflank-llm-deploy: ${team}${target.projectId}/${target.deploymentId} -->`;
}

export interface PullRequestCommentOptions {
  /** GitHub's REST API, e.g. https://api.github.com (GITHUB_API_URL on GitHub Enterprise). */
  apiUrl: string;
  token: string;
  owner: string;
  repo: string;
  pullRequest: number;
  /** The hidden line that identifies our comment; `body` must start with it. */
  marker: string;
  body: string;
  requestTimeoutMs: number;
  signal: AbortSignal;
  clock: Pick<Clock, 'sleep'>;
  random: () => number;
  log: Logger;
  backoff?: BackoffPolicy;
  /** How long the whole comment may take, retries and pages included (the deploy is done). */
  timeLimitMs?: number;
}

export type CommentWrite =
  | { action: 'created' | 'updated' | 'unchanged'; id: number; url: string | undefined }
  | { action: 'failed'; reason: string };

/** Retries of one GitHub request: a few quick ones, since the comment is not worth a long wait. */
export const COMMENT_BACKOFF: BackoffPolicy = { baseMs: 1000, capMs: 8000, maxAttempts: 3 };
/** The comment may hold up the end of the step this long at most. */
export const COMMENT_TIME_LIMIT_MS = 60_000;
/** 100 comments a page: past 50 pages the marker is not searched further (and a new comment is made). */
const MAX_PAGES = 50;

export const PERMISSION_HINT =
  'The job needs "permissions: pull-requests: write" for github-token (on a pull_request from a fork, GitHub gives only a read-only token).';

const commentsSchema = once(() =>
  z.array(
    z.object({
      id: z.number(),
      body: z.optional(z.nullable(z.string())),
      html_url: z.optional(z.string()),
      user: z.optional(
        z.nullable(z.object({ login: z.optional(z.string()), type: z.optional(z.string()) })),
      ),
    }),
  ),
);
const userSchema = once(() => z.object({ login: z.string() }));
const writtenSchema = once(() => z.object({ id: z.number(), html_url: z.optional(z.string()) }));

/** The options, with the signal that also carries the time limit. */
type Limited = PullRequestCommentOptions & { limited: AbortSignal };

type ListedComment = z.infer<ReturnType<typeof commentsSchema>>[number];

/** A failed GitHub request, as data: the HTTP status when GitHub answered. */
class GitHubRequestError extends Error {
  override readonly name = 'GitHubRequestError';
  constructor(
    readonly what: string,
    readonly status: number | undefined,
    readonly reason: string,
  ) {
    super(
      status === undefined
        ? `${what}: GitHub could not be reached (${reason})`
        : `${what}: GitHub answered HTTP ${status}${reason ? ` (${reason})` : ''}`,
    );
  }
}

/**
 * Creates or updates the pull request's comment for this deployment. Never throws: a refusal or
 * an unreachable GitHub is logged as a warning naming the permission the job needs.
 */
export async function writePullRequestComment(
  given: PullRequestCommentOptions,
): Promise<CommentWrite> {
  // Requests and pauses end with the run's cancellation or the comment's own time limit.
  const limit = AbortSignal.timeout(given.timeLimitMs ?? COMMENT_TIME_LIMIT_MS);
  const o: Limited = { ...given, limited: AbortSignal.any([given.signal, limit]) };
  try {
    const { getOctokit } = await import('@actions/github');
    const octokit = getOctokit(o.token, { baseUrl: o.apiUrl });
    const existing = await findComment(octokit, o);
    if (existing) {
      if (existing.body === o.body) {
        o.log.info(`The pull request comment is up to date: ${existing.html_url ?? existing.id}`);
        return { action: 'unchanged', id: existing.id, url: existing.html_url };
      }
      const updated = await updateComment(octokit, o, existing.id);
      if (updated) {
        o.log.info(`Updated the pull request comment: ${updated.html_url ?? updated.id}`);
        return { action: 'updated', id: updated.id, url: updated.html_url };
      }
      // Deleted between the listing and the update: make a new one.
    }
    const created = await createComment(octokit, o);
    o.log.info(`Commented on pull request #${o.pullRequest}: ${created.html_url ?? created.id}`);
    return { action: 'created', id: created.id, url: created.html_url };
  } catch (error) {
    if (o.signal.aborted) return { action: 'failed', reason: 'cancelled' };
    const reason = errorMessage(error);
    o.log.warning(
      `Could not write the plan as a comment on pull request #${o.pullRequest}: ${reason}. ${PERMISSION_HINT} The result is in the log, the job summary and the outputs; the step's outcome is not changed by this.`,
      { title: 'Pull request comment not written' },
    );
    return { action: 'failed', reason };
  }
}

/** Our comment among all of the pull request's comments, following GitHub's Link header. */
async function findComment(octokit: Octokit, o: Limited): Promise<ListedComment | undefined> {
  const origin = new URL(o.apiUrl).origin;
  let url: string | undefined =
    `${o.apiUrl}/repos/${encodeURIComponent(o.owner)}/${encodeURIComponent(o.repo)}/issues/${o.pullRequest}/comments?per_page=100`;
  const found: ListedComment[] = [];
  for (let page = 1; url !== undefined && page <= MAX_PAGES; page++) {
    const pageUrl: string = url;
    const response = await withRetries(o, 'Listing the pull request comments', true, () =>
      octokit.request({ method: 'GET', url: pageUrl, request: { signal: requestSignal(o) } }),
    );
    const parsed = commentsSchema().safeParse(response.data);
    if (!parsed.success) {
      throw new GitHubRequestError(
        'Listing the pull request comments',
        undefined,
        'the answer is not a list of comments',
      );
    }
    // The action writes the marker as the first line; a comment that only quotes it is a person's.
    found.push(...parsed.data.filter((c) => c.body?.startsWith(o.marker)));
    url = nextPage(response.headers.link, origin);
  }
  if (url !== undefined) {
    o.log.debug(`Stopped looking for the comment after ${MAX_PAGES} pages of comments.`);
  }
  // The job's token comments as github-actions[bot]: a bot's comment is ours.
  const byBot = found.find((c) => c.user?.type === 'Bot');
  if (byBot || found.length === 0) return byBot;
  // Only a person's comments start with the marker: ours if the token is that person's (a
  // personal token), never otherwise, so a person's comment is not overwritten.
  const login = await tokenLogin(octokit, o);
  return login === undefined ? undefined : found.find((c) => c.user?.login === login);
}

/**
 * The login of the token's user, for a personal token; undefined for the job's token (GitHub
 * refuses `GET /user` to an app's installation token) or when GitHub does not say.
 */
async function tokenLogin(octokit: Octokit, o: Limited): Promise<string | undefined> {
  try {
    const response = await withRetries(o, "Reading the token's user", true, () =>
      octokit.request('GET /user', { request: { signal: requestSignal(o) } }),
    );
    const parsed = userSchema().safeParse(response.data);
    return parsed.success ? parsed.data.login : undefined;
  } catch (error) {
    if (o.signal.aborted) throw error;
    o.log.debug(`Cannot tell whose token this is (${errorMessage(error)}); a new comment is made.`);
    return undefined;
  }
}

/**
 * The `rel="next"` URL of a Link header, only on GitHub's own origin: the token goes with it,
 * so a page may not send us elsewhere.
 */
export function nextPage(link: string | undefined, origin: string): string | undefined {
  for (const part of (link ?? '').split(',')) {
    const match = /^\s*<([^>]+)>\s*;(.*)$/.exec(part);
    if (!match?.[1] || !/\brel="?next"?/.test(match[2] ?? '')) continue;
    try {
      const next = new URL(match[1], origin);
      return next.origin === origin ? next.href : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The updated comment, or undefined when it no longer exists. */
async function updateComment(
  octokit: Octokit,
  o: Limited,
  id: number,
): Promise<z.infer<ReturnType<typeof writtenSchema>> | undefined> {
  try {
    const response = await withRetries(o, 'Updating the pull request comment', true, () =>
      octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
        owner: o.owner,
        repo: o.repo,
        comment_id: id,
        body: o.body,
        request: { signal: requestSignal(o) },
      }),
    );
    return parseWritten(response.data, 'Updating the pull request comment');
  } catch (error) {
    if (error instanceof GitHubRequestError && error.status === 404) return undefined;
    throw error;
  }
}

async function createComment(
  octokit: Octokit,
  o: Limited,
): Promise<z.infer<ReturnType<typeof writtenSchema>>> {
  // Not idempotent: sent again only when GitHub said it did not act (429, 503).
  const response = await withRetries(o, 'Creating the pull request comment', false, () =>
    octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
      owner: o.owner,
      repo: o.repo,
      issue_number: o.pullRequest,
      body: o.body,
      request: { signal: requestSignal(o) },
    }),
  );
  return parseWritten(response.data, 'Creating the pull request comment');
}

function parseWritten(data: unknown, what: string): z.infer<ReturnType<typeof writtenSchema>> {
  const parsed = writtenSchema().safeParse(data);
  if (!parsed.success) throw new GitHubRequestError(what, undefined, 'the answer is not a comment');
  return parsed.data;
}

/** The run's cancellation, and this request's own timeout. */
function requestSignal(o: Limited): AbortSignal {
  return AbortSignal.any([o.limited, AbortSignal.timeout(o.requestTimeoutMs)]);
}

const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/** Runs one request, retrying transient failures with capped, jittered backoff. */
async function withRetries<T>(
  o: Limited,
  what: string,
  idempotent: boolean,
  send: () => Promise<T>,
): Promise<T> {
  const policy = o.backoff ?? COMMENT_BACKOFF;
  for (let attempt = 0; ; attempt++) {
    let failure: GitHubRequestError;
    try {
      return await send();
    } catch (error) {
      if (o.signal.aborted) throw o.signal.reason;
      if (o.limited.aborted) {
        throw new GitHubRequestError(
          what,
          undefined,
          `no answer within ${Math.round((o.timeLimitMs ?? COMMENT_TIME_LIMIT_MS) / 1000)} s`,
        );
      }
      failure = asRequestError(what, error);
    }
    const retryable = idempotent
      ? failure.status === undefined || TRANSIENT_STATUSES.has(failure.status)
      : failure.status !== undefined && UPDATE_RETRYABLE_STATUSES.has(failure.status);
    if (!retryable || attempt + 1 >= policy.maxAttempts) throw failure;
    o.log.debug(`${failure.message}; trying again.`);
    await o.clock.sleep(backoffDelayMs(attempt, policy, o.random), o.limited);
  }
}

/** Octokit's error as data: a status only when GitHub answered (Octokit says 500 for a network error). */
function asRequestError(what: string, error: unknown): GitHubRequestError {
  if (typeof error === 'object' && error !== null) {
    const response = 'response' in error ? error.response : undefined;
    const status = 'status' in error && typeof error.status === 'number' ? error.status : undefined;
    if (response !== undefined && status !== undefined) {
      return new GitHubRequestError(what, status, apiMessage(response) ?? '');
    }
  }
  return new GitHubRequestError(what, undefined, errorMessage(error));
}

function apiMessage(response: unknown): string | undefined {
  if (typeof response !== 'object' || response === null || !('data' in response)) return undefined;
  const data = response.data;
  if (typeof data === 'object' && data !== null && 'message' in data) {
    return typeof data.message === 'string' ? data.message.slice(0, 300) : undefined;
  }
  return undefined;
}
