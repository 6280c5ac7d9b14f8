/**
 * `pr-comment` through run(), in-process: the emulator plays Northflank and a local server plays
 * GitHub's issue comments API, both on 127.0.0.1; the runner's environment and event file are
 * given to run() as they would be on a pull_request event.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GITHUB_ACTIONS_BOT, type FakeComment } from '../../emulator/github.js';
import { latencyOf } from '../../emulator/latency.js';
import { emulatorInputs, type Emulator, type EmulatorOptions } from '../../emulator/server.js';
import {
  startGitHubComments,
  startWorld,
  type InProcessRun,
  type World,
} from '../helpers/harness.js';

const MARKER = '<!-- northflank-llm-deploy: demo-project/llama-chat -->';
const HEAD = 'c0ffee1234567890c0ffee1234567890c0ffee12';
const NEW_MODEL = JSON.stringify({ configuration: { name: 'Qwen/Qwen3-8B' } });

let world: World;
async function emulator(options: EmulatorOptions = {}): Promise<Emulator> {
  world = await startWorld({
    emulator: { plan: { pendingMs: 2000, provisioningMs: 3000, startingMs: 4000 }, ...options },
    random: () => 0.5,
  });
  return world.emu;
}

const github = startGitHubComments;

/** The runner's environment for an event, with its payload in a file. */
function runnerEnv(
  eventName: string,
  apiUrl: string,
  pullRequest: Record<string, unknown> | null = {
    number: 7,
    head: { sha: HEAD, repo: { full_name: 'acme/models' } },
    base: { repo: { full_name: 'acme/models' } },
  },
): Record<string, string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nf-event-'));
  const eventPath = path.join(dir, 'event.json');
  writeFileSync(eventPath, JSON.stringify(pullRequest ? { pull_request: pullRequest } : {}));
  return {
    GITHUB_EVENT_NAME: eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: 'acme/models',
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_API_URL: apiUrl,
    GITHUB_RUN_ID: '77',
  };
}

/** Runs the action against the emulator last started, with the runner's environment `env`. */
function runWith(
  inputs: Record<string, string>,
  env: Record<string, string>,
): Promise<InProcessRun> {
  return world.run(inputs, { env });
}

const planInputs = (emu: Emulator, more: Record<string, string> = {}): Record<string, string> => ({
  ...emulatorInputs(emu),
  'github-token': 'ghs_job_token',
  'dry-run': 'true',
  'pr-comment': 'true',
  spec: NEW_MODEL,
  ...more,
});

describe('pr-comment on a pull_request event', () => {
  it('writes the plan as a comment, then updates it to "changes nothing" when a push empties the plan', async () => {
    const emu = await emulator();
    const gh = await github();
    const env = runnerEnv('pull_request', gh.url);
    const first = await runWith(planInputs(emu), env);
    expect(first.report.outcome).toBe('dry-run');
    expect(gh.comments).toHaveLength(1);
    const body = gh.comments[0]?.body ?? '';
    expect(body.split('\n')[0]).toBe(MARKER);
    expect(body).toContain('Merging rolls out a new configuration.');
    expect(body).toContain('<code>"Qwen/Qwen3-8B"</code>');
    expect(body).toContain('Planned against configuration <code>cfg-0001</code>');
    expect(body).toContain('Commit <code>c0ffee1</code>');
    expect(body).toContain('(https://github.example/acme/models/actions/runs/77)');
    expect(gh.calls.every((c) => c.authorization === 'token ghs_job_token')).toBe(true);
    // The job summary links the comment it wrote.
    expect(first.summary).toMatch(
      /^\| Pull request comment \| \[created\]\(https:\/\/github\.example\/acme\/models\/pull\/7#issuecomment-\d+\) \|$/m,
    );

    // The next push asks for what already runs.
    const second = await runWith(
      planInputs(emu, {
        spec: JSON.stringify({ configuration: { name: 'meta-llama/Llama-3.1-8B-Instruct' } }),
      }),
      env,
    );
    expect(second.report.outcome).toBe('dry-run');
    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0]?.body).toContain('Merging changes nothing');
    // Created then listed again (no other run wrote one meanwhile); then found, its author asked
    // of GitHub (GraphQL viewer: the job's token is github-actions[bot]) and updated; each
    // write after a read of the pull request's head (this run's commit still is).
    expect(gh.calls.map((c) => `${c.method} ${c.path.replace(/\?.*/, '')}`)).toEqual([
      'GET /repos/acme/models/issues/7/comments',
      'GET /repos/acme/models/pulls/7',
      'POST /repos/acme/models/issues/7/comments',
      'GET /repos/acme/models/issues/7/comments',
      'GET /repos/acme/models/issues/7/comments',
      'POST /graphql',
      'GET /repos/acme/models/pulls/7',
      'PATCH /repos/acme/models/issues/comments/1001',
    ]);
    // A plan sends nothing to Northflank; "changes nothing" is confirmed by a second read.
    expect(emu.requests.map((r) => r.method)).toEqual(['GET', 'GET', 'GET']);
  });

  it('finds its comment on page 3 among others, on pull_request_target too', async () => {
    const emu = await emulator();
    const people: FakeComment[] = Array.from({ length: 25 }, (_, i) => ({
      id: 10 + i,
      issue: 7,
      body: `comment ${i}`,
      user: { login: 'dev', id: 500, type: 'User' },
    }));
    const ours: FakeComment = {
      id: 99,
      issue: 7,
      body: `${MARKER}\nold`,
      user: GITHUB_ACTIONS_BOT,
    };
    const gh = await github({ comments: [...people, ours], pageSize: 10 });
    await runWith(planInputs(emu), runnerEnv('pull_request_target', gh.url));
    expect(gh.comments).toHaveLength(26);
    expect(gh.comments.find((c) => c.id === 99)?.body).toContain('Merging rolls out');
  });

  it('keeps one comment per deployment, with the team in the marker', async () => {
    const emu = await emulator();
    const gh = await github();
    const env = runnerEnv('pull_request', gh.url);
    await runWith(planInputs(emu), env);
    await runWith(planInputs(emu, { 'team-id': 'demo-team' }), env);
    await runWith(planInputs(emu, { 'team-id': 'demo-team' }), env);
    expect(gh.comments.map((c) => c.body.split('\n')[0])).toEqual([
      MARKER,
      '<!-- northflank-llm-deploy: demo-team/demo-project/llama-chat -->',
    ]);
  });

  it('warns naming the permission when GitHub refuses, and the outcome stands', async () => {
    const emu = await emulator();
    const gh = await github({ refuseWith: 403 });
    const ran = await runWith(planInputs(emu), runnerEnv('pull_request', gh.url));
    expect(ran.report.outcome).toBe('dry-run');
    expect(ran.outputs.outcome).toBe('dry-run');
    expect(ran.lines.filter((l) => l.startsWith('warning:')).join('\n')).toMatch(
      /Could not write the plan as a comment on pull request #7: .*HTTP 403.*permissions: pull-requests: write/,
    );
    expect(ran.summary).toContain('spec.configuration.name');
    expect(ran.summary).toMatch(
      /^\| Pull request comment \| not written: .*HTTP 403.*permissions: pull-requests: write.* \|$/m,
    );
  });

  it('writes the result of a deploy', async () => {
    const emu = await emulator();
    const gh = await github();
    const ran = await runWith(
      planInputs(emu, { 'dry-run': 'false', 'poll-interval': '5s' }),
      runnerEnv('pull_request', gh.url),
    );
    expect(ran.report.outcome).toBe('running');
    const body = gh.comments[0]?.body ?? '';
    expect(body).toContain('### Northflank deploy: llama chat');
    expect(body).toContain('Rolled out: the new rollout is running');
    expect(body).toContain('Rollout timeline');
  });

  it("writes the result of a deploy with benchmark: the job summary's before/after table", async () => {
    // The real clock: the benchmark times real streams (a few milliseconds each).
    const real = await startWorld({
      time: 'real',
      emulator: { plan: { pendingMs: 100, provisioningMs: 150, startingMs: 150 } },
      model: (emu) => ({
        latency: () => latencyOf(emu.deployment().configuration, { ttftMs: 10, itlMs: 4 }),
      }),
      random: () => 0.5,
    });
    const { emu } = real;
    const model = real.model!;
    const gh = await github();
    const ran = await real.run(
      planInputs(emu, {
        'dry-run': 'false',
        'poll-interval': '200ms',
        'smoke-url': model.url,
        benchmark:
          'requests: 4\nconcurrency: 2\nwarmup: 1\nmax-tokens: 4\nfail-if:\n  ttft-p50: 5s',
      }),
      { env: runnerEnv('pull_request', gh.url) },
    );
    expect(ran.report.outcome).toBe('running');
    const body = gh.comments[0]?.body ?? '';
    expect(body).toContain('Rolled out: the new rollout is running');
    expect(body).toContain('#### Model benchmark');
    expect(body).toMatch(
      /\| TTFT p50 \| [\d.]+ ms \| [\d.]+ ms \| (no change within noise|[-+][\d.]+% (better|worse)) \([-+][\d.]+% to [-+][\d.]+%\) \| ✅ 5s held \|/,
    );
    // The same rows as the job summary's, from the one renderer.
    const rows = ran.summary
      .split('\n')
      .filter((l) => /^\| (TTFT|ITL|E2E|Tokens|Error|Output)/.test(l));
    expect(rows).toHaveLength(18);
    for (const row of rows) expect(body).toContain(row);
    expect(body.indexOf('#### Model benchmark')).toBeLessThan(body.indexOf('Rollout timeline'));
  });

  it('is not written when the run was cancelled', async () => {
    const emu = await emulator();
    const gh = await github();
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await world.run(planInputs(emu), {
      signal: controller.signal,
      env: runnerEnv('pull_request', gh.url),
    });
    expect(gh.calls).toEqual([]);
  });
});

describe('pr-comment on what GitHub and the inputs send (issue 30)', () => {
  it('two runs at once (a re-run and a push close together) end with exactly one comment', async () => {
    const emu = await emulator();
    const gh = await github({ listBarrier: 2 });
    const env = runnerEnv('pull_request', gh.url);
    const [a, b] = await Promise.all([
      runWith(planInputs(emu), env),
      runWith(planInputs(emu), env),
    ]);
    expect([a.report.outcome, b.report.outcome]).toEqual(['dry-run', 'dry-run']);
    expect(
      gh.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/7/comments')),
    ).toHaveLength(2);
    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0]?.body.split('\n')[0]).toBe(MARKER);
    // Both summaries link the one comment that is left.
    for (const ran of [a, b]) {
      expect(ran.summary).toContain(`#issuecomment-${gh.comments[0]?.id ?? 0})`);
    }
    // The next push updates that one.
    await runWith(planInputs(emu, { spec: '', description: 'next' }), env);
    expect(gh.comments).toHaveLength(1);
  });

  it('a run for a commit that is no longer the head (a re-run after a push) leaves the comment to the head', async () => {
    const emu = await emulator();
    const pushed = 'b2e2220000000000000000000000000000000000';
    const gh = await github({ heads: { 7: pushed } });
    const ran = await runWith(planInputs(emu), runnerEnv('pull_request', gh.url));
    expect(ran.report.outcome).toBe('dry-run');
    expect(gh.comments).toEqual([]);
    expect(ran.lines).toContainEqual(
      expect.stringMatching(
        /^notice: .*this run is for commit c0ffee1, but pull request #7's head is now b2e2220, so this run's plan is stale; the run for b2e2220 writes it/,
      ),
    );
    expect(ran.summary).toMatch(
      /^\| Pull request comment \| not written: this run is for commit c0ffee1, but pull request &#35;7's head is now b2e2220/m,
    );
    // The head's own run writes it, with its commit.
    gh.heads[7] = HEAD;
    await runWith(planInputs(emu), runnerEnv('pull_request', gh.url));
    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0]?.body.split('\n')[1]).toBe(
      `<!-- northflank-llm-deploy-commit: ${HEAD} -->`,
    );
  });

  it("a rate limit's wait does not run the step past its timeout: the comment has what is left (at least 10 s)", async () => {
    const emu = await emulator();
    const gh = await github({
      rateLimits: [{ kind: 'secondary', times: 1, retryAfterSeconds: 40, method: 'POST' }],
    });
    const ran = await runWith(
      planInputs(emu, { timeout: '5s' }),
      runnerEnv('pull_request', gh.url),
    );
    expect(ran.report.outcome).toBe('dry-run');
    expect(ran.durationMs).toBeLessThan(12_000);
    expect(gh.comments).toEqual([]);
    expect(ran.lines).toContainEqual(
      expect.stringMatching(
        /^warning: .*GitHub asks to wait 40 s, more than the 10 s left of the comment's 10 s\).*GitHub's secondary rate limit for github-token was reached/,
      ),
    );
  });

  it("leaves renovate[bot]'s comment with the marker alone", async () => {
    const emu = await emulator();
    const renovate: FakeComment = {
      id: 50,
      issue: 7,
      body: `${MARKER}\nRenovate dashboard`,
      user: { login: 'renovate[bot]', id: 29139614, type: 'Bot' },
    };
    const gh = await github({ comments: [renovate] });
    await runWith(planInputs(emu), runnerEnv('pull_request', gh.url));
    expect(
      gh.comments.map((c) => [
        c.user.login,
        c.body.split('\n').filter((l) => !l.startsWith('<!--'))[0],
      ]),
    ).toEqual([
      ['renovate[bot]', 'Renovate dashboard'],
      ['github-actions[bot]', '### Northflank plan: llama chat'],
    ]);
  });

  it('writes no comment for a deployment the GET could not find (404), with a warning', async () => {
    const emu = await emulator();
    const gh = await github();
    const ran = await runWith(
      planInputs(emu, { 'deployment-id': 'pr--><h1>Approved<!--' }),
      runnerEnv('pull_request', gh.url),
    );
    expect(ran.report.outcome).toBe('error');
    expect(gh.calls).toEqual([]);
    expect(ran.lines).toContainEqual(
      expect.stringMatching(
        /^warning: \[Pull request comment not written\] Not writing the pull request comment: Northflank has no deployment "pr--><h1>Approved<!--" in project "demo-project" for this token \(HTTP 404\)/,
      ),
    );
    expect(ran.summary).toMatch(
      /^\| Pull request comment \| not written: Northflank has no deployment/m,
    );
  });

  it('escapes an id in the marker: a deployment id cannot put a heading into the comment', async () => {
    const id = 'pr--><h1>Approved<!--';
    const emu = await emulator({ deployments: [{ id }] });
    const gh = await github();
    await runWith(planInputs(emu, { 'deployment-id': id }), runnerEnv('pull_request', gh.url));
    const body = gh.comments[0]?.body ?? '';
    expect(body.split('\n')[0]).toBe(
      '<!-- northflank-llm-deploy: demo-project/pr%2D%2D%3E%3Ch1%3EApproved%3C%21%2D%2D -->',
    );
    expect(body).not.toMatch(/<h1>/i);
    // The next run finds it by the same escaped marker.
    await runWith(
      planInputs(emu, { 'deployment-id': id, description: 'next' }),
      runnerEnv('pull_request', gh.url),
    );
    expect(gh.comments).toHaveLength(1);
  });
});

describe('the plan says the same in the log, the job summary and the comment', () => {
  const PORTS = JSON.stringify([
    {
      name: 'http',
      internalPort: 8000,
      protocol: 'HTTP',
      public: true,
      domains: ['chat.acme.dev'],
    },
  ]);

  it('given ports in place that give domains are sent again: not "changes nothing", and any rollout followed', async () => {
    const emu = await emulator();
    const gh = await github();
    const ran = await runWith(
      planInputs(emu, { spec: '', ports: PORTS }),
      runnerEnv('pull_request', gh.url),
    );
    expect(ran.report.outcome).toBe('dry-run');
    expect(ran.outputs.changes).toBe('[]');
    const said =
      'changes nothing that a GET shows, but sends ports again: they give domains, which a GET never reports, so whether those change is unknown; a rollout, if Northflank starts one for it, is followed.';
    const comment = gh.comments[0]?.body ?? '';
    expect(comment).toContain(`**📨 Merging ${said}**`);
    expect(ran.summary).toContain(`**📨 The plan ${said}**`);
    expect(ran.lines).toContain(`Dry run: no update was sent. The plan ${said}`);
    for (const text of [comment, ran.summary, ran.lines.join('\n')]) {
      expect(text).not.toContain('changes nothing:');
      expect(text).not.toContain('already matches');
    }
  });

  it('a dry run with force sends the given fields again: a restart, not "changes nothing"', async () => {
    const emu = await emulator();
    const gh = await github();
    const ran = await runWith(
      planInputs(emu, {
        spec: JSON.stringify({ configuration: { name: 'meta-llama/Llama-3.1-8B-Instruct' } }),
        force: 'true',
      }),
      runnerEnv('pull_request', gh.url),
    );
    const said =
      'restarts the deployment: force is true, so it sends spec again with the values already in place, which starts a new rollout.';
    expect(gh.comments[0]?.body).toContain(`**🔁 Merging ${said}**`);
    expect(ran.summary).toContain(`**🔁 The plan ${said}**`);
    expect(ran.lines).toContain(`Dry run: no update was sent. The plan ${said}`);
    expect(ran.summary).toContain(
      'None that GET can show; spec would be re-sent because force is true.',
    );
  });
});

describe('pr-comment elsewhere', () => {
  it('is ignored with a warning on a push', async () => {
    const emu = await emulator();
    const gh = await github();
    const ran = await runWith(planInputs(emu), runnerEnv('push', gh.url, null));
    expect(ran.report.outcome).toBe('dry-run');
    expect(ran.lines).toContainEqual(
      expect.stringMatching(/^warning: .*"pr-comment" is ignored on a push event/),
    );
    expect(gh.calls).toEqual([]);
  });

  it('is off by default', async () => {
    const emu = await emulator();
    const gh = await github();
    const inputs = planInputs(emu);
    delete inputs['pr-comment'];
    const ran = await runWith(inputs, runnerEnv('pull_request', gh.url));
    expect(ran.report.outcome).toBe('dry-run');
    expect(gh.calls).toEqual([]);
    expect(ran.lines.some((l) => l.startsWith('warning:'))).toBe(false);
  });
});

describe('a pull request event without api-token (a fork)', () => {
  it('ends skipped with the fork notice, reads nothing and writes no comment', async () => {
    const emu = await emulator();
    const gh = await github();
    const ran = await runWith(
      planInputs(emu, { 'api-token': '' }),
      runnerEnv('pull_request', gh.url, {
        number: 7,
        head: { sha: HEAD, repo: { full_name: 'mallory/models' } },
        base: { repo: { full_name: 'acme/models' } },
      }),
    );
    expect(ran.report.outcome).toBe('skipped');
    expect(ran.outputs.outcome).toBe('skipped');
    expect(ran.outputs.id).toBe('llama-chat');
    expect(emu.requests).toEqual([]);
    expect(gh.calls).toEqual([]);
    const notice = ran.lines.find((l) => l.startsWith('notice:')) ?? '';
    expect(notice).toContain(
      'GitHub gives no secrets to workflows run for pull requests from forks',
    );
    expect(notice).toContain('workflow_run');
  });

  it('reads well in the job summary: the notice a sentence a paragraph, no empty facts', async () => {
    const emu = await emulator();
    const gh = await github();
    const ran = await runWith(
      planInputs(emu, { 'api-token': '' }),
      runnerEnv('pull_request', gh.url, {
        number: 7,
        head: { sha: HEAD, repo: { full_name: 'mallory/models' } },
        base: { repo: { full_name: 'acme/models' } },
      }),
    );
    const summary = ran.summary;
    expect(summary).toContain(
      '**⏭️ Skipped: no api-token on a pull request event (a fork gets no secrets)**',
    );
    const paragraphs = summary.split('\n\n').map((p) => p.trim());
    expect(paragraphs).toContain(
      "GitHub gives no secrets to workflows run for pull requests from forks &#40;nor to Dependabot's, which get only Dependabot secrets&#41;.",
    );
    expect(paragraphs).toContain('Pull request &#35;7 comes from a fork, so this is expected.');
    expect(paragraphs.some((p) => p.startsWith('To plan this change, a maintainer'))).toBe(true);
    // Nothing was read: no status, fields, elapsed time or request count to show.
    expect(summary).not.toMatch(/\| (Status|Fields updated|Elapsed|API requests) \|/);
    expect(summary).not.toMatch(/^> /m);
    expect(summary).toContain('| Deployment | <code>llama-chat</code> |');
    expect(summary).toMatch(
      /^\| Pull request comment \| not written: the run was skipped, so there is no plan to show .*\|$/m,
    );
  });

  it('still checks the other inputs', async () => {
    const emu = await emulator();
    const ran = await runWith(
      planInputs(emu, { 'api-token': '', spec: '{"configuration": ' }),
      runnerEnv('pull_request', 'http://127.0.0.1:9'),
    );
    expect(ran.report.outcome).toBe('error');
    expect(ran.report.message).toMatch(/Input "spec" is invalid/);
  });

  it('is an input error on other events', async () => {
    const emu = await emulator();
    const ran = await runWith(
      planInputs(emu, { 'api-token': '' }),
      runnerEnv('push', 'http://127.0.0.1:9', null),
    );
    expect(ran.report.outcome).toBe('error');
    expect(ran.report.message).toMatch(/Input "api-token" is invalid: is required/);
  });
});
