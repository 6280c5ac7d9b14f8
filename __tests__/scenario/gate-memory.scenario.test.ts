/**
 * A re-run cannot turn a failed gate green (issue 27): a regression left serving is noted on the
 * deployment's description, and a later run that rolls nothing out on that spec fails, naming the
 * run that judged it, until the spec changes, is reverted or is forced. In-process against the
 * emulator and its model server (whose speed follows the configuration), on a ScaledClock.
 */
import { describe, expect, it } from '@jest/globals';
import { latencyOf } from '../../emulator/latency.js';
import { startWorld, type InProcessRun } from '../helpers/harness.js';
import { noLeaks } from '../helpers/twins.js';

const FAST_PLAN = { pendingMs: 150, provisioningMs: 250, startingMs: 250 };
const BASE = { ttftMs: 20, itlMs: 10 };
const GATE =
  'requests: 6\nmax-requests: 48\nconcurrency: 2\nwarmup: 2\nmax-tokens: 8\nfail-if:\n  itl-p50: +20%';
const RUN_ENV = {
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/models',
  GITHUB_RUN_ID: '777',
};
const RUN_URL = 'https://github.com/acme/models/actions/runs/777';

const spec = (worker: Record<string, unknown>): string =>
  JSON.stringify({ configuration: { architecture: { workerConfig: worker } } });

async function regressedWorld(metadataRollouts = false): Promise<{
  deploy: (inputs: Record<string, string>, env?: Record<string, string>) => Promise<InProcessRun>;
  posts: () => Record<string, unknown>[];
  description: () => string | undefined;
  streams: () => number;
  first: InProcessRun;
}> {
  const world = await startWorld({
    time: 'scaled',
    emulator: {
      plan: FAST_PLAN,
      metadataRollouts,
      deployments: [
        {
          configuration: {
            name: 'meta-llama/Llama-3.1-8B-Instruct',
            engine: 'vllm',
            architecture: { workerConfig: { enforceEager: false } },
          },
        },
      ],
    },
    model: (emu) => ({ latency: () => latencyOf(emu.deployment().configuration, BASE) }),
    check: noLeaks,
  });
  const server = world.model!;
  const deploy = (inputs: Record<string, string>, env: Record<string, string> = {}) =>
    world.run(
      {
        'poll-interval': '200ms',
        timeout: '10m',
        'smoke-url': server.url,
        benchmark: GATE,
        ...inputs,
      },
      { env: { ...RUN_ENV, ...env } },
    );
  const posts = () =>
    world.emu.requests
      .filter((r) => r.method === 'POST')
      .map((r) => r.body as Record<string, unknown>);
  const first = await deploy({ spec: spec({ enforceEager: true }) });
  return {
    deploy,
    posts,
    description: () => world.emu.deployment().description,
    streams: () => server.streams.length,
    first,
  };
}

describe('a re-run cannot turn a failed gate green', () => {
  it('notes a regression left serving on the description, and fails a re-run with the run that judged it and how to get past it', async () => {
    const w = await regressedWorld();
    expect(w.first.outputs.outcome).toBe('regressed');
    expect(w.description()).toMatch(
      /^Chat model served by vLLM\n\n\[benchmark gate\] Exceeded itl-p50 \+20% on spec [0-9a-f]{12} \(configuration \S+\) in run https:\/\/github\.com\/acme\/models\/actions\/runs\/777 \./,
    );
    expect(w.first.stdout).toMatch(/The gate's verdict is kept on the deployment's description/);
    const postsBefore = w.posts().length;
    const streamsBefore = w.streams();
    // "Re-run job": the same inputs, a later attempt.
    const rerun = await w.deploy(
      { spec: spec({ enforceEager: true }) },
      { GITHUB_RUN_ATTEMPT: '2' },
    );
    expect(rerun.code).toBe(1);
    expect(rerun.outputs.outcome).toBe('regressed');
    expect(rerun.outputs.reason).toBe('regressed');
    expect(rerun.report.message).toMatch(
      new RegExp(
        `failed its benchmark gate in run ${RUN_URL.replace(/[./]/g, '\\$&')}, and this run changes nothing of it.*change the spec.*revert it.*force: true`,
      ),
    );
    expect(rerun.stdout).toMatch(/::error title=Failed its benchmark gate earlier::/);
    expect(w.posts()).toHaveLength(postsBefore);
    expect(w.streams()).toBe(streamsBefore);
    // A dry run (a pull request's plan) says a run would fail, and succeeds as a plan.
    const plan = await w.deploy({ spec: spec({ enforceEager: true }), 'dry-run': 'true' });
    expect(plan.outputs.outcome).toBe('dry-run');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(
      /::warning title=Failed its benchmark gate earlier::A run would fail: The spec that serves failed its benchmark gate in run /,
    );
    // A description-only change of the same spec is no way past it either, and is not sent.
    const described = await w.deploy({
      spec: spec({ enforceEager: true }),
      description: 'New words',
    });
    expect(described.outputs.outcome).toBe('regressed');
    expect(described.report.message).toMatch(/The update of description was not sent either/);
    expect(w.posts()).toHaveLength(postsBefore);
  });

  it("holds where Northflank rolls out for a description update too (the note's write restarts the same spec)", async () => {
    const w = await regressedWorld(true);
    expect(w.first.outputs.outcome).toBe('regressed');
    const rerun = await w.deploy({ spec: spec({ enforceEager: true }) });
    expect(rerun.outputs.outcome).toBe('regressed');
    expect(rerun.report.message).toMatch(/failed its benchmark gate in run /);
  });

  it('judges a changed spec afresh, and the update takes the note off', async () => {
    const w = await regressedWorld();
    const streamsBefore = w.streams();
    const changed = await w.deploy({
      spec: spec({ enforceEager: true, gpuMemoryUtilization: 0.85 }),
    });
    expect(changed.outputs.outcome).toBe('running');
    expect(w.streams()).toBeGreaterThan(streamsBefore);
    const update = w.posts().at(-1)!;
    expect(update).toMatchObject({ description: 'Chat model served by vLLM' });
    expect(w.description()).toBe('Chat model served by vLLM');
    expect(changed.stdout).toMatch(/this update changes it, so it is judged afresh/);
  });

  it('with force, passes the guard, rolls the spec out again and benchmarks it', async () => {
    const w = await regressedWorld();
    const streamsBefore = w.streams();
    const forced = await w.deploy({ spec: spec({ enforceEager: true }), force: 'true' });
    expect(forced.stdout).toMatch(/force is true, so it is rolled out again and judged afresh/);
    expect(w.streams()).toBeGreaterThan(streamsBefore);
    // The emulator does not restart for a re-sent spec (no-rollout), yet both sides are measured:
    // the same (slow) spec before and after, so the gate holds, and the note is gone.
    expect(forced.outputs.outcome).toBe('no-rollout');
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.outputs.benchmark!)).toMatchObject({
      before: { requests: expect.any(Number) },
      after: { requests: expect.any(Number) },
      limits: [{ metric: 'itl-p50', verdict: 'held' }],
    });
    expect(w.description()).toBe('Chat model served by vLLM');
    const again = await w.deploy({ spec: spec({ enforceEager: true }) });
    expect(again.outputs.outcome).toBe('unchanged');
    expect(again.code).toBe(0);
  });

  it('after a revert to the spec before, runs are fine again', async () => {
    const w = await regressedWorld();
    const reverted = await w.deploy({ spec: spec({ enforceEager: false }) });
    expect(reverted.outputs.outcome).toBe('running');
    expect(w.description()).toBe('Chat model served by vLLM');
    const again = await w.deploy({ spec: spec({ enforceEager: false }) });
    expect(again.outputs.outcome).toBe('unchanged');
    expect(again.code).toBe(0);
  });

  it('keeps no note when revert-on-failure puts the previous values back', async () => {
    const w = await regressedWorld();
    const description = w.description();
    // The world's first run did not revert; a new regression that is reverted leaves no new note.
    const reverted = await w.deploy({ spec: spec({ enforceEager: false }) });
    expect(reverted.outputs.outcome).toBe('running');
    const again = await w.deploy({
      spec: spec({ enforceEager: true }),
      'revert-on-failure': 'true',
      'revert-timeout': '20s',
    });
    expect(again.outputs.outcome).toBe('reverted');
    expect(w.description()).toBe('Chat model served by vLLM');
    expect(description).toMatch(/\[benchmark gate\]/);
  });
});
