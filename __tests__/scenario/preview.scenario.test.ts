/**
 * Mode preview and mode sweep, in-process against the emulator on a fake clock: a pull request's
 * preview created, updated on a push (never a second one), deleted on close; the sweep's safety
 * (never production, another repository's preview, or a person's deployment); the races; the
 * cost guards; forks.
 */
import { describe, expect, it } from '@jest/globals';
import * as path from 'node:path';
import { startFakeGitHubComments } from '../../emulator/github.js';
import type { StoredDeployment } from '../../emulator/server.js';
import { markerLine, previewDescription } from '../../src/rollout/preview-identity.js';
import { closeAfter, startWorld, type RunExtras } from '../helpers/harness.js';

const REPO = 'acme/models';

/** The runner's environment and event file of a pull_request event. */
function pullRequest(
  action: string,
  number: number,
  options: { fork?: boolean; event?: string } = {},
): RunExtras {
  return {
    env: (workspace) => ({
      GITHUB_EVENT_NAME: options.event ?? 'pull_request',
      GITHUB_EVENT_PATH: path.join(workspace, 'event.json'),
      GITHUB_REPOSITORY: REPO,
    }),
    files: {
      'event.json': JSON.stringify({
        action,
        pull_request: {
          number,
          head: {
            sha: 'a'.repeat(40),
            repo: { full_name: options.fork ? 'someone/models' : REPO },
          },
          base: { repo: { full_name: REPO } },
        },
      }),
    },
  };
}

async function world(options: { deleteMs?: number; pageSize?: number } = {}) {
  return startWorld({
    emulator: { existingTags: ['llm', 'preview'], ...options },
    inputs: { 'poll-interval': '2s', timeout: '10m' },
  });
}

/** A preview as another run of the action (or another repository's) would have made it. */
function previewOf(
  repo: string,
  pr: number,
  expiresMs: number,
  extra: Partial<StoredDeployment> = {},
): Partial<StoredDeployment> {
  return {
    id: `llama-chat-pr-${pr}`,
    name: `llama-chat-pr-${pr}`,
    tags: ['preview'],
    description: previewDescription({
      of: 'llama-chat',
      repository: repo,
      pullRequest: pr,
      expiresMs,
    }),
    ...extra,
  };
}

describe('mode: preview', () => {
  it('opened creates the preview from production with the given values, and waits until it runs', async () => {
    const w = await world();
    const prodBefore = JSON.stringify(w.emu.deployment());
    const ran = await w.run(
      {
        mode: 'preview',
        spec: '{"configuration": {"architecture": {"workerConfig": {"quantization": "fp8"}}}}',
      },
      pullRequest('opened', 7),
    );
    expect(ran.report.outcome).toBe('running');
    expect(ran.report.message).toMatch(
      /^Preview "llama-chat-pr-7" created: its first rollout is running\./,
    );
    const preview = w.emu.deployment('llama-chat-pr-7');
    expect(preview.name).toBe('llama-chat-pr-7');
    expect(preview.tags).toEqual(['preview']);
    expect(preview.description).toContain('repo=acme/models pr=7 expires=');
    expect(preview.configuration.name).toBe('meta-llama/Llama-3.1-8B-Instruct');
    expect(preview.configuration.architecture?.workerConfig?.quantization).toBe('fp8');
    expect(preview.ports).toHaveLength(1);
    // Production is only read.
    expect(JSON.stringify(w.emu.deployment())).toBe(prodBefore);
    expect(
      w.emu.requests.filter((r) => r.method !== 'GET' && r.path.endsWith('/llama-chat')),
    ).toEqual([]);
    expect(ran.outputs['preview-id']).toBe('llama-chat-pr-7');
    expect(ran.outputs['preview-outcome']).toBe('created');
    expect(ran.outputs['preview-url']).toContain('llama-chat-pr-7');
    expect(ran.summary).toContain('llama-chat-pr-7');
    expect(ran.summary).toContain("| Created | from <code>llama-chat</code>'s configuration |");
    expect(ran.summary).not.toContain('| Fields updated | none |');
  });

  it('a later push updates the same preview through the plan and the wait: never a second one', async () => {
    const w = await world();
    await w.run({ mode: 'preview' }, pullRequest('opened', 7));
    const ran = await w.run(
      {
        mode: 'preview',
        spec: '{"configuration": {"architecture": {"workerConfig": {"enforceEager": true}}}}',
      },
      pullRequest('synchronize', 7),
    );
    expect(ran.report.outcome).toBe('running');
    expect(ran.outputs['preview-outcome']).toBe('updated');
    const creates = w.emu.requests.filter(
      (r) => r.method === 'POST' && r.path.endsWith('/llm-model-deployments'),
    );
    expect(creates).toHaveLength(1);
    expect(
      w.emu.deployment('llama-chat-pr-7').configuration.architecture?.workerConfig?.enforceEager,
    ).toBe(true);
    expect(w.emu.all().filter((d) => d.id.startsWith('llama-chat-pr-'))).toHaveLength(1);
  });

  it('a 409 on create (another run made it first) updates that one instead of failing', async () => {
    const w = await world();
    w.emu.onRequest = (r) => {
      if (
        r.method === 'POST' &&
        r.path.endsWith('/llm-model-deployments') &&
        !w.emu.all().some((d) => d.id === 'llama-chat-pr-7')
      ) {
        w.emu.add(previewOf(REPO, 7, Date.now() + 3_600_000));
      }
    };
    const ran = await w.run({ mode: 'preview' }, pullRequest('opened', 7));
    expect(ran.report.outcome).not.toBe('error');
    expect(ran.stdout).toContain('HTTP 409');
    expect(ran.outputs['preview-outcome']).toBe('updated');
  });

  it('closed deletes the preview and waits until a GET answers 404', async () => {
    const w = await world({ deleteMs: 20_000 });
    await w.run({ mode: 'preview' }, pullRequest('opened', 7));
    const ran = await w.run({ mode: 'preview' }, pullRequest('closed', 7));
    expect(ran.report.outcome).toBe('preview-deleted');
    expect(ran.code).toBe(0);
    const gets = w.emu.requests.filter(
      (r) => r.method === 'GET' && r.path.endsWith('/llama-chat-pr-7'),
    );
    expect(gets.at(-1)?.status).toBe(404);
    expect(ran.outputs['preview-outcome']).toBe('deleted');
    // A success: said as done, never as an error annotation.
    expect(ran.stdout).not.toMatch(/^::error/m);
    expect(ran.stdout).toMatch(
      /^Done in .*: Preview "llama-chat-pr-7" deleted: Northflank no longer shows it/m,
    );
  });

  it('closed with no preview (or two closes at once) is not an error', async () => {
    const w = await world();
    const ran = await w.run({ mode: 'preview' }, pullRequest('closed', 9));
    expect(ran.report.outcome).toBe('preview-deleted');
    expect(ran.outputs['preview-outcome']).toBe('already-gone');
  });

  it('a delete Northflank refuses fails the step loudly, naming what it said and what to do', async () => {
    const w = await world();
    await w.run({ mode: 'preview' }, pullRequest('opened', 7));
    w.emu.faults.push({ method: 'DELETE', kind: 'status', status: 403 });
    const ran = await w.run({ mode: 'preview' }, pullRequest('closed', 7));
    expect(ran.code).toBe(1);
    expect(ran.report.message).toContain('Could not delete preview "llama-chat-pr-7"');
    expect(ran.report.message).toContain('Project > AiModels > General > Delete');
    expect(ran.report.message).toContain('sweep');
  });

  it('refuses a deployment a person made under the preview name, and never deletes it', async () => {
    const w = await world();
    w.emu.add({ id: 'llama-chat-pr-7', name: 'llama-chat-pr-7', tags: ['llm'] });
    const ran = await w.run({ mode: 'preview' }, pullRequest('closed', 7));
    expect(ran.code).toBe(1);
    expect(ran.report.message).toContain('is not this pull request');
    expect(w.emu.requests.some((r) => r.method === 'DELETE')).toBe(false);
  });

  it('a fork gets no preview: skipped before any request', async () => {
    const w = await world();
    const ran = await w.run({ mode: 'preview' }, pullRequest('opened', 7, { fork: true }));
    expect(ran.report.outcome).toBe('skipped');
    expect(w.emu.requests).toEqual([]);
  });

  it('a token without the Create permission is named', async () => {
    const w = await world();
    w.emu.faults.push({
      method: 'POST',
      path: /\/llm-model-deployments$/,
      kind: 'status',
      status: 403,
    });
    const ran = await w.run({ mode: 'preview' }, pullRequest('opened', 7));
    expect(ran.code).toBe(1);
    expect(ran.report.message).toContain('Project > AiModels > General > Create');
  });

  it('a tag that does not exist says how to create it', async () => {
    const w = await world();
    const ran = await w.run(
      { mode: 'preview', 'preview-tag': 'pr-preview' },
      pullRequest('opened', 7),
    );
    expect(ran.code).toBe(1);
    expect(ran.report.message).toContain('create it once in Northflank');
  });

  it('cost guards: a GPU type not allowed, or too many GPUs, is refused before any create', async () => {
    const w = await world();
    const ran = await w.run(
      { mode: 'preview', 'preview-gpu-types': 'nvidia-t4' },
      pullRequest('opened', 7),
    );
    expect(ran.code).toBe(1);
    expect(ran.report.message).toContain('preview-gpu-types');
    const more = await w.run(
      { mode: 'preview', 'preview-max-gpus': '1', 'preview-gpu-count': '4' },
      pullRequest('opened', 7),
    );
    expect(more.report.message).toContain('Input "preview-gpu-count"');
    // Replicas each take their GPUs: 8 replicas of 1 GPU are 8 GPUs.
    const replicas = await w.run(
      {
        mode: 'preview',
        'preview-max-gpus': '1',
        spec: '{"configuration":{"architecture":{"workerConfig":{"replicas":8}}}}',
      },
      pullRequest('opened', 7),
    );
    expect(replicas.code).toBe(1);
    expect(replicas.report.message).toContain(
      'uses 8 GPUs (1 per replica × 8 replicas), more than preview-max-gpus (1)',
    );
    const none = await w.run(
      { mode: 'preview', 'preview-max-gpus': '0' },
      pullRequest('opened', 7),
    );
    expect(none.report.message).toContain('turn the GPU off for previews');
    expect(w.emu.requests.some((r) => r.method === 'POST')).toBe(false);
  });

  it('the GPU override applies to the preview, within the limits', async () => {
    const w = await world();
    const ran = await w.run(
      { mode: 'preview', 'preview-gpu-types': 'nvidia-t4', 'preview-gpu-type': 'nvidia-t4' },
      pullRequest('opened', 7),
    );
    expect(ran.report.outcome).toBe('running');
    expect(
      w.emu.deployment('llama-chat-pr-7').configuration.nodeConfiguration?.gpu?.configuration
        ?.gpuType,
    ).toBe('nvidia-t4');
  });

  it('the cap on previews at once is refused naming the previews that count', async () => {
    const w = await world();
    w.emu.add(previewOf(REPO, 1, Date.now() + 3_600_000));
    w.emu.add(previewOf(REPO, 2, Date.now() + 3_600_000));
    const ran = await w.run(
      { mode: 'preview', 'preview-max-count': '2' },
      pullRequest('opened', 7),
    );
    expect(ran.code).toBe(1);
    expect(ran.report.message).toContain('llama-chat-pr-1');
    expect(ran.report.message).toContain('llama-chat-pr-2');
    expect(ran.report.message).toContain('preview-max-count');
  });

  it.each([
    [
      'a push event',
      { env: { GITHUB_EVENT_NAME: 'push', GITHUB_REPOSITORY: REPO } },
      'Input "mode"',
    ],
    ['a labeled pull request', pullRequest('labeled', 7), 'Input "mode"'],
  ])('%s cannot have a preview: an error before any request', async (_name, extras, text) => {
    const w = await world();
    const ran = await w.run({ mode: 'preview' }, extras);
    expect(ran.code).toBe(1);
    expect(ran.report.message).toContain(text);
    expect(w.emu.requests).toEqual([]);
  });

  it('dry-run does not apply to a preview (it would create one): an error before any request', async () => {
    const w = await world();
    const ran = await w.run({ mode: 'preview', 'dry-run': 'true' }, pullRequest('opened', 7));
    expect(ran.report.message).toContain('Input "dry-run"');
    expect(w.emu.requests).toEqual([]);
  });

  it('a sweep with dry-run lists what it would delete and deletes nothing', async () => {
    const w = await world();
    w.emu.add(previewOf(REPO, 3, w.clock.now() - 1000));
    const ran = await w.run(
      { mode: 'sweep', 'dry-run': 'true' },
      { env: { GITHUB_EVENT_NAME: 'schedule', GITHUB_REPOSITORY: REPO } },
    );
    expect(ran.report.outcome).toBe('swept');
    expect(ran.summary).toContain('would be deleted &#40;dry run&#41;');
    expect(w.emu.requests.some((r) => r.method === 'DELETE')).toBe(false);
  });

  it('a preview name that would be too long is an error naming deployment-id', async () => {
    const w = await world();
    const ran = await w.run(
      { mode: 'preview', 'deployment-id': 'x'.repeat(96) },
      pullRequest('opened', 12345),
    );
    expect(ran.report.message).toContain('Input "deployment-id"');
    expect(w.emu.requests).toEqual([]);
  });
});

describe('preview races and ends', () => {
  it('two closes at once: both end green, one preview deleted once', async () => {
    const w = await world({ deleteMs: 10_000 });
    await w.run({ mode: 'preview' }, pullRequest('opened', 7));
    const [a, b] = await Promise.all([
      w.run({ mode: 'preview' }, pullRequest('closed', 7)),
      w.run({ mode: 'preview' }, pullRequest('closed', 7)),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(
      w.emu.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/llama-chat-pr-7')).at(-1)
        ?.status,
    ).toBe(404);
  });

  it('a delete that answers 404 (gone between the read and the delete) is not an error', async () => {
    const w = await world();
    await w.run({ mode: 'preview' }, pullRequest('opened', 7));
    w.emu.onRequest = (r) => {
      if (r.method === 'DELETE') w.emu.remove('llama-chat-pr-7');
    };
    const ran = await w.run({ mode: 'preview' }, pullRequest('closed', 7));
    expect(ran.report.outcome).toBe('preview-deleted');
  });

  it('shows deleting, then 404; a preview still deleting when timeout runs out fails, saying the sweep checks again', async () => {
    const w = await world({ deleteMs: 3_600_000 });
    await w.run({ mode: 'preview' }, pullRequest('opened', 7));
    const ran = await w.run({ mode: 'preview', timeout: '1m' }, pullRequest('closed', 7));
    expect(ran.code).toBe(1);
    expect(ran.report.message).toContain('still shows "deleting"');
    expect(ran.report.message).toContain('sweep');
  });

  it('a preview that crashes fails the step as a deploy does', async () => {
    const w = await world();
    w.emu.plan.ending = 'crashed';
    const ran = await w.run({ mode: 'preview' }, pullRequest('opened', 7));
    expect(ran.report.outcome).toBe('crashed');
    expect(ran.code).toBe(1);
    expect(ran.outputs['preview-id']).toBe('llama-chat-pr-7');
  });

  it('a preview closed and reopened while still deleting is made again once it is gone', async () => {
    const w = await world({ deleteMs: 10_000 });
    await w.run({ mode: 'preview' }, pullRequest('opened', 7));
    w.emu.deployment('llama-chat-pr-7').deletedAtMs = w.clock.now();
    const ran = await w.run({ mode: 'preview' }, pullRequest('reopened', 7));
    expect(ran.report.outcome).toBe('running');
    expect(ran.outputs['preview-outcome']).toBe('created');
  });
});

describe('the sticky pull request comment of a preview', () => {
  it('shows the plan, the preview, its URL, status and cost; then that it is gone', async () => {
    const w = await world();
    const github = closeAfter(await startFakeGitHubComments());
    const extras = (action: string): RunExtras => {
      const pr = pullRequest(action, 7);
      const env = pr.env as (ws: string) => Record<string, string>;
      return { ...pr, env: (ws) => ({ ...env(ws), GITHUB_API_URL: github.url }) };
    };
    const inputs = { mode: 'preview', 'pr-comment': 'true', 'github-token': 'gh-token' };
    await w.run(inputs, extras('opened'));
    const pushed = await w.run(
      { ...inputs, spec: '{"configuration": {"revision": "v2"}}' },
      extras('synchronize'),
    );
    expect(pushed.report.outcome).toBe('running');
    expect(github.comments).toHaveLength(1);
    const body = github.comments[0]?.body ?? '';
    expect(body).toContain('llama-chat-pr-7');
    expect(body).toContain('#### Preview');
    expect(body).toContain('https://http--llama-chat-pr-7--');
    expect(body).toContain('| Status | running |');
    expect(body).toContain('GPU-hours');
    expect(body).toContain('spec.configuration.revision');
    await w.run(inputs, extras('closed'));
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]?.body).toContain('Preview deleted');
  });
});

describe('mode: sweep', () => {
  async function sweepWorld(states: Record<number, 'open' | 'closed'>) {
    const w = await world({ pageSize: 2 });
    const github = closeAfter(await startFakeGitHubComments({ pullRequests: states }));
    return { w, github };
  }

  it("deletes only this repository's expired or closed previews; keeps open ones; never touches others", async () => {
    const { w, github } = await sweepWorld({ 1: 'closed', 2: 'open', 3: 'open' });
    const now = w.clock.now();
    w.emu.add(previewOf(REPO, 1, now + 3_600_000)); // closed: deleted
    w.emu.add(previewOf(REPO, 2, now + 3_600_000)); // open: kept
    w.emu.add(previewOf(REPO, 3, now - 1000)); // expired: deleted
    w.emu.add(previewOf('other/repo', 4, now - 1000)); // another repository's
    w.emu.add({ id: 'llama-chat-pr-5', name: 'llama-chat-pr-5', tags: ['llm'] }); // a person's, name fits
    w.emu.add({
      id: 'llama-chat-pr-6',
      name: 'llama-chat-pr-6',
      tags: ['preview'],
      description: 'made by hand',
    }); // tag, no marker
    w.emu.add({ ...previewOf(REPO, 8, now - 1000), id: 'handmade', name: 'handmade' }); // marker, wrong name
    // A person added a line after the marker (closed pull request): the marker is no longer last.
    const edited = previewOf(REPO, 1, now - 1000);
    w.emu.add({
      ...edited,
      id: 'llama-chat-pr-10',
      name: 'llama-chat-pr-10',
      description: `${String(edited.description).replace('pr=1 ', 'pr=10 ')}\nKEEP: taken over by alice`,
    });
    // A marker pasted into the middle of a person's notes.
    w.emu.add({
      id: 'llama-chat-pr-11',
      name: 'llama-chat-pr-11',
      tags: ['preview'],
      description: `my notes\n${markerLine({ of: 'llama-chat', repository: REPO, pullRequest: 11, expiresMs: now - 1000 })}\nmore notes`,
    });
    // Another production deployment's preview in this repository: its own sweep's to delete.
    w.emu.add({
      id: 'other-model-pr-12',
      name: 'other-model-pr-12',
      tags: ['preview'],
      description: previewDescription({
        of: 'other-model',
        repository: REPO,
        pullRequest: 12,
        expiresMs: now - 1000,
      }),
    });
    const ran = await w.run(
      { mode: 'sweep', 'github-token': 'gh-token' },
      {
        env: { GITHUB_EVENT_NAME: 'schedule', GITHUB_REPOSITORY: REPO, GITHUB_API_URL: github.url },
      },
    );
    expect(ran.report.outcome).toBe('swept');
    const deleted = w.emu.requests
      .filter((r) => r.method === 'DELETE')
      .map((r) => r.path.split('/').at(-1));
    expect(deleted.sort()).toEqual(['llama-chat-pr-1', 'llama-chat-pr-3']);
    for (const id of [
      'llama-chat',
      'llama-chat-pr-2',
      'llama-chat-pr-4',
      'llama-chat-pr-5',
      'llama-chat-pr-6',
      'handmade',
      'llama-chat-pr-10',
      'llama-chat-pr-11',
      'other-model-pr-12',
    ]) {
      expect(w.emu.deployment(id).deletedAtMs).toBeUndefined();
    }
    expect(ran.summary).toContain('llama-chat-pr-2');
    expect(ran.summary).toContain('is open');
    // Every page was listed.
    expect(
      w.emu.requests.filter((r) => r.method === 'GET' && r.path.includes('cursor=')).length,
    ).toBeGreaterThan(1);
  });

  it('a preview already deleting (two sweeps at once) is waited for, not an error', async () => {
    const { w, github } = await sweepWorld({ 1: 'closed' });
    const d = w.emu.add(previewOf(REPO, 1, w.clock.now() + 3_600_000));
    d.deletedAtMs = w.clock.now();
    const ran = await w.run(
      { mode: 'sweep', 'github-token': 'gh-token' },
      {
        env: { GITHUB_EVENT_NAME: 'schedule', GITHUB_REPOSITORY: REPO, GITHUB_API_URL: github.url },
      },
    );
    expect(ran.report.outcome).toBe('swept');
  });

  it('an unknown pull request state keeps the preview until it expires', async () => {
    const { w, github } = await sweepWorld({});
    w.emu.add(previewOf(REPO, 1, w.clock.now() + 3_600_000));
    const ran = await w.run(
      { mode: 'sweep', 'github-token': 'gh-token' },
      {
        env: { GITHUB_EVENT_NAME: 'schedule', GITHUB_REPOSITORY: REPO, GITHUB_API_URL: github.url },
      },
    );
    expect(ran.report.outcome).toBe('swept');
    expect(w.emu.requests.some((r) => r.method === 'DELETE')).toBe(false);
  });
});
