/**
 * One comment per deployment on a pull request: found again by its hidden marker on any page of
 * the pull request's comments, among the comments of the identity the token writes as (found
 * out from GitHub, never guessed), updated in place, created only when there is none, and made
 * one again when two runs wrote at once. A failure is a warning that says what to try for its
 * cause: the comment must never change how the step ends.
 */
import * as z from 'zod/mini';
import type { getOctokit } from '@actions/github';
import type { Clock } from '../clock.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { once } from '../lazy-schema.js';
import { backoffDelayMs, UPDATE_RETRYABLE_STATUSES, type BackoffPolicy } from '../http/retry.js';
import { gitHubRateLimit, type GitHubRateLimit } from './rate-limit.js';

type Octokit = ReturnType<typeof getOctokit>;

/** The deployment a comment is about. */
export interface CommentTarget {
  projectId: string;
  deploymentId: string;
  teamId?: string | undefined;
}

/**
 * An id as the marker holds it: percent-encoded outside letters, digits and `._~-`, and every
 * `-` of a run of two or more, so that no id can end the HTML comment (`-->`, `--!>`), open a
 * tag or start a line of Markdown. Ids made of those characters (Northflank's are) read as
 * they are; the encoding is one to one, so two ids never share a marker.
 */
export function markerId(id: string): string {
  const encoded = id.replace(/[^A-Za-z0-9._~-]/gu, (c) =>
    [...new TextEncoder().encode(c)]
      .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
      .join(''),
  );
  return encoded.replace(/-{2,}/g, (run) => '%2D'.repeat(run.length));
}

/** The hidden line that finds the comment again: one per deployment (and team) in a pull request. */
export function commentMarker(target: CommentTarget): string {
  const team = target.teamId ? `${markerId(target.teamId)}/` : '';
  return `<!-- northflank-llm-deploy: ${team}${markerId(target.projectId)}/${markerId(target.deploymentId)} -->`;
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
  /** Sleeps, and the time the comment's budget is counted on. */
  clock: Pick<Clock, 'sleep' | 'now'>;
  random: () => number;
  log: Logger;
  backoff?: BackoffPolicy;
  /**
   * How long the whole comment may take, retries, waits and pages included (the deploy is done),
   * counted on `clock` from the call: at most COMMENT_TIME_LIMIT_MS.
   */
  timeLimitMs?: number;
  /**
   * The commit the run planned (the event's pull request head): the comment is written only while
   * it is still the pull request's head, and when two runs wrote at once, the head's plan is kept.
   */
  headSha?: string | undefined;
  /** The wall clock, for GitHub's rate limit reset times (Date.now by default). */
  wallNow?: () => number;
}

export type CommentWrite =
  | { action: 'created' | 'updated' | 'unchanged'; id: number; url: string | undefined }
  /** Not written, on purpose: the run's commit is no longer the pull request's head. */
  | { action: 'stale'; reason: string }
  | {
      action: 'failed';
      reason: string;
      /** What to try, for the cause (a permission, the network, a rate limit…). */
      hint?: string;
    };

/** Retries of one GitHub request: a few quick ones, since the comment is not worth a long wait. */
export const COMMENT_BACKOFF: BackoffPolicy = { baseMs: 1000, capMs: 8000, maxAttempts: 3 };
/** The comment may hold up the end of the step this long at most. */
export const COMMENT_TIME_LIMIT_MS = 60_000;
/**
 * What the comment gets at least, even when the step's timeout has run out: enough for the few
 * requests of a write when GitHub answers at once, so a run that timed out still reports.
 */
export const COMMENT_MIN_TIME_MS = 10_000;
/** A wait for a rate limit fits only if it leaves this long for the request that follows it. */
const AFTER_WAIT_MS = 2000;
/** 100 comments a page: past 50 pages the marker is not searched further (and a new comment is made). */
const MAX_PAGES = 50;

export const PERMISSION_HINT =
  'The job needs "permissions: pull-requests: write" for github-token (on a pull_request from a fork, GitHub gives only a read-only token).';

const userSchema = once(() =>
  z.looseObject({
    login: z.optional(z.string()),
    id: z.optional(z.number()),
    type: z.optional(z.string()),
  }),
);
const commentsSchema = once(() =>
  z.array(
    z.looseObject({
      id: z.number(),
      body: z.optional(z.nullable(z.string())),
      html_url: z.optional(z.string()),
      user: z.optional(z.nullable(userSchema())),
      created_at: z.optional(z.string()),
      updated_at: z.optional(z.string()),
    }),
  ),
);
const writtenSchema = once(() =>
  z.looseObject({
    id: z.number(),
    html_url: z.optional(z.string()),
    user: z.optional(z.nullable(userSchema())),
  }),
);
/** `{ viewer { login databaseId } }`: the user or app (a bot) the token acts as. */
const viewerSchema = once(() =>
  z.looseObject({
    data: z.looseObject({
      viewer: z.looseObject({ login: z.string(), databaseId: z.optional(z.nullable(z.number())) }),
    }),
  }),
);
const VIEWER_QUERY = 'query { viewer { login databaseId } }';
const pullSchema = once(() => z.looseObject({ head: z.looseObject({ sha: z.string() }) }));

/** The hidden second line that says which commit a comment's plan is for. */
const COMMIT_LINE = /^<!-- northflank-llm-deploy-commit: ([0-9a-f]{7,64}) -->$/;

/** The body with the commit it is for as a hidden line after the marker (when the sha is one). */
export function withCommit(body: string, sha: string | undefined): string {
  if (!sha || !/^[0-9a-f]{7,64}$/i.test(sha)) return body;
  const [marker, ...rest] = body.split('\n');
  return [marker, `<!-- northflank-llm-deploy-commit: ${sha.toLowerCase()} -->`, ...rest].join(
    '\n',
  );
}

/** The commit a comment's body says its plan is for, if it says. */
export function commitOf(body: string | null | undefined): string | undefined {
  return COMMIT_LINE.exec(body?.split('\n')[1] ?? '')?.[1];
}

/** The options, with the signal that also carries the time limit. */
type Limited = PullRequestCommentOptions & {
  limited: AbortSignal;
  /** `clock` time when the comment's time limit runs out. */
  deadlineMs: number;
};

type ListedComment = z.infer<ReturnType<typeof commentsSchema>>[number];
type Written = z.infer<ReturnType<typeof writtenSchema>>;

/** Who the token writes as: a user's or an app's (`name[bot]`) account. */
export interface Identity {
  login: string;
  id: number | undefined;
}

/** A failed GitHub request, as data: the HTTP status when GitHub answered. */
class GitHubRequestError extends Error {
  override readonly name = 'GitHubRequestError';
  constructor(
    readonly what: string,
    readonly status: number | undefined,
    readonly reason: string,
    readonly rateLimit?: GitHubRateLimit,
    /** GitHub did not answer within the comment's time limit. */
    readonly outOfTime = false,
  ) {
    super(
      status === undefined
        ? `${what}: ${outOfTime ? 'GitHub did not answer' : 'GitHub could not be reached'} (${reason})`
        : `${what}: GitHub answered HTTP ${status}${reason ? ` (${reason})` : ''}`,
    );
  }
}

/** The identity could not be found out, and comments with the marker exist: none is edited. */
class UnknownIdentityError extends Error {
  override readonly name = 'UnknownIdentityError';
}

/**
 * Creates or updates the pull request's comment for this deployment. Never throws: a refusal or
 * an unreachable GitHub is logged as a warning that says what to try.
 */
export async function writePullRequestComment(
  given: PullRequestCommentOptions,
): Promise<CommentWrite> {
  // Requests and pauses end with the run's cancellation or the comment's own time limit.
  const budgetMs = Math.min(given.timeLimitMs ?? COMMENT_TIME_LIMIT_MS, COMMENT_TIME_LIMIT_MS);
  // The budget is counted on the clock (what every wait checks); the signal is a backstop for a
  // request GitHub never answers, a little later, so a wait never runs into it.
  const limit = AbortSignal.timeout(budgetMs + AFTER_WAIT_MS);
  const o: Limited = {
    ...given,
    body: withCommit(given.body, given.headSha),
    timeLimitMs: budgetMs,
    limited: AbortSignal.any([given.signal, limit]),
    deadlineMs: given.clock.now() + budgetMs,
  };
  try {
    const { getOctokit } = await import('@actions/github');
    const octokit = getOctokit(o.token, { baseUrl: o.apiUrl });
    return await write(octokit, o);
  } catch (error) {
    if (o.signal.aborted) return { action: 'failed', reason: 'cancelled' };
    const reason = errorMessage(error);
    const hint = hintFor(error, o);
    o.log.warning(
      `Could not write the plan as a comment on pull request #${o.pullRequest}: ${reason}. ${hint} The result is in the log, the job summary and the outputs; the step's outcome is not changed by this.`,
      { title: 'Pull request comment not written' },
    );
    return { action: 'failed', reason, hint };
  }
}

/** Finds our comment and updates it, or creates one; then makes sure there is one of ours. */
async function write(octokit: Octokit, o: Limited): Promise<CommentWrite> {
  const marked = await listMarked(octokit, o);
  // Only needed when a comment carries the marker: then only the token's own may be edited.
  let identity = marked.length > 0 ? await tokenIdentity(octokit, o) : undefined;
  if (marked.length > 0 && identity === undefined) {
    throw new UnknownIdentityError(
      `the action could not find out which user or app github-token writes as, and ${marked.length} comment(s) on the pull request start with this deployment's marker: it edits none of them, since it cannot tell whether one is its own`,
    );
  }
  const known = identity;
  const ours = known ? marked.filter((c) => isOurs(c, known)) : [];
  const [kept, ...duplicates] = ours;
  if (kept?.body === o.body && duplicates.length === 0) {
    o.log.info(`The pull request comment is up to date: ${kept.html_url ?? kept.id}`);
    return { action: 'unchanged', id: kept.id, url: kept.html_url };
  }
  // Read last, just before the write: a push since the event makes this run's plan stale.
  const stale = await staleHead(octokit, o);
  if (stale) return stale;
  if (kept) {
    const updated = kept.body === o.body ? kept : await updateComment(octokit, o, kept.id, o.body);
    if (updated) {
      await deleteDuplicates(octokit, o, duplicates);
      o.log.info(`Updated the pull request comment: ${updated.html_url ?? updated.id}`);
      return { action: 'updated', id: updated.id, url: updated.html_url };
    }
    // Deleted between the listing and the update: make a new one.
  }
  const created = await createComment(octokit, o);
  o.log.info(`Commented on pull request #${o.pullRequest}: ${created.html_url ?? created.id}`);
  // The comment just made says who the token writes as, if nothing else could.
  identity ??= identityOf(created.user);
  const folded = identity ? await foldDuplicates(octokit, o, identity, created) : undefined;
  return folded ?? { action: 'created', id: created.id, url: created.html_url };
}

/**
 * Another run may have created this deployment's comment at the same time (a re-run and a push
 * close together): if the listing now holds more than one of ours, the oldest is kept with the
 * newest body and the later ones are deleted. Every run that sees the duplicates does the same,
 * so they end with the same one comment.
 */
async function foldDuplicates(
  octokit: Octokit,
  o: Limited,
  identity: Identity,
  created: Written,
): Promise<CommentWrite | undefined> {
  const ours = (await listMarked(octokit, o)).filter((c) => isOurs(c, identity));
  const [kept, ...later] = ours;
  if (!kept || later.length === 0) return undefined;
  // The plan of the pull request's head wins, whichever run wrote last; else the latest write.
  const head = o.headSha ? await pullRequestHead(octokit, o) : undefined;
  const ofHead = head ? ours.filter((c) => commitOf(c.body) === head) : [];
  const newest = [...(ofHead.length > 0 ? ofHead : ours)].sort(byLastWrite).at(-1) ?? kept;
  const body = newest.body ?? o.body;
  const updated = kept.body === body ? kept : await updateComment(octokit, o, kept.id, body);
  if (!updated) return undefined;
  await deleteDuplicates(octokit, o, later);
  o.log.info(
    `Another run wrote this deployment's comment at the same time: kept the first one (${kept.html_url ?? kept.id}) with the latest plan, and deleted ${later.length} later duplicate(s)${later.some((c) => c.id === created.id) ? ', the one just written among them' : ''}.`,
  );
  return { action: 'updated', id: updated.id, url: updated.html_url };
}

/**
 * Not written when the pull request's head is no longer the run's commit (a re-run of an older
 * commit, or a push during the run): the run for the head writes the comment. Undefined when it
 * is the head, or GitHub does not say.
 */
async function staleHead(octokit: Octokit, o: Limited): Promise<CommentWrite | undefined> {
  const ran = o.headSha?.toLowerCase();
  if (!ran) return undefined;
  const head = await pullRequestHead(octokit, o);
  if (!head || head === ran) return undefined;
  const reason = `this run is for commit ${ran.slice(0, 7)}, but pull request #${o.pullRequest}'s head is now ${head.slice(0, 7)}, so this run's plan is stale`;
  o.log.notice(
    `Not writing the pull request comment: ${reason}; the run for ${head.slice(0, 7)} writes it (re-run that one to see its plan).`,
    { title: 'Pull request comment not written' },
  );
  return { action: 'stale', reason };
}

/** The pull request's head commit now, lower case; undefined when GitHub does not say. */
async function pullRequestHead(octokit: Octokit, o: Limited): Promise<string | undefined> {
  try {
    const response = await withRetries(o, 'Reading the pull request', true, () =>
      octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
        owner: o.owner,
        repo: o.repo,
        pull_number: o.pullRequest,
        request: { signal: requestSignal(o) },
      }),
    );
    return pullSchema().safeParse(response.data).data?.head.sha.toLowerCase();
  } catch (error) {
    if (o.signal.aborted) throw error;
    // Without it the comment is still written: the run's own plan is the best there is.
    o.log.debug(`Could not read the pull request's head commit: ${errorMessage(error)}`);
    return undefined;
  }
}

/** Older first: by the last write (`updated_at`), then by id. */
function byLastWrite(a: ListedComment, b: ListedComment): number {
  const at = Date.parse(a.updated_at ?? '') || 0;
  const bt = Date.parse(b.updated_at ?? '') || 0;
  return at - bt || a.id - b.id;
}

async function deleteDuplicates(
  octokit: Octokit,
  o: Limited,
  duplicates: readonly ListedComment[],
): Promise<void> {
  for (const duplicate of duplicates) {
    try {
      await withRetries(o, 'Deleting a duplicate pull request comment', true, () =>
        octokit.request('DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}', {
          owner: o.owner,
          repo: o.repo,
          comment_id: duplicate.id,
          request: { signal: requestSignal(o) },
        }),
      );
    } catch (error) {
      // Deleted already (by the other run), or not ours to delete after all: not worth a failure.
      if (o.signal.aborted) throw error;
      o.log.debug(`Could not delete duplicate comment ${duplicate.id}: ${errorMessage(error)}`);
    }
  }
}

/**
 * Whether a comment was written by the identity the token writes as: the same account id, and
 * the same login (GraphQL may name an app's bot without the `[bot]` that REST adds).
 */
export function isOurs(comment: Pick<ListedComment, 'user'>, identity: Identity): boolean {
  const user = comment.user;
  if (!user?.login) return false;
  if (identity.id !== undefined && user.id !== undefined && user.id !== identity.id) return false;
  if (identity.id !== undefined && user.id === undefined) return false;
  const plain = (login: string): string => login.toLowerCase().replace(/\[bot\]$/, '');
  return plain(user.login) === plain(identity.login);
}

function identityOf(user: Written['user']): Identity | undefined {
  return user?.login ? { login: user.login, id: user.id } : undefined;
}

/** The comments of the pull request that start with the marker, oldest first, every page. */
async function listMarked(octokit: Octokit, o: Limited): Promise<ListedComment[]> {
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
    // The action writes the marker as the first line; a comment that only quotes it is not ours.
    found.push(...parsed.data.filter((c) => c.body?.startsWith(o.marker)));
    url = nextPage(response.headers.link, origin);
  }
  if (url !== undefined) {
    o.log.debug(`Stopped looking for the comment after ${MAX_PAGES} pages of comments.`);
  }
  return found.sort((a, b) => a.id - b.id);
}

/**
 * The user or app the token writes as. GraphQL's `viewer` answers for every kind of token (a
 * person's, a GitHub App's installation token, the job's GITHUB_TOKEN as github-actions[bot]);
 * REST's `GET /user` only for a person's, so it is the fallback where GraphQL is not served.
 * Undefined when GitHub says neither.
 */
async function tokenIdentity(octokit: Octokit, o: Limited): Promise<Identity | undefined> {
  const reasons: string[] = [];
  try {
    const response = await withRetries(o, 'Asking GitHub who github-token is', true, () =>
      octokit.request({
        method: 'POST',
        url: graphqlUrl(o.apiUrl),
        query: VIEWER_QUERY,
        request: { signal: requestSignal(o) },
      }),
    );
    const parsed = viewerSchema().safeParse(response.data);
    if (parsed.success) {
      const viewer = parsed.data.data.viewer;
      return { login: viewer.login, id: viewer.databaseId ?? undefined };
    }
    reasons.push('GraphQL gave no viewer');
  } catch (error) {
    if (o.signal.aborted) throw error;
    reasons.push(errorMessage(error));
  }
  try {
    const response = await withRetries(o, "Reading the token's user", true, () =>
      octokit.request('GET /user', { request: { signal: requestSignal(o) } }),
    );
    const identity = identityOf(userSchema().safeParse(response.data).data);
    if (identity) return identity;
    reasons.push('GET /user gave no login');
  } catch (error) {
    if (o.signal.aborted) throw error;
    reasons.push(errorMessage(error));
  }
  o.log.debug(`Cannot tell whose token github-token is: ${reasons.join('; ')}.`);
  return undefined;
}

/** GitHub's GraphQL endpoint for a REST API URL: `/graphql` beside it, `/api/graphql` on GHES. */
export function graphqlUrl(apiUrl: string): string {
  const base = apiUrl.replace(/\/+$/, '');
  return /\/api\/v3$/.test(base) ? base.replace(/\/api\/v3$/, '/api/graphql') : `${base}/graphql`;
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
  body: string,
): Promise<Written | undefined> {
  try {
    const response = await withRetries(o, 'Updating the pull request comment', true, () =>
      octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
        owner: o.owner,
        repo: o.repo,
        comment_id: id,
        body,
        request: { signal: requestSignal(o) },
      }),
    );
    return parseWritten(response.data, 'Updating the pull request comment');
  } catch (error) {
    if (error instanceof GitHubRequestError && error.status === 404) return undefined;
    throw error;
  }
}

async function createComment(octokit: Octokit, o: Limited): Promise<Written> {
  // Not idempotent: sent again only when GitHub said it did not act (429, 503, a rate limit).
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

function parseWritten(data: unknown, what: string): Written {
  const parsed = writtenSchema().safeParse(data);
  if (!parsed.success) throw new GitHubRequestError(what, undefined, 'the answer is not a comment');
  return parsed.data;
}

/** The run's cancellation, and this request's own timeout. */
function requestSignal(o: Limited): AbortSignal {
  return AbortSignal.any([o.limited, AbortSignal.timeout(o.requestTimeoutMs)]);
}

const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

function timeLimitMs(o: Limited): number {
  return o.timeLimitMs ?? COMMENT_TIME_LIMIT_MS;
}

/**
 * Runs one request, retrying transient failures with capped, jittered backoff, and a rate limit
 * after the wait GitHub asks for, when that fits in what is left of the comment's time limit.
 */
async function withRetries<T>(
  o: Limited,
  what: string,
  idempotent: boolean,
  send: () => Promise<T>,
): Promise<T> {
  const policy = o.backoff ?? COMMENT_BACKOFF;
  for (let attempt = 0; ; attempt++) {
    let failure: GitHubRequestError;
    if (o.clock.now() >= o.deadlineMs) {
      throw new GitHubRequestError(
        what,
        undefined,
        `the comment's ${formatSeconds(timeLimitMs(o))} ran out`,
        undefined,
        true,
      );
    }
    try {
      return await send();
    } catch (error) {
      if (o.signal.aborted) throw o.signal.reason;
      if (o.limited.aborted) {
        throw new GitHubRequestError(
          what,
          undefined,
          `no answer within ${Math.round(timeLimitMs(o) / 1000)} s`,
          undefined,
          true,
        );
      }
      failure = asRequestError(what, error, (o.wallNow ?? Date.now)());
    }
    const limited = failure.rateLimit;
    if (limited) {
      // GitHub did not act on a rate-limited request: even a create may go again, after the wait.
      const waitMs = limited.waitMs ?? unaskedWaitMs(attempt);
      const left = o.deadlineMs - o.clock.now();
      const fits = waitMs + AFTER_WAIT_MS <= left;
      if (attempt + 1 >= policy.maxAttempts || !fits) {
        const asked =
          limited.waitMs === undefined
            ? `GitHub gave no Retry-After${fits ? '' : `, and the ${formatSeconds(left)} left of the comment's ${formatSeconds(timeLimitMs(o))} is too short to wait it out`}`
            : `GitHub asks to wait ${formatSeconds(waitMs)}${fits ? '' : `, more than the ${formatSeconds(left)} left of the comment's ${formatSeconds(timeLimitMs(o))}`}`;
        throw new GitHubRequestError(
          what,
          failure.status,
          `${failure.reason}${failure.reason ? '; ' : ''}${asked}${fits ? `; still limited after ${attempt + 1} tries` : ''}`,
          limited,
        );
      }
      o.log.info(
        limited.waitMs === undefined
          ? `${what}: GitHub's ${limited.kind} rate limit, without Retry-After; waiting ${formatSeconds(waitMs)} (the action's own backoff), then trying again.`
          : `${what}: GitHub's ${limited.kind} rate limit; waiting ${formatSeconds(waitMs)} as it asks, then trying again.`,
      );
      await o.clock.sleep(waitMs, o.limited);
      continue;
    }
    const retryable = idempotent
      ? failure.status === undefined || TRANSIENT_STATUSES.has(failure.status)
      : failure.status !== undefined && UPDATE_RETRYABLE_STATUSES.has(failure.status);
    if (!retryable || attempt + 1 >= policy.maxAttempts) throw failure;
    const delay = backoffDelayMs(attempt, policy, o.random);
    if (delay + AFTER_WAIT_MS > o.deadlineMs - o.clock.now()) throw failure;
    o.log.debug(`${failure.message}; trying again.`);
    await o.clock.sleep(delay, o.limited);
  }
}

/**
 * The wait after a secondary rate limit that names no time (no Retry-After): GitHub's docs ask
 * for "at least a minute", more than most of the comment's budget, so the action backs off on its
 * own, 5 s then doubling, and says so.
 */
function unaskedWaitMs(attempt: number): number {
  return 5000 * 2 ** attempt;
}

function formatSeconds(ms: number): string {
  return `${Math.ceil(ms / 1000)} s`;
}

/** Octokit's error as data: a status only when GitHub answered (Octokit says 500 for a network error). */
function asRequestError(what: string, error: unknown, nowMs: number): GitHubRequestError {
  if (typeof error === 'object' && error !== null) {
    const response = 'response' in error ? error.response : undefined;
    const status = 'status' in error && typeof error.status === 'number' ? error.status : undefined;
    if (response !== undefined && status !== undefined) {
      const message = apiMessage(response) ?? '';
      const headers =
        typeof response === 'object' && response !== null && 'headers' in response
          ? (response.headers as Record<string, string | number | undefined>)
          : {};
      return new GitHubRequestError(
        what,
        status,
        message,
        gitHubRateLimit(status, headers, message, nowMs),
      );
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

/** What to try, for why the comment could not be written. */
function hintFor(error: unknown, o: Limited): string {
  const where = `${o.owner}/${o.repo}`;
  if (error instanceof UnknownIdentityError) {
    return 'GitHub answered neither GraphQL `viewer` nor `GET /user` for github-token; check that GITHUB_API_URL points at GitHub (or your GitHub Enterprise Server) and that the token is current.';
  }
  if (!(error instanceof GitHubRequestError)) return '';
  if (error.rateLimit) {
    return `GitHub's ${error.rateLimit.kind} rate limit for github-token was reached (${error.rateLimit.kind === 'secondary' ? 'too many requests in a short time, often from jobs that run at once' : 'its hourly request budget is used up'}); the next run writes the comment. To spread the load, give the jobs a concurrency group, or give github-token a token of its own.`;
  }
  if (error.status === undefined) {
    return error.outOfTime
      ? `GitHub did not answer in time: check the runner's network to ${new URL(o.apiUrl).host}, or GitHub's status; the next run writes the comment.`
      : `Check the runner's network, proxy and DNS for ${new URL(o.apiUrl).host} (and GITHUB_API_URL on GitHub Enterprise Server); the next run writes the comment.`;
  }
  if (error.status === 401) {
    return 'GitHub refused github-token as invalid: it is expired or revoked; pass a current token.';
  }
  if (error.status === 403) return PERMISSION_HINT;
  if (error.status === 404) {
    return `GitHub answers 404 when github-token cannot see ${where} (a token for another repository or owner, or without access to it) or the pull request is gone: check which token github-token is and that it may read and write ${where}'s pull requests.`;
  }
  if (error.status >= 500) {
    return 'GitHub had a server error; the next run writes the comment.';
  }
  return `GitHub refused the request; its message says why.`;
}
