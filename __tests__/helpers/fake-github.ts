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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  };
}

/** A pull request comment as the fake stores it. */
export interface FakeComment {
  id: number;
  issue: number;
  body: string;
  user: { login: string; type: 'Bot' | 'User' };
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
   * Personal tokens and their users' logins: `GET /user` answers with the login, and comments
   * made with the token are that user's. Any other token is the job's: `GET /user` is refused
   * (403, as GitHub refuses an installation token) and it comments as github-actions[bot].
   */
  personalTokens?: Record<string, string>;
}

/**
 * A local server that plays GitHub's issue comments API: lists them in pages with a Link header
 * (absolute URLs, as GitHub sends), creates and updates them, and records the calls.
 */
export async function startFakeGitHubComments(options: FakeCommentsOptions = {}): Promise<{
  url: string;
  calls: GitHubCall[];
  comments: FakeComment[];
  close(): Promise<void>;
}> {
  const calls: GitHubCall[] = [];
  const comments = [...(options.comments ?? [])];
  let nextId = Math.max(1000, ...comments.map((c) => c.id)) + 1;
  let failures = options.failFirst ?? 0;
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      calls.push({
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: req.headers.authorization,
        body,
      });
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
      const send = (status: number, data: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(data));
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
      const token = (req.headers.authorization ?? '').replace(/^(token|bearer) /i, '');
      const person = options.personalTokens?.[token];
      if (url.pathname === '/user' && req.method === 'GET') {
        if (person) send(200, { login: person, type: 'User' });
        else send(403, { message: 'Resource not accessible by integration' });
        return;
      }
      const list = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/.exec(url.pathname);
      const one = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(url.pathname);
      if (list && req.method === 'GET') {
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
          all.slice((page - 1) * size, page * size).map((c) => ({
            id: c.id,
            body: c.body,
            user: c.user,
            html_url: `https://github.example/acme/models/pull/${issue}#issuecomment-${c.id}`,
          })),
          links.length ? { link: links.join(', ') } : {},
        );
      } else if (list && req.method === 'POST') {
        const comment: FakeComment = {
          id: nextId++,
          issue: Number(list[1]),
          body: String(body.body),
          user: person
            ? { login: person, type: 'User' }
            : { login: 'github-actions[bot]', type: 'Bot' },
        };
        comments.push(comment);
        send(201, {
          id: comment.id,
          body: comment.body,
          html_url: `https://github.example/acme/models/pull/${comment.issue}#issuecomment-${comment.id}`,
        });
      } else if (one && req.method === 'PATCH') {
        const comment = comments.find((c) => c.id === Number(one[1]));
        if (!comment) {
          send(404, { message: 'Not Found' });
          return;
        }
        comment.body = String(body.body);
        send(200, {
          id: comment.id,
          body: comment.body,
          html_url: `https://github.example/acme/models/pull/${comment.issue}#issuecomment-${comment.id}`,
        });
      } else {
        send(404, { message: 'Not Found' });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    comments,
    close: () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  };
}
