/**
 * What the workflow run is about, as the runner describes it in its environment and event file:
 * the event, the pull request (number, head commit, from a fork or not), the repository, the API
 * and the run's own page. Pure but for reading the event file, which is passed in.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import { once } from '../lazy-schema.js';

/** The environment variables the runner sets; a plain record so tests pass their own. */
export type RunnerEnv = Readonly<Record<string, string | undefined>>;

/** Events whose payload is a pull request, and on which a comment on it makes sense. */
export const PULL_REQUEST_EVENTS: ReadonlySet<string> = new Set([
  'pull_request',
  'pull_request_target',
]);

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

/** The pull request a `pull_request` or `pull_request_target` run is for. */
export interface PullRequestRef {
  number: number;
  /** The pull request's head commit (not GITHUB_SHA, which is a merge commit on `pull_request`). */
  headSha: string | undefined;
  /** Whether the head branch lives in another repository (a fork). */
  fromFork: boolean;
  /** The event's activity type: `opened`, `synchronize`, `reopened`, `closed`, … */
  action?: string | undefined;
}

/** The run as GitHub describes it. */
export interface GitHubRun {
  /** GITHUB_EVENT_NAME; '' outside GitHub Actions. */
  eventName: string;
  /** Whether the event is `pull_request` or `pull_request_target`. */
  isPullRequestEvent: boolean;
  /** The pull request, when the event is one and its payload names it. */
  pullRequest: PullRequestRef | undefined;
  /** Why a pull request event's payload could not be read, for a warning. */
  problem: string | undefined;
  repository: { owner: string; repo: string } | undefined;
  apiUrl: string;
  /** The run's page, when the environment names it. */
  runUrl: string | undefined;
}

const payloadSchema = once(() =>
  z.object({
    action: z.optional(z.string()),
    pull_request: z.optional(
      z.object({
        number: z.number().check(z.int(), z.gte(1)),
        head: z.optional(
          z.object({
            sha: z.optional(z.string()),
            repo: z.optional(z.nullable(z.object({ full_name: z.optional(z.string()) }))),
          }),
        ),
        base: z.optional(
          z.object({
            repo: z.optional(z.nullable(z.object({ full_name: z.optional(z.string()) }))),
          }),
        ),
      }),
    ),
  }),
);

const SHA_PATTERN = /^[0-9a-f]{7,64}$/i;
const REPOSITORY_PATTERN = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/;

/** Reads the run's event and context from the runner's environment and event file. */
export function readGitHubRun(
  env: RunnerEnv,
  readFile: (file: string) => string = (file) => readFileSync(file, 'utf8'),
): GitHubRun {
  const eventName = env.GITHUB_EVENT_NAME?.trim() ?? '';
  const isPullRequestEvent = PULL_REQUEST_EVENTS.has(eventName);
  const repository = parseRepository(env.GITHUB_REPOSITORY);
  const { pullRequest, problem } = isPullRequestEvent
    ? readPullRequest(env.GITHUB_EVENT_PATH, readFile)
    : { pullRequest: undefined, problem: undefined };
  return {
    eventName,
    isPullRequestEvent,
    pullRequest,
    problem,
    repository,
    apiUrl: httpUrl(env.GITHUB_API_URL) ?? DEFAULT_GITHUB_API_URL,
    runUrl: runUrl(env),
  };
}

function parseRepository(value: string | undefined): GitHubRun['repository'] {
  const match = REPOSITORY_PATTERN.exec(value?.trim() ?? '');
  return match?.[1] && match[2] ? { owner: match[1], repo: match[2] } : undefined;
}

function readPullRequest(
  eventPath: string | undefined,
  readFile: (file: string) => string,
): { pullRequest: PullRequestRef | undefined; problem: string | undefined } {
  if (!eventPath) {
    return { pullRequest: undefined, problem: 'GITHUB_EVENT_PATH is not set' };
  }
  let json: unknown;
  try {
    json = JSON.parse(readFile(eventPath));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { pullRequest: undefined, problem: `the event file could not be read (${reason})` };
  }
  const parsed = payloadSchema().safeParse(json);
  const pr = parsed.success ? parsed.data.pull_request : undefined;
  if (!pr) {
    return { pullRequest: undefined, problem: 'the event payload names no pull request' };
  }
  const sha = pr.head?.sha;
  const head = pr.head?.repo?.full_name;
  const base = pr.base?.repo?.full_name;
  return {
    pullRequest: {
      number: pr.number,
      headSha: sha !== undefined && SHA_PATTERN.test(sha) ? sha.toLowerCase() : undefined,
      // A deleted fork shows as a null head repository: still not this repository.
      fromFork: base !== undefined && head !== base,
      action: parsed.data?.action,
    },
    problem: undefined,
  };
}

/** An http(s) URL without a trailing slash, or undefined when the value is not one. */
function httpUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value.trim());
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    return url.href.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

/** The run's page, as the runner's own links build it (with the attempt after a re-run). */
function runUrl(env: RunnerEnv): string | undefined {
  const server = httpUrl(env.GITHUB_SERVER_URL);
  const repository = parseRepository(env.GITHUB_REPOSITORY);
  const runId = env.GITHUB_RUN_ID?.trim() ?? '';
  if (!server || !repository || !/^\d+$/.test(runId)) return undefined;
  const attempt = env.GITHUB_RUN_ATTEMPT?.trim() ?? '';
  const suffix = /^\d+$/.test(attempt) && attempt !== '1' ? `/attempts/${attempt}` : '';
  return `${server}/${repository.owner}/${repository.repo}/actions/runs/${runId}${suffix}`;
}
