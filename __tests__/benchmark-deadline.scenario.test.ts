/**
 * The benchmark and the step's `timeout`, in-process against the emulator and its model server.
 * The run's clock moves by its sleeps, each of which also waits a hundredth of its length for
 * real, so that the model server's real streams run while the benchmark's deadline is pending.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { startModelServer, type ModelServerOptions } from '../emulator/model-server.js';
import { emulatorInputs, startEmulator } from '../emulator/server.js';
import { leaks } from './helpers/action.js';
import { FakeClock } from './helpers/fake-clock.js';
import { runInProcess, type InProcessRun } from './helpers/in-process.js';

const FAST_PLAN = { pendingMs: 150, provisioningMs: 250, startingMs: 250 };
/** A spec change that starts a rollout. */
const SPEC = JSON.stringify({
  configuration: { architecture: { workerConfig: { enforceEager: true } } },
});
const REAL_SHARE = 0.01;

/** A fake clock whose sleeps also take REAL_SHARE of their length in real time. */
class ScaledClock extends FakeClock {
  override async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms * REAL_SHARE);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      });
    });
    await super.sleep(ms, signal);
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function deploy(
  inputs: Record<string, string>,
  model: Partial<ModelServerOptions> = {},
): Promise<InProcessRun & { posts: number; benchmark: Record<string, unknown> | undefined }> {
  const clock = new ScaledClock(Date.now());
  const emu = await startEmulator({ now: () => clock.now(), plan: FAST_PLAN });
  const server = await startModelServer({
    model: () => emu.deployment().configuration.name ?? '',
    latency: { ttftMs: 10, itlMs: 10 },
    ...model,
  });
  cleanups.push(
    () => server.close(),
    () => emu.close(),
  );
  const run = await runInProcess({
    clock,
    inputs: {
      ...emulatorInputs(emu),
      'poll-interval': '200ms',
      'smoke-url': server.url,
      spec: SPEC,
      ...inputs,
    },
  });
  expect(leaks(run, emu.token)).toEqual([]);
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

  it('does not revert a rollout that runs when timeout cuts the benchmark after it short, and gates nothing', async () => {
    const run = await deploy({
      timeout: '60s',
      'revert-on-failure': 'true',
      benchmark:
        'baseline: none\nrequests: 1000\nconcurrency: 2\nwarmup: 0\nmax-tokens: 4\nfail-if:\n  tokens-per-second: 100000',
    });
    expect(run.outputs.outcome).toBe('timeout');
    expect(run.posts).toBe(1);
    expect(run.stdout).not.toMatch(/Revert/);
    expect(run.report.message).toMatch(
      /the rollout runs, and was not reverted, but the benchmark was cut short/,
    );
    expect(run.benchmark?.failed).toEqual([]);
    expect((run.benchmark?.after as { requests: number }).requests).toBeGreaterThan(0);
    expect(run.stdout).toMatch(
      /::notice title=Benchmark not gated::The fail-if limits are not judged: the benchmark was cut short/,
    );
    expect(run.summary).toContain('not judged (the benchmark was cut short');
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
