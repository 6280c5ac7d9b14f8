/**
 * The benchmark and the step's `timeout`, in-process against the emulator and its model server.
 * The run's clock moves by its sleeps, each of which also waits a hundredth of its length for
 * real (ScaledClock), so that the model server's real streams run while the benchmark's deadline
 * is pending.
 */
import { describe, expect, it } from '@jest/globals';
import type { LatencyProfile } from '../../emulator/latency.js';
import type { ModelServerOptions } from '../../emulator/model-server.js';
import type { StoredDeployment } from '../../emulator/server.js';
import { startWorld, type InProcessRun } from '../helpers/harness.js';
import { noLeaks } from '../helpers/twins.js';

const FAST_PLAN = { pendingMs: 150, provisioningMs: 250, startingMs: 250 };
/** A spec change that starts a rollout. */
const SPEC = JSON.stringify({
  configuration: { architecture: { workerConfig: { enforceEager: true } } },
});

async function deploy(
  inputs: Record<string, string>,
  model: Partial<ModelServerOptions> = {},
  /** The latency of the configuration the deployment holds, if not a fixed one. */
  latency?: (configuration: StoredDeployment['configuration']) => LatencyProfile,
): Promise<InProcessRun & { posts: number; benchmark: Record<string, unknown> | undefined }> {
  const world = await startWorld({
    time: 'scaled',
    emulator: { plan: FAST_PLAN },
    model: (emu) => ({
      latency: latency ? () => latency(emu.deployment().configuration) : { ttftMs: 10, itlMs: 10 },
      ...model,
    }),
    check: noLeaks,
  });
  const emu = world.emu;
  const run = await world.run({
    'poll-interval': '200ms',
    'smoke-url': world.model?.url ?? '',
    spec: SPEC,
    ...inputs,
  });
  const text = run.outputs.benchmark ?? '';
  return {
    ...run,
    posts: emu.requests.filter((r) => r.method === 'POST').length,
    benchmark: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
  };
}

describe('the benchmark within timeout', () => {
  it('ends timeout with what the baseline measured when timeout runs out during it, and sends no update', async () => {
    const run = await deploy({
      timeout: '30s',
      benchmark: 'requests: 1000\nconcurrency: 2\nwarmup: 0\nmax-tokens: 4',
    });
    expect(run.outputs.outcome).toBe('timeout');
    expect(run.posts).toBe(0);
    expect(run.stdout).not.toMatch(/Sending update/);
    expect(run.report.message).toMatch(
      /"timeout" \(30s\).*ended the benchmark before the update at \d+ of 1000 measured requests; no update was sent/,
    );
    const before = run.benchmark?.before as { requests: number } | undefined;
    expect(before?.requests).toBeGreaterThan(0);
    expect(run.benchmark?.after).toBeUndefined();
    expect(run.summary).toContain('### Model benchmark');
    expect(run.summary).toContain('before the update only');
    expect(run.summary).not.toContain('and after the rollout');
  }, 20_000);

  it('ends timeout, naming timeout, when the deadline passes while waiting for the model to be listed', async () => {
    const run = await deploy(
      { timeout: '20s', benchmark: 'baseline: none\nrequests: 2\nwarmup: 0\nmax-tokens: 4' },
      { model: 'some-other-model' },
    );
    expect(run.outputs.outcome).toBe('timeout');
    expect(run.report.message).toMatch(
      /"timeout" \(20s\), which bounds the whole step, ran out while the benchmark waited/,
    );
    expect(run.report.message).not.toMatch(/smoke-timeout/);
  }, 20_000);

  it('does not revert a rollout that runs when timeout cuts the benchmark after it short and nothing that finished breaches a limit', async () => {
    const run = await deploy({
      timeout: '60s',
      'revert-on-failure': 'true',
      benchmark:
        'baseline: none\nrequests: 1000\nconcurrency: 2\nwarmup: 0\nmax-tokens: 4\nfail-if:\n  tokens-per-second: 1\n  ttft-p50: 10s\n  error-rate: 50%',
    });
    expect(run.outputs.outcome).toBe('timeout');
    expect(run.posts).toBe(1);
    expect(run.stdout).not.toMatch(/Revert/);
    expect(run.report.message).toMatch(
      /the rollout runs, and was not reverted, but the benchmark was cut short and its limits were not judged\. Raise "timeout", or lower the benchmark's requests or max-tokens\./,
    );
    expect(run.benchmark?.failed).toEqual([]);
    const after = run.benchmark?.after as { requests: number; cutOff: number };
    expect(after.requests).toBeGreaterThan(0);
    expect(after.cutOff).toBeGreaterThanOrEqual(1);
    expect(run.stdout).toMatch(
      /::notice title=Benchmark not gated::The fail-if limits are not judged: the benchmark was cut short/,
    );
    expect(run.summary).toContain('not judged (the benchmark was cut short');
    expect(run.summary).toContain(
      'the requests cut off can show that a limit was exceeded, not that it holds',
    );
  }, 20_000);

  it('fails and reverts a rollout whose finished requests already breach a limit when timeout cuts the benchmark short', async () => {
    // Before: about 20 ms a request. After the update (a smaller GPU), the model server serves
    // 20 times slower: 400 ms a request, so the step's 90 s (900 ms of real time here, as the
    // run's clock moves 100 times faster) run out with a few requests finished. The baseline is
    // held to its 16 requests (max-requests): on a busy machine its real-time latencies are noisy,
    // and measuring until it is precise would spend the step's timeout before the update.
    const run = await deploy(
      {
        spec: JSON.stringify({
          configuration: {
            nodeConfiguration: { gpu: { configuration: { gpuType: 'nvidia-t4' } } },
          },
        }),
        timeout: '90s',
        'revert-on-failure': 'true',
        'revert-timeout': '30s',
        benchmark:
          'baseline: previous\nrequests: 16\nmax-requests: 16\nconcurrency: 4\nwarmup: 0\nmax-tokens: 2\nfail-if:\n  e2e-p50: +100%\n  ttft-p90: +100%',
      },
      {},
      (configuration) =>
        configuration.nodeConfiguration?.gpu?.configuration?.gpuType === 'nvidia-t4'
          ? { ttftMs: 300, itlMs: 100 }
          : { ttftMs: 10, itlMs: 10 },
    );
    expect(run.outputs.outcome).toBe('reverted');
    expect(run.posts).toBe(2);
    expect(run.report.message).toMatch(
      /serves worse than the benchmark's fail-if limits allow: ttft-p90 rose from [\d.]+ ms to [\d.]+ ms \(\+[\d.]+%, [\d.]+% interval \+[\d.]+% to \+[\d.]+%\), above the limit \+100% .*; the step's "timeout" \(1m 30s\) cut the benchmark short at \d+ of 16 measured requests, judged with the requests cut off at their time so far \(lower bounds of their latencies\).*Reverted after the regression/,
    );
    const failed = run.benchmark?.failed as { metric: string }[];
    expect(failed.map((f) => f.metric)).toContain('ttft-p90');
    expect(run.stdout).not.toMatch(/Benchmark not gated/);
  }, 20_000);

  it('leaves the benchmark output empty with wait: false', async () => {
    const run = await deploy({
      timeout: '30s',
      wait: 'false',
      benchmark: 'requests: 2\nwarmup: 0\nmax-tokens: 4\nfail-if:\n  ttft-p50: 1ms',
    });
    expect(run.outputs.outcome).toBe('not-waited');
    expect(run.outputs.benchmark).toBe('');
    expect(run.summary).not.toContain('Model benchmark');
  }, 20_000);
});
