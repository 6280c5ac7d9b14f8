/**
 * The benchmark through the bundled action, against the emulator and its model server, whose
 * speed follows the emulated deployment's configuration: before and after through
 * the bundle's wiring (inputs, groups, outputs, summary) and a cancel by SIGINT; the gate's cases
 * run in-process in __tests__/scenario/benchmark.scenario.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { latencyOf } from '../../emulator/latency.js';
import type { ModelServer, ModelServerOptions } from '../../emulator/model-server.js';
import { emulatorInputs, type Emulator, type EmulatorOptions } from '../../emulator/server.js';
import type { ActionRun } from '../helpers/action.js';
import { runBundle, startWorld, type RunExtras } from '../helpers/harness.js';
import { noLeaks } from '../helpers/twins.js';

const FAST_PLAN = { pendingMs: 150, provisioningMs: 250, startingMs: 250 };
const BASE = { ttftMs: 20, itlMs: 10 };
const LOAD = 'requests: 6\nmax-requests: 6\nconcurrency: 2\nwarmup: 2\nmax-tokens: 8';

/** A spec change that starts a rollout, with these worker settings. */
const spec = (worker: Record<string, unknown>): string =>
  JSON.stringify({ configuration: { architecture: { workerConfig: worker } } });

async function setup(
  options: EmulatorOptions = {},
  model: Partial<ModelServerOptions> = {},
): Promise<{ emu: Emulator; server: ModelServer }> {
  const world = await startWorld({
    runner: 'bundle',
    emulator: { plan: FAST_PLAN, ...options },
    model: (emu) => ({ latency: () => latencyOf(emu.deployment().configuration, BASE), ...model }),
  });
  return { emu: world.emu, server: world.model! };
}

interface Measured {
  requests: number;
  errors: number;
  ttftMs: { p50: number };
  itlMs: { p50: number };
}
interface BenchmarkOutput {
  before?: Measured;
  after?: Measured;
  failed: { metric: string; before?: number; after: number; limit: string }[];
}

async function deploy(
  emu: Emulator,
  server: ModelServer,
  inputs: Record<string, string>,
  onSpawn?: RunExtras['onSpawn'],
): Promise<ActionRun & { benchmark: BenchmarkOutput | undefined }> {
  const run = await runBundle({
    inputs: {
      ...emulatorInputs(emu),
      'poll-interval': '200ms',
      timeout: '30s',
      'smoke-url': server.url,
      ...inputs,
    },
    ...(onSpawn ? { onSpawn } : {}),
  });
  noLeaks(run, emu.token);
  const text = run.outputs.benchmark ?? '';
  return { ...run, benchmark: text ? (JSON.parse(text) as BenchmarkOutput) : undefined };
}

const phaseLines = (stdout: string): string[] =>
  stdout.split('\n').filter((l) => /^(Warm-up:|Measuring:|Done:|Stopped )/.test(l));

describe('benchmark', () => {
  it('measures before the update and after the rollout, with the same load, and reports both', async () => {
    const { emu, server } = await setup();
    const run = await deploy(emu, server, {
      spec: spec({ parallelismConfig: { tensorParallelism: 2 } }),
      benchmark: `${LOAD}\nfail-if:\n  itl-p50: +20%\n  tokens-per-second: -15%\n  error-rate: 5%`,
    });
    expect(run.code).toBe(0);
    expect(run.outputs.outcome).toBe('running');
    const { before, after, failed } = run.benchmark!;
    expect(failed).toEqual([]);
    for (const m of [before, after]) {
      expect(m).toMatchObject({
        requests: 6,
        errors: 0,
        outputTokens: 48,
        tokensFrom: 'usage',
        ttftMs: { p50: expect.any(Number), p90: expect.any(Number), p99: expect.any(Number) },
        itlMs: { p50: expect.any(Number), p90: expect.any(Number), p99: expect.any(Number) },
        e2eMs: { p50: expect.any(Number), p90: expect.any(Number), p99: expect.any(Number) },
        tokensPerSecond: expect.any(Number),
      });
    }
    // Tensor parallelism 2 serves tokens 1.6× faster in the emulator: measured, not assumed.
    expect(before!.itlMs.p50).toBeGreaterThan(9);
    expect(after!.itlMs.p50).toBeLessThan(before!.itlMs.p50 * 0.85);
    // The baseline was measured before the update was sent: 2 + 6 streams, then the POST.
    const post = emu.requests.find((r) => r.method === 'POST')!;
    expect(server.streams).toHaveLength(16);
    expect(server.streams[7]!.profile.itlMs).toBe(10);
    expect(server.streams[8]!.profile.itlMs).toBe(6.25);
    expect(performance.timeOrigin + server.streams[7]!.receivedMs).toBeLessThan(post.atMs);
    expect(performance.timeOrigin + server.streams[8]!.receivedMs).toBeGreaterThan(post.atMs);
    expect(phaseLines(run.stdout)).toEqual([
      'Warm-up: 2 request(s) at concurrency 2, max_tokens 8, not counted.',
      'Measuring: 6 request(s) at concurrency 2, max_tokens 8.',
      expect.stringMatching(/^Done: 6 request\(s\) measured, 0 error\(s\)/),
      'Warm-up: 2 request(s) at concurrency 2, max_tokens 8, not counted.',
      'Measuring: 6 request(s) at concurrency 2, max_tokens 8.',
      expect.stringMatching(/^Done: 6 request\(s\) measured, 0 error\(s\)/),
    ]);
    const groups = run.stdout.split('\n').filter((l) => l.startsWith('::group::'));
    expect(groups).toEqual([
      '::group::Inputs',
      '::group::Plan',
      '::group::Benchmark before the update',
      '::group::Update',
      '::group::Waiting for the rollout',
      '::group::Benchmark after the rollout',
    ]);
    expect(run.summary).toContain('### Model benchmark');
    expect(run.summary).toContain('| Metric | Before | After | Change (95% interval) | fail-if |');
    expect(run.summary).toMatch(
      /\| ITL p50 \| [\d.]+ ms \| [\d.]+ ms \| -[\d.]+% better \(-[\d.]+% to -[\d.]+%\) \| ✅ \+20% held \|/,
    );
    expect(run.stdout).toMatch(
      /^itl-p50: [\d.]+ ms → [\d.]+ ms \(-[\d.]+%, 95% interval -[\d.]+% to -[\d.]+%\)$/m,
    );
    const output = JSON.parse(run.outputs.benchmark ?? '{}') as Record<string, unknown>;
    expect(output.limits).toEqual([
      expect.objectContaining({ metric: 'itl-p50', verdict: 'held', of: 'change' }),
      expect.objectContaining({ metric: 'tokens-per-second', verdict: 'held', of: 'change' }),
      expect.objectContaining({ metric: 'error-rate', verdict: expect.any(String), of: 'value' }),
    ]);
    expect(output.gate).toEqual({ confidence: 0.95, looks: [6], lookConfidence: 0.95 });
    expect(run.outputs.reason).toBe('');
    expect(run.summary).toMatch(/\| TTFT p50 \| <code>█+░*<\/code> [\d.]+ ms \|/);
    expect(run.summary).toContain('p99 is close to the slowest request');
  });

  it('stops at once on SIGINT and reports what it measured', async () => {
    const { emu, server } = await setup({}, { latency: { ttftMs: 20, itlMs: 25 } });
    let signalledAt = 0;
    let exitedAt = 0;
    const run = await deploy(
      emu,
      server,
      {
        spec: spec({ enforceEager: true }),
        benchmark: 'baseline: none\nrequests: 200\nconcurrency: 2\nwarmup: 0\nmax-tokens: 8',
      },
      (child) => {
        child.on('exit', () => (exitedAt = performance.now()));
        const poll = setInterval(() => {
          if (server.streams.filter((s) => s.tokens === 8).length >= 4) {
            clearInterval(poll);
            signalledAt = performance.now();
            child.kill('SIGINT');
          }
        }, 20);
      },
    );
    expect(exitedAt - signalledAt).toBeLessThan(1500);
    expect(run.outputs.outcome).toBe('cancelled');
    const after = run.benchmark!.after!;
    expect(after.requests).toBeGreaterThanOrEqual(3);
    expect(after.requests).toBeLessThan(200);
    expect(after.errors).toBe(0);
    // Like a timeout, it says how many requests the stop cut off.
    expect(phaseLines(run.stdout).at(-1)).toMatch(
      /^Stopped \(cancelled\): \d+ request\(s\) measured, 0 error\(s\), [12] cut off/,
    );
    expect(run.summary).toContain('was cut short (cancelled)');
    expect(run.stdout).toContain('The new rollout runs: the cancel stopped the benchmark after it');
  });
});
