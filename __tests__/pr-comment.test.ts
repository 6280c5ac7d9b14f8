/**
 * The pull request comment against a local server playing GitHub's issue comments API (pages with
 * Link headers, create, update, refusals): found by its marker on any page, updated, never
 * duplicated; a refusal or an unreachable GitHub is a warning naming the permission.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Socket } from 'node:net';
import {
  commentMarker,
  nextPage,
  writePullRequestComment,
  type PullRequestCommentOptions,
} from '../src/github/pr-comment.js';
import { FakeClock } from './helpers/fake-clock.js';
import { startFakeGitHubComments, type FakeComment } from './helpers/fake-github.js';
import { recordingLogger } from './helpers/recording-logger.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const MARKER = commentMarker({ projectId: 'ml-serving', deploymentId: 'qwen-chat' });

function others(count: number, issue = 7): FakeComment[] {
  return Array.from({ length: count }, (_, i) => ({
    id: 100 + i,
    issue,
    body: `Looks good ${i}`,
    user: { login: `reviewer${i}`, type: 'User' as const },
  }));
}

async function github(...args: Parameters<typeof startFakeGitHubComments>) {
  const server = await startFakeGitHubComments(...args);
  cleanups.push(() => server.close());
  return server;
}

function options(url: string, more: Partial<PullRequestCommentOptions> = {}) {
  const { log, lines } = recordingLogger();
  const clock = new FakeClock();
  const o: PullRequestCommentOptions = {
    apiUrl: url,
    token: 'ghs_comment_token',
    owner: 'acme',
    repo: 'models',
    pullRequest: 7,
    marker: MARKER,
    body: `${MARKER}\nThe plan`,
    requestTimeoutMs: 5000,
    signal: new AbortController().signal,
    clock,
    random: () => 0.5,
    log,
    ...more,
  };
  return { o, lines, clock };
}

describe('writePullRequestComment', () => {
  it('finds its comment on page 3 and updates it, creating none', async () => {
    const ours: FakeComment = {
      id: 555,
      issue: 7,
      body: `${MARKER}\nThe old plan`,
      user: { login: 'github-actions[bot]', type: 'Bot' },
    };
    const gh = await github({ comments: [...others(25), ours, ...others(3)], pageSize: 10 });
    const { o, lines } = options(gh.url);
    const written = await writePullRequestComment(o);
    expect(written).toMatchObject({ action: 'updated', id: 555 });
    expect(gh.calls.map((c) => `${c.method} ${c.path.replace(/\?.*/, '')}`)).toEqual([
      'GET /repos/acme/models/issues/7/comments',
      'GET /repos/acme/models/issues/7/comments',
      'GET /repos/acme/models/issues/7/comments',
      'PATCH /repos/acme/models/issues/comments/555',
    ]);
    expect(gh.calls.map((c) => c.path)[2]).toContain('page=3');
    expect(gh.comments.find((c) => c.id === 555)?.body).toBe(`${MARKER}\nThe plan`);
    expect(gh.comments).toHaveLength(29);
    expect(gh.calls.every((c) => c.authorization === 'token ghs_comment_token')).toBe(true);
    expect(lines.join('\n')).not.toContain('ghs_comment_token');
  });

  it('creates a comment when none carries the marker, and updates that one next time', async () => {
    const gh = await github({ comments: others(12), pageSize: 5 });
    const first = await writePullRequestComment(options(gh.url).o);
    expect(first.action).toBe('created');
    expect(gh.calls.at(-1)).toMatchObject({
      method: 'POST',
      path: '/repos/acme/models/issues/7/comments',
      body: { body: `${MARKER}\nThe plan` },
    });
    const second = await writePullRequestComment(
      options(gh.url, { body: `${MARKER}\nThe next plan` }).o,
    );
    expect(second).toMatchObject({
      action: 'updated',
      id: first.action === 'created' ? first.id : 0,
    });
    expect(gh.comments.filter((c) => c.body.includes(MARKER))).toHaveLength(1);
  });

  it('sends nothing when the comment already says the same', async () => {
    const gh = await github({
      comments: [
        { id: 9, issue: 7, body: `${MARKER}\nThe plan`, user: { login: 'bot', type: 'Bot' } },
      ],
    });
    const written = await writePullRequestComment(options(gh.url).o);
    expect(written.action).toBe('unchanged');
    expect(gh.calls.map((c) => c.method)).toEqual(['GET']);
  });

  it('keeps one comment per deployment, and a team marker apart from a teamless one', async () => {
    const gh = await github();
    const targets = [
      { projectId: 'ml-serving', deploymentId: 'qwen-chat' },
      { projectId: 'ml-serving', deploymentId: 'qwen-embed' },
      { projectId: 'ml-serving', deploymentId: 'qwen-chat', teamId: 'research' },
    ];
    for (const round of [1, 2]) {
      for (const target of targets) {
        const marker = commentMarker(target);
        await writePullRequestComment(
          options(gh.url, { marker, body: `${marker}\nround ${round}` }).o,
        );
      }
    }
    expect(gh.comments.map((c) => c.body)).toEqual([
      '<!-- northflank-llm-deploy: ml-serving/qwen-chat -->\nround 2',
      '<!-- northflank-llm-deploy: ml-serving/qwen-embed -->\nround 2',
      '<!-- northflank-llm-deploy: research/ml-serving/qwen-chat -->\nround 2',
    ]);
  });

  it("prefers the bot's comment to a person's that quotes the marker", async () => {
    const gh = await github({
      comments: [
        { id: 1, issue: 7, body: `Why does ${MARKER} show?`, user: { login: 'ann', type: 'User' } },
        {
          id: 2,
          issue: 7,
          body: `${MARKER}\nold`,
          user: { login: 'github-actions[bot]', type: 'Bot' },
        },
      ],
    });
    expect(await writePullRequestComment(options(gh.url).o)).toMatchObject({ id: 2 });
    expect(gh.comments[0]?.body).toBe(`Why does ${MARKER} show?`);
  });

  it("never edits a person's comment that quotes the marker, even as its first line", async () => {
    const quoted = `${MARKER}\nI copied the bot's comment to ask about it`;
    const gh = await github({
      comments: [
        { id: 1, issue: 7, body: `Why does ${MARKER} show?`, user: { login: 'ann', type: 'User' } },
        { id: 2, issue: 7, body: quoted, user: { login: 'bob', type: 'User' } },
      ],
    });
    const written = await writePullRequestComment(options(gh.url).o);
    expect(written.action).toBe('created');
    expect(gh.calls.some((c) => c.method === 'PATCH')).toBe(false);
    expect(gh.comments.map((c) => c.body)).toEqual([
      `Why does ${MARKER} show?`,
      quoted,
      `${MARKER}\nThe plan`,
    ]);
  });

  it("does not take a bot's comment that only quotes the marker for its own", async () => {
    const gh = await github({
      comments: [
        {
          id: 3,
          issue: 7,
          body: `> ${MARKER}\nA review bot quoting the plan`,
          user: { login: 'review-bot[bot]', type: 'Bot' },
        },
      ],
    });
    expect((await writePullRequestComment(options(gh.url).o)).action).toBe('created');
    expect(gh.comments[0]?.body).toBe(`> ${MARKER}\nA review bot quoting the plan`);
  });

  it("with a personal token, updates that person's own comment and no one else's", async () => {
    const gh = await github({
      comments: [
        { id: 1, issue: 7, body: `${MARKER}\nann's copy`, user: { login: 'ann', type: 'User' } },
        { id: 2, issue: 7, body: `${MARKER}\nold`, user: { login: 'deployer', type: 'User' } },
      ],
      personalTokens: { ghp_personal: 'deployer' },
    });
    const written = await writePullRequestComment(options(gh.url, { token: 'ghp_personal' }).o);
    expect(written).toMatchObject({ action: 'updated', id: 2 });
    expect(gh.comments.map((c) => c.body)).toEqual([
      `${MARKER}\nann's copy`,
      `${MARKER}\nThe plan`,
    ]);
    // The next run finds the comment it made, as the same person.
    const again = await writePullRequestComment(
      options(gh.url, { token: 'ghp_personal', body: `${MARKER}\nnext` }).o,
    );
    expect(again).toMatchObject({ action: 'updated', id: 2 });
  });

  it.each([403, 404])('warns naming the permission when GitHub answers %i', async (status) => {
    const gh = await github({ refuseWith: status });
    const { o, lines } = options(gh.url);
    const written = await writePullRequestComment(o);
    expect(written.action).toBe('failed');
    const warning = lines.find((l) => l.startsWith('warning:'));
    expect(warning).toContain(`HTTP ${status}`);
    expect(warning).toContain('permissions: pull-requests: write');
    expect(warning).toContain("the step's outcome is not changed");
    // A refusal is not retried.
    expect(gh.calls).toHaveLength(1);
  });

  it('retries a 502 with backoff, then succeeds', async () => {
    const gh = await github({ failFirst: 2 });
    const { o, clock } = options(gh.url);
    expect((await writePullRequestComment(o)).action).toBe('created');
    expect(clock.sleeps).toHaveLength(2);
    expect(clock.sleeps.every((ms) => ms <= 8000)).toBe(true);
  });

  it('warns naming the permission when GitHub cannot be reached', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => {
          resolve(typeof address === 'object' && address ? address.port : 0);
        });
      });
    });
    const { o, lines, clock } = options(`http://127.0.0.1:${port}`);
    expect((await writePullRequestComment(o)).action).toBe('failed');
    const warning = lines.find((l) => l.startsWith('warning:')) ?? '';
    expect(warning).toMatch(/GitHub could not be reached/);
    expect(warning).toContain('permissions: pull-requests: write');
    expect(clock.sleeps).toHaveLength(2);
  });

  it('gives up within its time limit when GitHub never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          silent.close(() => {
            resolve();
          });
        }),
    );
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const { o, lines } = options(`http://127.0.0.1:${port}`, { timeLimitMs: 300 });
    const started = performance.now();
    expect((await writePullRequestComment(o)).action).toBe('failed');
    expect(performance.now() - started).toBeLessThan(3000);
    expect(lines.find((l) => l.startsWith('warning:'))).toContain(
      'permissions: pull-requests: write',
    );
  });

  it('stops at once when the run is cancelled', async () => {
    const gh = await github({ failFirst: 10 });
    const controller = new AbortController();
    const { o, lines } = options(gh.url, { signal: controller.signal });
    const clock = new FakeClock();
    clock.sleep = (ms, signal) => {
      controller.abort(new Error('cancelled'));
      return FakeClock.prototype.sleep.call(clock, ms, signal);
    };
    expect(await writePullRequestComment({ ...o, clock })).toEqual({
      action: 'failed',
      reason: 'cancelled',
    });
    expect(gh.calls).toHaveLength(1);
    expect(lines.some((l) => l.startsWith('warning:'))).toBe(false);
  });
});

describe('nextPage', () => {
  const origin = 'https://api.github.com';
  it('follows rel="next" on the same origin only', () => {
    expect(
      nextPage(
        '<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last"',
        origin,
      ),
    ).toBe('https://api.github.com/x?page=2');
    expect(nextPage('<https://api.github.com/x?page=1>; rel="prev"', origin)).toBeUndefined();
    // The token goes with the request: a page may not send it to another host.
    expect(nextPage('<https://evil.example/x?page=2>; rel="next"', origin)).toBeUndefined();
    expect(nextPage(undefined, origin)).toBeUndefined();
  });
});
