/**
 * The pull request comment against the GitHub stand-in (emulator/github.ts: pages with Link
 * headers, create, update, delete, who a token is, rate limits, refusals): found by its marker on
 * any page among the token's own comments, updated, never duplicated; a refusal or an unreachable
 * GitHub is a warning whose advice matches its cause.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Socket } from 'node:net';
import {
  commentMarker,
  graphqlUrl,
  markerId,
  nextPage,
  writePullRequestComment,
  type PullRequestCommentOptions,
} from '../../src/github/pr-comment.js';
import { FakeClock } from '../helpers/fake-clock.js';
import {
  GITHUB_ACTIONS_BOT,
  startFakeGitHubComments,
  type FakeComment,
  type FakeUser,
  type GitHubCall,
} from '../../emulator/github.js';
import { recordingLogger } from '../helpers/recording-logger.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const MARKER = commentMarker({ projectId: 'ml-serving', deploymentId: 'qwen-chat' });
const DEPLOYER: FakeUser = { login: 'deployer', id: 303, type: 'User' };
const ANN: FakeUser = { login: 'ann', id: 301, type: 'User' };
const BOB: FakeUser = { login: 'bob', id: 302, type: 'User' };
const RENOVATE: FakeUser = { login: 'renovate[bot]', id: 29139614, type: 'Bot' };
const RENOVATE_BODY = `${MARKER}\nRenovate's`;
const path = (c: { method: string; path: string }): string =>
  `${c.method} ${c.path.replace(/\?.*/, '')}`;

function others(count: number, issue = 7): FakeComment[] {
  return Array.from({ length: count }, (_, i) => ({
    id: 100 + i,
    issue,
    body: `Looks good ${i}`,
    user: { login: `reviewer${i}`, id: 200 + i, type: 'User' as const },
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
      user: GITHUB_ACTIONS_BOT,
    };
    const gh = await github({ comments: [...others(25), ours, ...others(3)], pageSize: 10 });
    const { o, lines } = options(gh.url);
    const written = await writePullRequestComment(o);
    expect(written).toMatchObject({ action: 'updated', id: 555 });
    expect(gh.calls.map(path)).toEqual([
      'GET /repos/acme/models/issues/7/comments',
      'GET /repos/acme/models/issues/7/comments',
      'GET /repos/acme/models/issues/7/comments',
      'POST /graphql',
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
    // Created, then listed again to make sure no other run created one at the same time.
    expect(gh.calls.find((c) => c.method === 'POST')).toMatchObject({
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
      comments: [{ id: 9, issue: 7, body: `${MARKER}\nThe plan`, user: GITHUB_ACTIONS_BOT }],
    });
    const written = await writePullRequestComment(options(gh.url).o);
    expect(written.action).toBe('unchanged');
    expect(gh.calls.map(path)).toEqual([
      'GET /repos/acme/models/issues/7/comments',
      'POST /graphql',
    ]);
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

  it("prefers its own comment to a person's that quotes the marker", async () => {
    const gh = await github({
      comments: [
        { id: 1, issue: 7, body: `Why does ${MARKER} show?`, user: ANN },
        { id: 2, issue: 7, body: `${MARKER}\nold`, user: GITHUB_ACTIONS_BOT },
      ],
    });
    expect(await writePullRequestComment(options(gh.url).o)).toMatchObject({ id: 2 });
    expect(gh.comments[0]?.body).toBe(`Why does ${MARKER} show?`);
  });

  it("never edits a person's comment that quotes the marker, even as its first line", async () => {
    const quoted = `${MARKER}\nI copied the bot's comment to ask about it`;
    const gh = await github({
      comments: [
        { id: 1, issue: 7, body: `Why does ${MARKER} show?`, user: ANN },
        { id: 2, issue: 7, body: quoted, user: BOB },
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
          user: { login: 'review-bot[bot]', id: 777, type: 'Bot' },
        },
      ],
    });
    expect((await writePullRequestComment(options(gh.url).o)).action).toBe('created');
    expect(gh.comments[0]?.body).toBe(`> ${MARKER}\nA review bot quoting the plan`);
  });

  it("with a personal token, updates that person's own comment and no one else's", async () => {
    const gh = await github({
      comments: [
        { id: 1, issue: 7, body: `${MARKER}\nann's copy`, user: ANN },
        { id: 2, issue: 7, body: `${MARKER}\nold`, user: DEPLOYER },
      ],
      tokens: { ghp_personal: DEPLOYER },
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

  it.each([
    [403, 'permissions: pull-requests: write'],
    [404, 'GitHub answers 404 when github-token cannot see acme/models'],
    [401, 'expired or revoked'],
  ])('warns with advice for its cause when GitHub answers %i', async (status, advice) => {
    const gh = await github({ refuseWith: status });
    const { o, lines } = options(gh.url);
    const written = await writePullRequestComment(o);
    expect(written.action).toBe('failed');
    const warning = lines.find((l) => l.startsWith('warning:'));
    expect(warning).toContain(`HTTP ${status}`);
    expect(warning).toContain(advice);
    if (status !== 403) expect(warning).not.toContain('pull-requests: write');
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

  it('warns about the network, never a permission, when GitHub cannot be reached', async () => {
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
    expect(warning).toContain("Check the runner's network, proxy and DNS for 127.0.0.1");
    expect(warning).not.toMatch(/permission/);
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
    const warning = lines.find((l) => l.startsWith('warning:')) ?? '';
    expect(warning).toContain('GitHub did not answer in time');
    expect(warning).not.toMatch(/permission/);
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

describe('whose comment is ours: the identity the token writes as', () => {
  const RENOVATES = `${MARKER}\nRenovate copied this marker`;

  it("never touches another app's comment with the marker (renovate[bot]): the job's token writes as github-actions[bot]", async () => {
    const gh = await github({
      comments: [{ id: 1, issue: 7, body: RENOVATES, user: RENOVATE }],
    });
    const first = await writePullRequestComment(options(gh.url).o);
    expect(first.action).toBe('created');
    const second = await writePullRequestComment(
      options(gh.url, { body: `${MARKER}\nThe next plan` }).o,
    );
    expect(second).toMatchObject({
      action: 'updated',
      id: first.action === 'created' ? first.id : 0,
    });
    expect(gh.comments.map((c) => [c.user.login, c.body])).toEqual([
      ['renovate[bot]', RENOVATES],
      ['github-actions[bot]', `${MARKER}\nThe next plan`],
    ]);
    expect(gh.calls.some((c) => c.method === 'PATCH' && c.path.endsWith('/comments/1'))).toBe(
      false,
    );
  });

  it("with a GitHub App's installation token (GET /user refused), finds its bot by GraphQL and updates only the bot's comment", async () => {
    const app: FakeUser = { login: 'nf-deployer[bot]', id: 424242, type: 'Bot' };
    const gh = await github({
      comments: [
        { id: 1, issue: 7, body: `${MARKER}\njob token's`, user: GITHUB_ACTIONS_BOT },
        { id: 2, issue: 7, body: RENOVATES, user: RENOVATE },
        { id: 3, issue: 7, body: `${MARKER}\nthe app's`, user: app },
      ],
      tokens: { ghs_app_installation: app },
    });
    const written = await writePullRequestComment(
      options(gh.url, { token: 'ghs_app_installation' }).o,
    );
    expect(written).toMatchObject({ action: 'updated', id: 3 });
    expect(gh.comments.map((c) => c.body)).toEqual([
      `${MARKER}\njob token's`,
      RENOVATES,
      `${MARKER}\nThe plan`,
    ]);
  });

  it('matches on the account id, not on a login alone', async () => {
    // A different account that took the same login (renamed, or a look-alike): not ours.
    const gh = await github({
      comments: [
        { id: 1, issue: 7, body: `${MARKER}\nold`, user: { ...GITHUB_ACTIONS_BOT, id: 1 } },
      ],
    });
    expect((await writePullRequestComment(options(gh.url).o)).action).toBe('created');
    expect(gh.comments[0]?.body).toBe(`${MARKER}\nold`);
  });

  it('edits no comment when GitHub does not say who the token is, and says so; creates one when none has the marker', async () => {
    // No GraphQL (an old GHES), and the job's token may not read GET /user.
    const gh = await github({
      noGraphql: true,
      comments: [{ id: 1, issue: 7, body: `${MARKER}\nold`, user: GITHUB_ACTIONS_BOT }],
    });
    const { o, lines } = options(gh.url);
    const written = await writePullRequestComment(o);
    expect(written.action).toBe('failed');
    expect(gh.calls.map(path)).toEqual([
      'GET /repos/acme/models/issues/7/comments',
      'POST /graphql',
      'GET /user',
    ]);
    expect(lines.find((l) => l.startsWith('warning:'))).toMatch(
      /could not find out which user or app github-token writes as, and 1 comment\(s\) on the pull request start with this deployment's marker: it edits none of them/,
    );
    const empty = await github({ noGraphql: true });
    expect((await writePullRequestComment(options(empty.url).o)).action).toBe('created');
  });
});

describe('one comment, also when runs write at once', () => {
  it('folds duplicates left by earlier runs: keeps the oldest, updated, and deletes the rest', async () => {
    const gh = await github({
      comments: [
        { id: 1, issue: 7, body: `${MARKER}\nfirst`, user: GITHUB_ACTIONS_BOT },
        { id: 2, issue: 7, body: RENOVATE_BODY, user: RENOVATE },
        { id: 3, issue: 7, body: `${MARKER}\nstale duplicate`, user: GITHUB_ACTIONS_BOT },
      ],
    });
    expect(await writePullRequestComment(options(gh.url).o)).toMatchObject({
      action: 'updated',
      id: 1,
    });
    expect(gh.comments.map((c) => [c.id, c.body])).toEqual([
      [1, `${MARKER}\nThe plan`],
      [2, RENOVATE_BODY],
    ]);
  });

  it('two runs at once, both seeing no comment, end with exactly one: the oldest, with the newest plan', async () => {
    const gh = await github({ comments: others(3), listBarrier: 2 });
    const [a, b] = await Promise.all([
      writePullRequestComment(options(gh.url, { body: `${MARKER}\nrun A` }).o),
      writePullRequestComment(options(gh.url, { body: `${MARKER}\nrun B` }).o),
    ]);
    // Both created (the race), then both folded onto the first one.
    expect(
      gh.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/7/comments')),
    ).toHaveLength(2);
    const ours = gh.comments.filter((c) => c.body.startsWith(MARKER));
    expect(ours).toHaveLength(1);
    const created = gh.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/7/comments'));
    // The newest body is the one written last.
    expect(ours[0]?.body).toBe(created[1]?.body.body);
    expect(ours[0]?.id).toBe(Math.min(...[a, b].map((w) => ('id' in w ? w.id : 0))));
    expect(gh.comments).toHaveLength(4);
  });
});

describe("GitHub's rate limits", () => {
  it('waits as a secondary rate limit asks (403 with Retry-After), then writes, within the budget', async () => {
    const gh = await github({
      rateLimits: [{ kind: 'secondary', times: 1, retryAfterSeconds: 7, method: 'POST' }],
    });
    const { o, lines, clock } = options(gh.url);
    expect((await writePullRequestComment(o)).action).toBe('created');
    expect(clock.sleeps).toEqual([7000]);
    expect(lines).toContain(
      "Creating the pull request comment: GitHub's secondary rate limit; waiting 7 s as it asks, then trying again.",
    );
    expect(gh.comments).toHaveLength(1);
  });

  it('waits until x-ratelimit-reset for a used-up primary limit (429)', async () => {
    const wall = 1_800_000_000_000;
    const gh = await github({
      now: () => wall,
      rateLimits: [{ kind: 'primary', status: 429, times: 1, resetInSeconds: 4 }],
    });
    const { o, clock } = options(gh.url, { wallNow: () => wall });
    expect((await writePullRequestComment(o)).action).toBe('created');
    expect(clock.sleeps).toEqual([4000]);
  });

  it('gives up when GitHub asks for longer than the budget, with rate limit advice, not permission advice', async () => {
    const gh = await github({
      rateLimits: [{ kind: 'secondary', times: 5, retryAfterSeconds: 120 }],
    });
    const { o, lines, clock } = options(gh.url);
    const written = await writePullRequestComment(o);
    expect(written.action).toBe('failed');
    expect(clock.sleeps).toEqual([]);
    expect(gh.calls).toHaveLength(1);
    const warning = lines.find((l) => l.startsWith('warning:')) ?? '';
    expect(warning).toMatch(
      /HTTP 403 \(You have exceeded a secondary rate limit.*; GitHub asks to wait 120 s, more than the 60 s left of the comment's 60 s\)/,
    );
    expect(warning).toContain("GitHub's secondary rate limit for github-token was reached");
    expect(warning).not.toMatch(/permission/);
    expect(written.action === 'failed' && written.hint).toMatch(/rate limit/);
  });

  it('takes a 403 without a rate limit word or header as a refusal, not a rate limit', async () => {
    const gh = await github({ refuseWith: 403 });
    const { o, clock } = options(gh.url);
    expect((await writePullRequestComment(o)).action).toBe('failed');
    expect(clock.sleeps).toEqual([]);
  });
});

describe('a secondary rate limit without Retry-After, and the budget on the clock (issue 30, hostile #8, #9)', () => {
  it("backs off on its own, 5 s then 10 s, says it is the action's wait, not GitHub's, and writes", async () => {
    const gh = await github({ rateLimits: [{ kind: 'secondary', times: 2, method: 'POST' }] });
    const { o, lines, clock } = options(gh.url);
    expect((await writePullRequestComment(o)).action).toBe('created');
    expect(clock.sleeps).toEqual([5000, 10_000]);
    expect(lines).toContain(
      "Creating the pull request comment: GitHub's secondary rate limit, without Retry-After; waiting 5 s (the action's own backoff), then trying again.",
    );
    expect(lines.join('\n')).not.toMatch(/as it asks/);
  });

  it('gives up after its tries with a warning that names the rate limit, well within the budget', async () => {
    const gh = await github({ rateLimits: [{ kind: 'secondary', times: 9, method: 'POST' }] });
    const { o, lines, clock } = options(gh.url);
    const written = await writePullRequestComment(o);
    expect(written.action).toBe('failed');
    expect(clock.sleeps).toEqual([5000, 10_000]);
    const warning = lines.find((l) => l.startsWith('warning:')) ?? '';
    expect(warning).toMatch(
      /HTTP 403 \(You have exceeded a secondary rate limit.*; GitHub gave no Retry-After; still limited after 3 tries\)/,
    );
    expect(warning).toContain("GitHub's secondary rate limit for github-token was reached");
    expect(warning).not.toMatch(/aborted|permission/);
  });

  it('counts the budget on the clock: a second wait that no longer fits is not started', async () => {
    const gh = await github({
      rateLimits: [{ kind: 'secondary', times: 2, retryAfterSeconds: 30, method: 'POST' }],
    });
    const { o, lines, clock } = options(gh.url);
    expect((await writePullRequestComment(o)).action).toBe('failed');
    expect(clock.sleeps).toEqual([30_000]);
    expect(lines.find((l) => l.startsWith('warning:'))).toMatch(
      /GitHub asks to wait 30 s, more than the 30 s left of the comment's 60 s\)/,
    );
  });

  it('counts time spent outside its waits too (slow answers), and stops when the budget is spent', async () => {
    const gh = await github({
      rateLimits: [{ kind: 'secondary', times: 1, retryAfterSeconds: 7, method: 'POST' }],
    });
    const { o, lines, clock } = options(gh.url, { timeLimitMs: 12_000 });
    // The listing takes 6 s of the clock: 6 s left, 7 s asked (and 2 s for the request): no fit.
    const slowAnswers = {
      now: () => clock.now() + gh.calls.filter((c) => c.method === 'GET').length * 6000,
      sleep: (ms: number, signal?: AbortSignal) => clock.sleep(ms, signal),
    };
    expect((await writePullRequestComment({ ...o, clock: slowAnswers })).action).toBe('failed');
    expect(clock.sleeps).toEqual([]);
    expect(lines.find((l) => l.startsWith('warning:'))).toMatch(
      /GitHub asks to wait 7 s, more than the 6 s left of the comment's 12 s\)/,
    );
  });
});

describe("the pull request's head (issue 30, hostile #3)", () => {
  const OLD = 'a1d1110000000000000000000000000000000000';
  const NEW = 'b2e2220000000000000000000000000000000000';

  it('a run for a commit that is no longer the head writes nothing, with a notice naming both', async () => {
    const ours: FakeComment = {
      id: 1,
      issue: 7,
      body: `${MARKER}\n<!-- northflank-llm-deploy-commit: ${NEW} -->\nThe head's plan`,
      user: GITHUB_ACTIONS_BOT,
    };
    const gh = await github({ comments: [ours], heads: { 7: NEW } });
    const { o, lines } = options(gh.url, { headSha: OLD, body: `${MARKER}\nOld plan` });
    expect(await writePullRequestComment(o)).toMatchObject({ action: 'stale' });
    expect(gh.comments[0]?.body).toContain("The head's plan");
    expect(gh.calls.filter((c) => c.method !== 'GET' && !c.path.includes('graphql'))).toEqual([]);
    expect(lines).toContain(
      "notice: [Pull request comment not written] Not writing the pull request comment: this run is for commit a1d1110, but pull request #7's head is now b2e2220, so this run's plan is stale; the run for b2e2220 writes it (re-run that one to see its plan).",
    );
  });

  it('the head writes, with the commit as a hidden second line', async () => {
    const gh = await github({ heads: { 7: NEW } });
    const { o } = options(gh.url, { headSha: NEW });
    expect((await writePullRequestComment(o)).action).toBe('created');
    expect(gh.comments[0]?.body.split('\n')).toEqual([
      MARKER,
      `<!-- northflank-llm-deploy-commit: ${NEW} -->`,
      'The plan',
    ]);
    // Run again: up to date, nothing written.
    expect((await writePullRequestComment(options(gh.url, { headSha: NEW }).o)).action).toBe(
      'unchanged',
    );
  });

  it('two runs at once with a push between them: the one comment left shows the head commit, whichever wrote last', async () => {
    for (const oldFirst of [true, false]) {
      const seen: { calls: readonly GitHubCall[] } = { calls: [] };
      const byOld = (c: GitHubCall): boolean => c.authorization?.includes('ghs_old') === true;
      const gh = await github({
        listBarrier: 2,
        // The old commit's run read the head before the push; the push lands once it has written.
        headFor: (call) =>
          byOld(call) && !seen.calls.some((c) => c.method === 'POST' && byOld(c)) ? OLD : NEW,
      });
      seen.calls = gh.calls;
      const old = options(gh.url, { token: 'ghs_old', headSha: OLD, body: `${MARKER}\nOld plan` });
      const head = options(gh.url, {
        token: 'ghs_new',
        headSha: NEW,
        body: `${MARKER}\nHead plan`,
      });
      await Promise.all(
        oldFirst
          ? [writePullRequestComment(old.o), writePullRequestComment(head.o)]
          : [writePullRequestComment(head.o), writePullRequestComment(old.o)],
      );
      const marked = gh.comments.filter((c) => c.body.startsWith(MARKER));
      expect(marked).toHaveLength(1);
      expect(marked[0]?.body).toContain('Head plan');
    }
  });
});

describe('the marker', () => {
  it('escapes what could end the HTML comment or inject Markdown, one to one', () => {
    const marker = commentMarker({ projectId: 'pr--><h1>Approved<!--', deploymentId: 'x' });
    expect(marker).toBe(
      '<!-- northflank-llm-deploy: pr%2D%2D%3E%3Ch1%3EApproved%3C%21%2D%2D/x -->',
    );
    // Only the marker's own `<!--` and `-->`.
    expect(marker.match(/-->/g)).toHaveLength(1);
    expect(marker.match(/</g)).toHaveLength(1);
    expect(marker.match(/>/g)).toHaveLength(1);
    expect(markerId('a/b')).not.toBe(markerId('a%2Fb'));
    expect(markerId('team\n# Approved')).toBe('team%0A%23%20Approved');
    expect(markerId('llama-chat_v1.2~x')).toBe('llama-chat_v1.2~x');
    expect(markerId('a--b-c')).toBe('a%2D%2Db-c');
  });
});

describe('graphqlUrl', () => {
  it('is /graphql beside the REST API, and /api/graphql on GitHub Enterprise Server', () => {
    expect(graphqlUrl('https://api.github.com')).toBe('https://api.github.com/graphql');
    expect(graphqlUrl('https://ghe.example/api/v3')).toBe('https://ghe.example/api/graphql');
    expect(graphqlUrl('https://ghe.example/api/v3/')).toBe('https://ghe.example/api/graphql');
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
