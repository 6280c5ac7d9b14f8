/**
 * The smoke test and the benchmark through run(), in-process, against the emulator and its model
 * server playing what real servers and gateways stream (issue 30): a reasoning model's thinking,
 * null deltas, errors inside the stream, a stream kept open by pings that stalls, one JSON
 * completion in place of a stream. The run's clock moves by its sleeps, each also taking a
 * hundredth of its length for real (ScaledClock), so the model server's real streams run while
 * the step's deadline is pending.
 */
import { describe, expect, it } from '@jest/globals';
import type { ModelServerOptions } from '../../emulator/model-server.js';
import { FAST_MODEL_LATENCY, startWorld, type InProcessRun } from '../helpers/harness.js';
import { noLeaks } from '../helpers/twins.js';

const FAST_PLAN = { pendingMs: 150, provisioningMs: 250, startingMs: 250 };
/** A spec change that starts a rollout, to Qwen3 (a reasoning model, vLLM's parser on). */
const QWEN3 = JSON.stringify({ configuration: { name: 'Qwen/Qwen3-8B' } });

interface Measured {
  requests: number;
  errors: number;
  outputTokens: number;
  reasoningTokens: number;
  answerTokens: number;
}

async function deploy(
  inputs: Record<string, string>,
  model: Partial<ModelServerOptions>,
): Promise<InProcessRun & { posts: unknown[]; before?: Measured; after?: Measured }> {
  const world = await startWorld({
    time: 'scaled',
    emulator: { plan: FAST_PLAN },
    model: { latency: FAST_MODEL_LATENCY, ...model },
    check: noLeaks,
  });
  const emu = world.emu;
  const run = await world.run({
    'poll-interval': '200ms',
    timeout: '10m',
    'smoke-url': world.model?.url ?? '',
    spec: QWEN3,
    'revert-on-failure': 'true',
    ...inputs,
  });
  const output = run.outputs.benchmark
    ? (JSON.parse(run.outputs.benchmark) as { before?: Measured; after?: Measured })
    : {};
  return {
    ...run,
    posts: emu.requests.filter((r) => r.method === 'POST').map((r) => r.body),
    ...output,
  };
}

const LOAD = 'requests: 4\nconcurrency: 2\nwarmup: 1\nmax-tokens: 16';

describe('a reasoning model', () => {
  it('whose replies are all thinking (ignore_eos, vLLM reasoning parser) serves: no smoke-failed, no revert, the split reported', async () => {
    const run = await deploy(
      { 'smoke-test': 'true', 'smoke-prompt': 'Say hello', benchmark: LOAD },
      { reasoning: { tokens: 'all', field: 'reasoning' } },
    );
    expect(run.outputs.outcome).toBe('running');
    expect(run.posts).toHaveLength(1);
    expect(run.stdout).toContain(
      "The model replied with reasoning only (its thinking took the reply's max_tokens before an answer): The user greets me.",
    );
    for (const m of [run.before, run.after]) {
      expect(m).toMatchObject({
        errors: 0,
        outputTokens: 64,
        reasoningTokens: 64,
        answerTokens: 0,
      });
    }
    expect(run.stdout).toMatch(
      /Done: 4 request\(s\) measured, 0 error\(s\);.*; of 64 output tokens, 64 reasoning and 0 answer \(64 and 0 chunks\)\./,
    );
    expect(run.summary).toContain('| Reasoning / answer tokens | 64 / 0 | 64 / 0 | | |');
  }, 20_000);

  it('that thinks, then answers: both count, the usage gives the split', async () => {
    const run = await deploy(
      { benchmark: LOAD },
      { reasoning: { tokens: 10, reportTokens: true } },
    );
    expect(run.outputs.outcome).toBe('running');
    expect(run.after).toMatchObject({ outputTokens: 64, reasoningTokens: 40, answerTokens: 24 });
  }, 20_000);
});

describe('what gateways send', () => {
  it('delta: null and choices: null in the finish and usage chunks: a healthy model serves', async () => {
    const run = await deploy({ benchmark: LOAD }, { nullDeltas: true });
    expect(run.outputs.outcome).toBe('running');
    expect(run.after).toMatchObject({ requests: 4, errors: 0, outputTokens: 64 });
    expect(run.stdout).not.toMatch(/Revert/);
  }, 20_000);
});

describe('errors inside the stream', () => {
  it.each(['event', 'object', 'field'] as const)(
    'an error (%s) then [DONE] is an error, not a success: smoke-failed with the server message, and reverted',
    async (kind) => {
      const run = await deploy(
        { benchmark: `baseline: none\n${LOAD}\nfail-if:\n  error-rate: 5%` },
        { streamError: { afterTokens: 1, kind } },
      );
      expect(run.report.outcome).toBe('reverted');
      expect(run.report.message).toMatch(
        /every benchmark request failed \(the first: the server (sent an error event|reported an error) in the stream: The engine failed while generating \(emulated\)/,
      );
      expect(run.after).toMatchObject({ requests: 4, errors: 4 });
      expect(run.posts).toHaveLength(2);
    },
    20_000,
  );
});

describe('a stream kept open by pings that stalls', () => {
  it('is an error after request-timeout without a token: the update is sent, and the message names the stall, not the load', async () => {
    const run = await deploy(
      {
        'request-timeout': '300ms',
        benchmark: 'requests: 2\nconcurrency: 2\nwarmup: 0\nmax-tokens: 16',
      },
      { stallAfterTokens: 2, pingEveryMs: 20 },
    );
    // The baseline measured the stall (both requests failed) and the update went ahead.
    expect(run.stdout).toMatch(
      /::warning title=Baseline failed::Every request of the benchmark before the update failed \(the first: the stream stalled: no token for 300ms \(request-timeout\) after 2 token\(s\), kept alive by comments or empty chunks\)/,
    );
    expect(run.posts).toHaveLength(2);
    expect(run.report.outcome).toBe('reverted');
    expect(run.report.message).toMatch(
      /every benchmark request failed \(the first: the stream stalled: no token for 300ms/,
    );
    expect(run.report.message).not.toMatch(/lower the benchmark's requests|Raise "timeout"/);
  }, 20_000);

  it("that runs out of the step's timeout during the baseline says the requests stalled, not that the load was too big", async () => {
    // 60 s of the run's clock are 600 ms here: two rounds of stalled requests (200 ms each) end,
    // the third is cut off.
    const run = await deploy(
      {
        timeout: '60s',
        'request-timeout': '200ms',
        benchmark: 'requests: 20\nconcurrency: 2\nwarmup: 0\nmax-tokens: 16',
      },
      { stallAfterTokens: 1, pingEveryMs: 20 },
    );
    expect(run.report.outcome).toBe('timeout');
    expect(run.posts).toHaveLength(0);
    expect(run.report.message).toMatch(
      /ended the benchmark before the update at \d+ of 20 measured requests; no update was sent\. \d+ of the \d+ measured request\(s\) that finished failed \(the first: the stream stalled: no token for 200ms \(request-timeout\) after 1 token\(s\).*\): check the model server and the endpoint before raising "timeout"\./,
    );
    expect(run.report.message).not.toMatch(/lower the benchmark's requests/);
  }, 20_000);

  it('with no token at all: no first token within request-timeout, though the stream stayed open', async () => {
    const run = await deploy(
      { 'request-timeout': '300ms', benchmark: 'baseline: none\nrequests: 2\nwarmup: 0' },
      { stallAfterTokens: 0, pingEveryMs: 20 },
    );
    expect(run.report.outcome).toBe('reverted');
    expect(run.report.message).toContain(
      'the first: no first token within 300ms (request-timeout): the stream stayed open, kept alive by comments or empty chunks, without a token',
    );
  }, 20_000);
});

describe('an endpoint that does not stream', () => {
  it('answering one JSON completion (a buffering proxy): smoke-failed saying the endpoint does not stream, with what to try', async () => {
    const run = await deploy(
      { 'smoke-test': 'true', 'smoke-prompt': 'Say hello', benchmark: `baseline: none\n${LOAD}` },
      { notStreaming: true },
    );
    // The smoke prompt is not streamed: it passes. The benchmark's streams are not streams.
    expect(run.stdout).toContain('The model replied: Hello from the emulator!');
    expect(run.report.outcome).toBe('reverted');
    expect(run.report.message).toMatch(
      /every benchmark request failed \(the first: the endpoint does not stream: it answered one whole chat completion \(application\/json\) instead of an event stream.*proxy_buffering off/,
    );
    expect(run.report.message).not.toMatch(/without any content/);
  }, 20_000);
});
