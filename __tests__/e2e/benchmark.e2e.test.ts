/**
 * The benchmark through the bundled action, against the emulator and its model server, whose
 * speed follows the emulated deployment's configuration: before and after, a regression and its
 * revert, no baseline, a refused ignore_eos, broken streams, cancellation and the timeout.
 * Latencies are a few milliseconds and the load small, so each run takes about a second or two.
 */
import { describe, expect, it } from '@jest/globals';
import { latencyOf } from '../../emulator/latency.js';
import type { ModelServer, ModelServerOptions } from '../../emulator/model-server.js';
import { emulatorInputs, type Emulator, type EmulatorOptions } from '../../emulator/server.js';
import type { ActionRun } from '../helpers/action.js';
import { runBundle, startWorld, type RunExtras } from '../helpers/harness.js';
import { noLeaks } from '../helpers/twins.js';

const FAST_PLAN = { pendingMs: 150, provisioningMs: 250, startingMs: 250 };
const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
const BASE = { ttftMs: 20, itlMs: 10 };
const LOAD = 'requests: 6\nconcurrency: 2\nwarmup: 2\nmax-tokens: 8';

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
    expect(run.summary).toContain('| Metric | Before | After | Change | fail-if |');
    expect(run.summary).toMatch(
      /\| ITL p50 \| [\d.]+ ms \| [\d.]+ ms \| -[\d.]+% better \| ✅ \+20% held \|/,
    );
    expect(run.summary).toMatch(/\| TTFT p50 \| <code>█+░*<\/code> [\d.]+ ms \|/);
    expect(run.summary).toContain('p99 is close to the slowest request');
  });

  it('fails as regressed when a limit is breached, naming the metric, both values and the limit', async () => {
    const { emu, server } = await setup();
    const run = await deploy(emu, server, {
      spec: spec({ enforceEager: true }),
      benchmark: `${LOAD}\nfail-if:\n  itl-p50: +20%\n  ttft-p50: +300%`,
    });
    expect(run.code).toBe(1);
    expect(run.outputs.outcome).toBe('regressed');
    const { failed } = run.benchmark!;
    expect(failed).toEqual([
      { metric: 'itl-p50', before: expect.any(Number), after: expect.any(Number), limit: '+20%' },
    ]);
    expect(failed[0]!.after / failed[0]!.before!).toBeGreaterThan(1.4);
    expect(run.stdout).toMatch(
      /^::error title=Serving regressed::The new rollout serves worse than the benchmark's fail-if limits allow: itl-p50 rose from [\d.]+ ms to [\d.]+ ms \(\+[\d.]+%25\), above the limit \+20%25 \([\d.]+ ms\)\..*The update carried: spec\.configuration\.architecture/m,
    );
    expect(run.summary).toMatch(/\| ITL p50 \| .* worse \| ❌ \+20% breached \|/);
    expect(run.summary).toMatch(/\| TTFT p50 \| .* \| ✅ \+300% held \|/);
    // No revert without revert-on-failure: one update only.
    expect(emu.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('with revert-on-failure, reverts a regression like a crash, and says the revert followed it', async () => {
    // A setting the previous spec had can be sent back; one it lacked could not be removed.
    const { emu, server } = await setup({
      deployments: [
        {
          configuration: {
            name: MODEL,
            engine: 'vllm',
            architecture: { workerConfig: { enforceEager: false } },
          },
        },
      ],
    });
    const run = await deploy(emu, server, {
      spec: spec({ enforceEager: true }),
      benchmark: `${LOAD}\nfail-if:\n  itl-p50: +20%`,
      'revert-on-failure': 'true',
      'revert-timeout': '20s',
    });
    expect(run.code).toBe(1);
    expect(run.outputs.outcome).toBe('reverted');
    expect(run.benchmark!.failed.map((f) => f.metric)).toEqual(['itl-p50']);
    expect(run.stdout).toMatch(
      /itl-p50 rose from .* Reverted after the regression: the previous values of spec were sent back/,
    );
    const posts = emu.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(posts[1]!.body).toMatchObject({
      spec: { configuration: { architecture: { workerConfig: { enforceEager: false } } } },
    });
  });

  it('without a baseline (the update changes nothing that serves), measures after only and judges only absolute limits', async () => {
    const { emu, server } = await setup();
    const run = await deploy(emu, server, {
      description: 'a new description',
      // Confirmed in 1 s that no rollout follows (the bundle runs on the machine's time).
      'rollout-start-grace': '1s',
      benchmark: `${LOAD}\nfail-if:\n  ttft-p50: +1%\n  itl-p50: 1ms`,
    });
    expect(run.outputs.outcome).toBe('regressed');
    expect(run.benchmark!.before).toBeUndefined();
    expect(run.benchmark!.failed).toEqual([
      { metric: 'itl-p50', after: expect.any(Number), limit: '1ms' },
    ]);
    expect(run.stdout).toMatch(
      /^::notice title=Benchmark without a baseline::The benchmark measures after the update \(no rollout followed\) only: the update changes nothing of the configuration that serves .* Relative fail-if limits \(\+N%25, -N%25\) are not judged\./m,
    );
    expect(run.stdout).toMatch(/itl-p50 is [\d.]+ ms, above the limit 1ms/);
    expect(run.summary).toMatch(
      /\| TTFT p50 \| - \| [\d.]+ ms \| {2}\| ➖ \+1% not judged \(a relative limit needs a baseline, and the update changes nothing of the configuration that serves/,
    );
    expect(server.streams).toHaveLength(8);
  });

  it('sends requests again without ignore_eos when the server refuses it, with a notice', async () => {
    const { emu, server } = await setup({}, { refuseIgnoreEos: true, eosAfterTokens: 5 });
    const run = await deploy(emu, server, { benchmark: LOAD });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^::notice title=Benchmark without ignore_eos::The model server refused "ignore_eos" \(HTTP 400: Unrecognized request argument supplied: ignore_eos\)/m,
    );
    expect(run.stdout.match(/::notice title=Benchmark without ignore_eos/g)).toHaveLength(1);
    expect(run.benchmark!.after).toMatchObject({ errors: 0, outputTokens: 30 });
    expect(run.summary).toContain('without ignore_eos');
  });

  it('counts broken streams and error answers as errors, and gates on the error rate', async () => {
    const { emu, server } = await setup({}, { failEvery: 4 });
    const run = await deploy(emu, server, {
      benchmark: `${LOAD}\nfail-if:\n  error-rate: 10%`,
    });
    expect(run.outputs.outcome).toBe('regressed');
    expect(run.benchmark!.failed).toEqual([
      { metric: 'error-rate', after: expect.any(Number), limit: '10%' },
    ]);
    expect(run.benchmark!.after).toMatchObject({ requests: 6 });
    const broken = await setup({}, { breakAfterTokens: 3 });
    const all = await deploy(broken.emu, broken.server, { benchmark: LOAD });
    expect(all.outputs.outcome).toBe('smoke-failed');
    expect(all.stdout).toMatch(
      /every benchmark request failed \(the first: the stream broke off after 3 token chunk/,
    );
  });

  it('is an input error before any request for a limit that cannot hold', async () => {
    const { emu, server } = await setup();
    const run = await deploy(emu, server, { benchmark: 'fail-if:\n  tokens-per-second: +10%' });
    expect(run.outputs.outcome).toBe('error');
    expect(run.stdout).toMatch(
      /^::error title=Invalid input::Input "benchmark" is invalid at fail-if\.tokens-per-second: tokens-per-second takes a drop relative to the baseline \(-N%25\).* \(got "\+10%25"\)/m,
    );
    expect(emu.requests).toEqual([]);
    expect(server.requests).toEqual([]);
  });

  it('stops at once on SIGINT and reports what it measured', async () => {
    const { emu, server } = await setup({}, { latency: { ttftMs: 20, itlMs: 25 } });
    let signalledAt = 0;
    let exitedAt = 0;
    const run = await deploy(
      emu,
      server,
      { benchmark: 'requests: 200\nconcurrency: 2\nwarmup: 0\nmax-tokens: 8' },
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
    expect(phaseLines(run.stdout).at(-1)).toMatch(/^Stopped \(cancelled\)/);
    expect(run.summary).toContain('was cut short (cancelled)');
  });

  it('is bounded by timeout, counted from the step start', async () => {
    const { emu, server } = await setup({}, { latency: { ttftMs: 20, itlMs: 25 } });
    const run = await deploy(emu, server, {
      timeout: '3s',
      benchmark: 'requests: 500\nconcurrency: 2\nwarmup: 0\nmax-tokens: 8',
    });
    expect(run.durationMs).toBeLessThan(6000);
    expect(run.outputs.outcome).toBe('timeout');
    expect(run.stdout).toMatch(
      /"timeout" \(3s\), which bounds the whole step, ended the benchmark after the rollout at \d+ of 500 measured requests/,
    );
    expect(run.benchmark!.after!.requests).toBeGreaterThan(0);
  });
});
