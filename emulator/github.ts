/**
 * A local stand-in for the parts of GitHub's API the action uses, on 127.0.0.1: deployments and
 * their statuses, and a pull request's issue comments (pages with a Link header, create, update,
 * delete), with who a token is (GraphQL `viewer`, REST `GET /user`), the identity each comment is
 * written as, GitHub's rate limits and refusals. Tests (and a local workflow runner) run the
 * action against it; it records every call.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHubCall {
  method: string;
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown>;
}

/** A local server that plays GitHub's deployments API and records the calls made to it. */
export async function startFakeGitHub(
  options: { refuse?: boolean } = {},
): Promise<{ url: string; calls: GitHubCall[]; close(): Promise<void> }> {
  const calls: GitHubCall[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      calls.push({
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: req.headers.authorization,
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      });
      res.setHeader('content-type', 'application/json');
      if (options.refuse) {
        res.writeHead(403);
        res.end(JSON.stringify({ message: 'Resource not accessible by integration' }));
      } else if (req.method === 'POST' && /\/deployments$/.test(req.url ?? '')) {
        res.writeHead(201);
        res.end(JSON.stringify({ id: 4242, sha: 'abc', environment: 'production' }));
      } else if (req.method === 'POST' && /\/deployments\/4242\/statuses$/.test(req.url ?? '')) {
        res.writeHead(201);
        res.end(
          JSON.stringify({
            id: calls.length,
            state: (JSON.parse(text) as { state: string }).state,
          }),
        );
      } else {
        res.writeHead(404);
        res.end(JSON.stringify({ message: 'Not Found' }));
      }
    });
  });
  await listen(server);
  return {
    url: address(server),
    calls,
    close: () => close(server),
  };
}

/** An account a token acts as: a person (`User`) or an app's bot (`Bot`, `name[bot]`). */
export interface FakeUser {
  login: string;
  id: number;
  type: 'Bot' | 'User';
}

/** What the job's GITHUB_TOKEN writes as. */
export const GITHUB_ACTIONS_BOT: FakeUser = {
  login: 'github-actions[bot]',
  id: 41898282,
  type: 'Bot',
};

/** A pull request comment as the fake stores it. */
export interface FakeComment {
  id: number;
  issue: number;
  body: string;
  user: FakeUser;
  /** ISO times; the fake's own clock (a second a write) when not given. */
  created_at?: string;
  updated_at?: string;
}

/** A rate-limited answer GitHub gives, to the next `times` requests that match. */
export interface FakeRateLimit {
  times: number;
  /** `secondary`: 403 "You have exceeded a secondary rate limit" (with `retryAfterSeconds`, a
   * Retry-After header); `primary`: 403 "API rate limit exceeded", x-ratelimit-remaining 0 and
   * x-ratelimit-reset `resetInSeconds` from the fake's wall clock. */
  kind: 'secondary' | 'primary';
  status?: 403 | 429;
  retryAfterSeconds?: number;
  resetInSeconds?: number;
  method?: string;
}

export interface FakeCommentsOptions {
  comments?: FakeComment[];
  /** Comments per page, whatever per_page asks (to test pagination with few comments). */
  pageSize?: number;
  /** Answer every request with this status (403: the token may not comment; 404). */
  refuseWith?: number;
  /** Answer the first N requests with HTTP 502, then normally. */
  failFirst?: number;
  /**
   * Who each token is. A `User` token is a person's: `GET /user` and GraphQL `viewer` both name
   * it. A `Bot` token is an app's installation token: `viewer` names the bot, `GET /user` is
   * refused (403 "Resource not accessible by integration"), as GitHub does. Any other token is
   * the job's GITHUB_TOKEN, which writes as github-actions[bot].
   */
  tokens?: Record<string, FakeUser>;
  /** GraphQL is not served (404), as on a GitHub Enterprise Server without it in reach. */
  noGraphql?: boolean;
  /** Rate limits GitHub applies, in order. */
  rateLimits?: FakeRateLimit[];
  /**
   * Answers the first N listings of comments only once N have arrived, so N runs at once all
   * see the pull request as it was before any of them wrote (the race of concurrent creates).
   */
  listBarrier?: number;
  /** The fake's wall clock in milliseconds, for rate limit reset times (Date.now by default). */
  now?: () => number;
  /**
   * Each pull request's head commit, served at GET /repos/{o}/{r}/pulls/{n} (404 for one not
   * given); the returned `heads` can be changed while runs go on, as a push does.
   */
  heads?: Record<number, string>;
  /** The head a request is answered with, when this gives one (to play a push mid-run). */
  headFor?: (call: GitHubCall) => string | undefined;
  /** Pull requests by number and their state, for `GET /repos/{o}/{r}/pulls/{n}` (others: 404). */
  pullRequests?: Record<number, 'open' | 'closed'>;
}

/** A GitHub deployment the fake recorded: what created it, and its statuses in order. */
export interface FakeDeployment {
  id: number;
  request: Record<string, unknown>;
  statuses: Record<string, unknown>[];
}

export interface FakeGitHubComments {
  url: string;
  calls: GitHubCall[];
  comments: FakeComment[];
  /** Each pull request's head commit: set one to play a push. */
  heads: Record<number, string>;
  deployments: FakeDeployment[];
  close(): Promise<void>;
}

/**
 * A local server that plays GitHub's issue comments API: lists them in pages with a Link header
 * (absolute URLs, as GitHub sends), creates, updates and deletes them as the token's identity,
 * says who a token is, applies rate limits, and records the calls.
 */
export async function startFakeGitHubComments(
  options: FakeCommentsOptions = {},
): Promise<FakeGitHubComments> {
  const calls: GitHubCall[] = [];
  const now = options.now ?? Date.now;
  // Times a second apart per write, from a fixed start: the order of writes, not the wall clock.
  let tick = 0;
  const stamp = (): string => new Date(Date.UTC(2026, 0, 1) + ++tick * 1000).toISOString();
  const comments: FakeComment[] = (options.comments ?? []).map((c) => {
    const at = c.created_at ?? stamp();
    return { ...c, created_at: at, updated_at: c.updated_at ?? at };
  });
  let nextId = Math.max(1000, ...comments.map((c) => c.id)) + 1;
  let failures = options.failFirst ?? 0;
  const limits = (options.rateLimits ?? []).map((l) => ({ ...l }));
  const waitingLists: (() => void)[] = [];
  const deployments: FakeDeployment[] = [];
  let listings = 0;
  const heads: Record<number, string> = { ...options.heads };
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      const method = req.method ?? '';
      calls.push({ method, path: req.url ?? '', authorization: req.headers.authorization, body });
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
      const send = (status: number, data: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(status === 204 ? undefined : JSON.stringify(data));
      };
      if (options.refuseWith) {
        send(options.refuseWith, {
          message:
            options.refuseWith === 403 ? 'Resource not accessible by integration' : 'Not Found',
        });
        return;
      }
      if (failures > 0) {
        failures--;
        send(502, { message: 'Server Error' });
        return;
      }
      const limit = limits.find((l) => l.times > 0 && (!l.method || l.method === method));
      if (limit) {
        limit.times--;
        rateLimited(limit, send, now());
        return;
      }
      const token = (req.headers.authorization ?? '').replace(/^(token|bearer) /i, '');
      const user = options.tokens?.[token] ?? GITHUB_ACTIONS_BOT;
      if (url.pathname === '/graphql' && method === 'POST') {
        if (options.noGraphql) send(404, { message: 'Not Found' });
        else if (typeof body.query !== 'string' || !body.query.includes('viewer')) {
          send(200, { errors: [{ message: 'The fake answers only { viewer { … } }' }] });
        } else send(200, { data: { viewer: { login: user.login, databaseId: user.id } } });
        return;
      }
      if (url.pathname === '/user' && method === 'GET') {
        if (user.type === 'User') send(200, user);
        else send(403, { message: 'Resource not accessible by integration' });
        return;
      }
      const pull = /^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)$/.exec(url.pathname);
      if (pull && method === 'GET') {
        const sha =
          options.headFor?.(calls[calls.length - 1] as GitHubCall) ?? heads[Number(pull[1])];
        const state = options.pullRequests?.[Number(pull[1])];
        if (sha || state) {
          send(200, {
            number: Number(pull[1]),
            state: state ?? 'open',
            merged: false,
            ...(sha ? { head: { sha } } : {}),
          });
        } else send(404, { message: 'Not Found' });
        return;
      }
      const list = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/.exec(url.pathname);
      const one = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(url.pathname);
      const statuses = /^\/repos\/[^/]+\/[^/]+\/deployments\/(\d+)\/statuses$/.exec(url.pathname);
      const shown = (c: FakeComment): Record<string, unknown> => ({
        id: c.id,
        body: c.body,
        user: c.user,
        created_at: c.created_at,
        updated_at: c.updated_at,
        html_url: `https://github.example/acme/models/pull/${c.issue}#issuecomment-${c.id}`,
      });
      if (list && method === 'GET') {
        const answer = (): void => {
          const issue = Number(list[1]);
          const all = comments.filter((c) => c.issue === issue);
          const size = options.pageSize ?? Number(url.searchParams.get('per_page') ?? 30);
          const page = Number(url.searchParams.get('page') ?? 1);
          const last = Math.max(1, Math.ceil(all.length / size));
          const link = (n: number, rel: string): string => {
            const target = new URL(url);
            target.searchParams.set('page', String(n));
            return `<${target.href}>; rel="${rel}"`;
          };
          const links = page < last ? [link(page + 1, 'next'), link(last, 'last')] : [];
          send(
            200,
            all.slice((page - 1) * size, page * size).map(shown),
            links.length ? { link: links.join(', ') } : {},
          );
        };
        const barrier = options.listBarrier ?? 0;
        if (listings++ >= barrier) {
          answer();
          return;
        }
        waitingLists.push(answer);
        if (waitingLists.length === barrier)
          for (const release of waitingLists.splice(0)) release();
      } else if (list && method === 'POST') {
        const at = stamp();
        const comment: FakeComment = {
          id: nextId++,
          issue: Number(list[1]),
          body: String(body.body),
          user,
          created_at: at,
          updated_at: at,
        };
        comments.push(comment);
        send(201, shown(comment));
      } else if (one && (method === 'PATCH' || method === 'DELETE')) {
        const index = comments.findIndex((c) => c.id === Number(one[1]));
        const comment = comments[index];
        if (!comment) {
          send(404, { message: 'Not Found' });
        } else if (comment.user.id !== user.id) {
          // GitHub lets only the author (or a maintainer) edit a comment; the fake, the author.
          send(403, { message: 'Resource not accessible by integration' });
        } else if (method === 'DELETE') {
          comments.splice(index, 1);
          send(204, undefined);
        } else {
          comment.body = String(body.body);
          comment.updated_at = stamp();
          send(200, shown(comment));
        }
      } else if (/^\/repos\/[^/]+\/[^/]+\/deployments$/.test(url.pathname) && method === 'POST') {
        // GitHub deployments, for the `environment` input (a local workflow run records them here).
        const id = 4242 + deployments.length;
        deployments.push({ id, request: body, statuses: [] });
        send(201, { id, environment: body.environment });
      } else if (statuses && method === 'POST') {
        const deployment = deployments.find((d) => d.id === Number(statuses[1]));
        if (!deployment) send(404, { message: 'Not Found' });
        else {
          deployment.statuses.push(body);
          send(201, { id: deployment.statuses.length, state: body.state });
        }
      } else {
        send(404, { message: 'Not Found' });
      }
    });
  });
  await listen(server);
  return { url: address(server), calls, comments, heads, deployments, close: () => close(server) };
}

/** GitHub's answer to a rate-limited request, with the headers it sends. */
function rateLimited(
  limit: FakeRateLimit,
  send: (status: number, data: unknown, headers?: Record<string, string>) => void,
  nowMs: number,
): void {
  const documentation =
    'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api';
  if (limit.kind === 'secondary') {
    send(
      limit.status ?? 403,
      {
        message:
          'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        documentation_url: documentation,
      },
      limit.retryAfterSeconds === undefined
        ? {}
        : { 'retry-after': String(limit.retryAfterSeconds) },
    );
    return;
  }
  send(
    limit.status ?? 403,
    { message: 'API rate limit exceeded for installation.', documentation_url: documentation },
    {
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(Math.ceil(nowMs / 1000) + (limit.resetInSeconds ?? 60)),
    },
  );
}

function listen(server: ReturnType<typeof createServer>): Promise<void> {
  return new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
}

function address(server: ReturnType<typeof createServer>): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: ReturnType<typeof createServer>): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => {
      resolve();
    });
  });
}
