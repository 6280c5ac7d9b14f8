/**
 * The benchmark runner against the emulator's real model server on 127.0.0.1: what it measures
 * against what the server injected, and how it handles refusals, broken streams, cancellation and
 * the deadline. Short latencies and few requests keep each test well under a second or two.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  startModelServer,
  type ModelServer,
  type ModelServerOptions,
} from '../../emulator/model-server.js';
import { systemClock } from '../../src/clock.js';
import { createDispatcher } from '../../src/http/request.js';
import {
  parseBenchmarkSettings,
  type BenchmarkSettings,
} from '../../src/model/benchmark-settings.js';
import { runBenchmark, type BenchmarkRun } from '../../src/model/benchmark.js';
import { streamChatCompletion } from '../../src/model/stream-request.js';
import { recordingLogger } from '../helpers/recording-logger.js';

const MODEL = 'Qwen/Qwen3-8B';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function server(options: Partial<ModelServerOptions> = {}): Promise<ModelServer> {
  const s = await startModelServer({ model: MODEL, latency: { ttftMs: 40, itlMs: 5 }, ...options });
  cleanups.push(() => s.close());
  return s;
}

function settings(over: Record<string, unknown> = {}): BenchmarkSettings {
  const s = parseBenchmarkSettings({
    requests: 8,
    concurrency: 4,
    warmup: 2,
    'max-tokens': 10,
    ...over,
  });
  if (!s) throw new Error('no settings');
  return s;
}

async function bench(
  model: ModelServer,
  s: BenchmarkSettings,
  extra: {
    signal?: AbortSignal;
    deadlineMs?: number;
    ignoreEos?: { send: boolean };
    requestTimeoutMs?: number;
  } = {},
): Promise<BenchmarkRun & { lines: string[] }> {
  const { log, lines } = recordingLogger();
  const requestTimeoutMs = extra.requestTimeoutMs ?? 5000;
  const dispatcher = createDispatcher(requestTimeoutMs);
  try {
    const run = await runBenchmark({
      base: model.url,
      model: MODEL,
      apiKey: model.options.apiKey,
      settings: s,
      dispatcher,
      requestTimeoutMs,
      deadlineMs: extra.deadlineMs ?? Date.now() + 30_000,
      clock: systemClock,
      now: () => performance.now(),
      signal: extra.signal ?? new AbortController().signal,
      log,
      ignoreEos: extra.ignoreEos ?? { send: true },
    });
    return { ...run, lines };
  } finally {
    await dispatcher.destroy();
  }
}

describe('runBenchmark', () => {
  it('measures what the server injected, after a warm-up it does not count', async () => {
    const model = await server({ apiKey: 'sk-bench' });
    const run = await bench(model, settings());
    const m = run.measurement;
    expect(m).toMatchObject({ requests: 8, errors: 0, outputTokens: 80, tokensFrom: 'usage' });
    expect(run.stopped).toBeUndefined();
    expect(run.warmup).toEqual({ requests: 2, errors: 0 });
    expect(model.streams).toHaveLength(10);
    // TTFT excludes the role chunk, which the server sends at once. The upper bounds leave room
    // for a loaded 2-core machine; `npm run bench` measures the accuracy itself.
    expect(m.ttftMs.p50).toBeGreaterThanOrEqual(40);
    expect(m.ttftMs.p50).toBeLessThan(200);
    expect(m.itlMs.p50).toBeGreaterThanOrEqual(4.5);
    expect(m.itlMs.p50).toBeLessThan(15);
    expect(m.e2eMs.p50).toBeGreaterThanOrEqual(85);
    // Every request asked for a stream with usage, greedy, with ignore_eos, and the key.
    const body = model.requests.find((r) => r.method === 'POST')?.body;
    expect(body).toMatchObject({
      model: MODEL,
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0,
      ignore_eos: true,
      max_tokens: 10,
    });
    expect(model.requests.every((r) => r.authorization === 'Bearer sk-bench')).toBe(true);
    expect(run.lines.filter((l) => /^(Warm-up|Measuring|Done)/.test(l))).toEqual([
      'Warm-up: 2 request(s) at concurrency 2, max_tokens 10, not counted.',
      'Measuring: 8 request(s) at concurrency 4, max_tokens 10.',
      expect.stringMatching(
        /^Done: 8 request\(s\) measured, 0 error\(s\); TTFT p50 \d+\.\d ms, ITL p50 \d+\.\d ms, \d+\.\d tokens\/s\.$/,
      ),
    ]);
  });

  it('keeps the concurrency it was given', async () => {
    const model = await server();
    await bench(model, settings({ warmup: 0, requests: 12, concurrency: 3 }));
    const inFlight = model.streams.map(
      (s) =>
        model.streams.filter(
          (o) => o.receivedMs <= s.receivedMs && (o.lastTokenMs ?? 0) > s.receivedMs,
        ).length,
    );
    expect(Math.max(...inFlight)).toBe(3);
  });

  it('sends a request refused for ignore_eos once more without it, with one notice, and not again', async () => {
    const model = await server({ refuseIgnoreEos: true, eosAfterTokens: 6 });
    const eos = { send: true };
    const run = await bench(model, settings({ warmup: 0, concurrency: 1, requests: 3 }), {
      ignoreEos: eos,
    });
    expect(run.measurement).toMatchObject({ requests: 3, errors: 0, outputTokens: 18 });
    const posts = model.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => (r.body as { ignore_eos?: boolean }).ignore_eos)).toEqual([
      true,
      undefined,
      undefined,
      undefined,
    ]);
    expect(run.lines.filter((l) => l.startsWith('notice:'))).toEqual([
      expect.stringMatching(
        /^notice: \[Benchmark without ignore_eos\] The model server refused "ignore_eos" \(HTTP 400: Unrecognized request argument supplied: ignore_eos\)/,
      ),
    ]);
    expect(eos.send).toBe(false);
  });

  it('counts a stream that breaks off, and an error answer, as errors', async () => {
    const broken = await server({ breakAfterTokens: 3 });
    const run = await bench(broken, settings({ warmup: 0, requests: 4 }));
    expect(run.measurement).toMatchObject({ requests: 4, errors: 4, outputTokens: 0 });
    expect(run.measurement.ttftMs.p50).toBeNull();
    expect(run.firstError).toMatch(/broke off after 3 token chunk/);
    const flaky = await server({ failEvery: 4 });
    const some = await bench(flaky, settings({ warmup: 0, requests: 8, concurrency: 2 }));
    expect(some.measurement).toMatchObject({ requests: 8, errors: 2 });
    expect(some.firstError).toBe('HTTP 500: CUDA out of memory');
  });

  it('counts content chunks when there is no usage chunk, and reads CRLF streams with pings and no [DONE]', async () => {
    const model = await server({ noUsage: true, noDone: true, lineEnding: '\r\n', ping: true });
    const run = await bench(model, settings({ warmup: 0, requests: 4 }));
    expect(run.measurement).toMatchObject({ errors: 0, outputTokens: 40, tokensFrom: 'chunks' });
  });

  it('sees requests wait for a slot when the server batches fewer sequences than the concurrency', async () => {
    const free = await bench(await server(), settings({ warmup: 0 }));
    const queued = await bench(
      await server({ latency: { ttftMs: 40, itlMs: 5, maxNumSeqs: 1 } }),
      settings({ warmup: 0 }),
    );
    expect(queued.measurement.ttftMs.p50!).toBeGreaterThan(2 * free.measurement.ttftMs.p50!);
    expect(queued.measurement.tokensPerSecond).toBeLessThan(free.measurement.tokensPerSecond / 2);
  });

  it('stops at once when cancelled and reports what it measured', async () => {
    const model = await server({ latency: { ttftMs: 20, itlMs: 20 } });
    const cancel = new AbortController();
    const started = Date.now();
    setTimeout(() => {
      cancel.abort(new Error('SIGINT'));
    }, 600);
    const run = await bench(
      model,
      settings({ warmup: 0, requests: 100, concurrency: 2, 'max-tokens': 10 }),
      {
        signal: cancel.signal,
      },
    );
    expect(Date.now() - started).toBeLessThan(900);
    expect(run.stopped).toBe('cancelled');
    // About 250 ms per request, 2 at a time: a few finished, none of those cut short counted.
    expect(run.measurement.requests).toBeGreaterThanOrEqual(2);
    expect(run.measurement.requests).toBeLessThan(10);
    expect(run.measurement.errors).toBe(0);
    expect(run.lines.at(-1)).toMatch(/^Stopped \(cancelled\): \d request\(s\) measured/);
  });

  it('stops at the deadline', async () => {
    const model = await server({ latency: { ttftMs: 20, itlMs: 20 } });
    const run = await bench(model, settings({ warmup: 0, requests: 100, concurrency: 2 }), {
      deadlineMs: Date.now() + 500,
    });
    expect(run.stopped).toBe('deadline');
    expect(run.measurement.requests).toBeLessThan(10);
    expect(run.lines.at(-1)).toMatch(/^Stopped \(the step's timeout\)/);
  });
});

describe('the benchmark: what it says, and streams left open', () => {
  it('says the concurrency each phase reaches, not more than its requests', async () => {
    const model = await server();
    const run = await bench(model, settings({ warmup: 1, requests: 2 }));
    expect(run.lines).toContain(
      'Warm-up: 1 request(s) at concurrency 1, max_tokens 10, not counted.',
    );
    expect(run.lines).toContain('Measuring: 2 request(s) at concurrency 2, max_tokens 10.');
  });

  it('stops reading at [DONE], or after the finish and usage chunks, when the server keeps the connection open', async () => {
    for (const ending of ['[DONE]', 'usage']) {
      const sockets = new Set<Socket>();
      const open = createServer((req, res) => {
        if (req.url === '/v1/models') {
          res.end(JSON.stringify({ object: 'list', data: [{ id: MODEL }] }));
          return;
        }
        res.setHeader('content-type', 'text/event-stream');
        const chunk = (o: unknown): string => `data: ${JSON.stringify(o)}\n\n`;
        for (let i = 0; i < 4; i++) res.write(chunk({ choices: [{ delta: { content: 'a' } }] }));
        res.write(chunk({ choices: [{ delta: {}, finish_reason: 'length' }] }));
        res.write(chunk({ choices: [], usage: { completion_tokens: 4 } }));
        if (ending === '[DONE]') res.write('data: [DONE]\n\n');
        // and never ends the response
      });
      open.on('connection', (s) => sockets.add(s));
      await new Promise<void>((resolve) => open.listen(0, '127.0.0.1', resolve));
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            for (const s of sockets) s.destroy();
            open.close(() => {
              resolve();
            });
          }),
      );
      const dispatcher = createDispatcher(1000);
      const startedMs = performance.now();
      const record = await streamChatCompletion({
        dispatcher,
        base: `http://127.0.0.1:${(open.address() as AddressInfo).port}`,
        apiKey: undefined,
        model: MODEL,
        prompt: 'Hi',
        maxTokens: 4,
        ignoreEos: true,
        requestTimeoutMs: 1000,
        signal: new AbortController().signal,
        now: () => performance.now(),
      });
      await dispatcher.destroy();
      expect({ ending, error: record.error, usage: record.usageTokens }).toEqual({
        ending,
        error: undefined,
        usage: 4,
      });
      expect(performance.now() - startedMs).toBeLessThan(900);
    }
  });
});

describe('the benchmark on what real servers and gateways stream', () => {
  it("times a reasoning model's thinking as tokens: TTFT at the first thought, ITL over every token, and the split", async () => {
    // 6 of 10 tokens are thinking (vLLM before 0.10: reasoning_content), the usage says so.
    const model = await server({
      latency: { ttftMs: 40, itlMs: 20 },
      reasoning: { tokens: 6, reportTokens: true },
    });
    const run = await bench(model, settings({ warmup: 0, requests: 4 }));
    const m = run.measurement;
    expect(m).toMatchObject({
      requests: 4,
      errors: 0,
      outputTokens: 40,
      reasoningTokens: 24,
      answerTokens: 16,
      reasoningChunks: 24,
      answerChunks: 16,
    });
    // TTFT is the first thought (40 ms), not the first answer token (40 + 6 × 20 ms); ITL is
    // over all 10 tokens (20 ms), not the answer's 4 over 10.
    expect(m.ttftMs.p50!).toBeGreaterThanOrEqual(40);
    expect(m.ttftMs.p50!).toBeLessThan(140);
    expect(m.itlMs.p50!).toBeGreaterThanOrEqual(18);
    expect(m.itlMs.p50!).toBeLessThan(40);
    expect(run.lines.at(-1)).toMatch(
      /; of 40 output tokens, 24 reasoning and 16 answer \(24 and 16 chunks\)\.$/,
    );
  });

  it('takes replies that are all thinking (newer vLLM: delta.reasoning) as successes', async () => {
    const model = await server({ reasoning: { tokens: 'all', field: 'reasoning' } });
    const run = await bench(model, settings({ warmup: 0, requests: 4 }));
    expect(run.measurement).toMatchObject({
      errors: 0,
      outputTokens: 40,
      reasoningTokens: 40,
      answerTokens: 0,
    });
    expect(run.measurement.ttftMs.p50).not.toBeNull();
  });

  it('takes finish and usage chunks with delta: null and choices: null as a whole reply', async () => {
    const model = await server({ nullDeltas: true });
    const run = await bench(model, settings({ warmup: 0, requests: 4 }));
    expect(run.measurement).toMatchObject({ errors: 0, outputTokens: 40, tokensFrom: 'usage' });
  });

  it.each([
    [
      'event',
      'the server sent an error event in the stream: The engine failed while generating (emulated)',
    ],
    [
      'object',
      'the server reported an error in the stream: The engine failed while generating (emulated) (code 500)',
    ],
    [
      'field',
      'the server reported an error in the stream: The engine failed while generating (emulated) (code 500)',
    ],
  ] as const)(
    'counts an error inside the stream (%s), then [DONE], as an error with its message',
    async (kind, message) => {
      const model = await server({ streamError: { afterTokens: 1, kind } });
      const run = await bench(model, settings({ warmup: 0, requests: 4 }));
      expect(run.measurement).toMatchObject({ requests: 4, errors: 4, outputTokens: 0 });
      expect(run.firstError).toBe(message);
    },
  );

  it('ends a stream that pings but brings no token for request-timeout, naming the stall', async () => {
    const model = await server({ stallAfterTokens: 3, pingEveryMs: 20 });
    const started = performance.now();
    const run = await bench(model, settings({ warmup: 0, requests: 2, concurrency: 2 }), {
      requestTimeoutMs: 300,
    });
    // Each request: 3 tokens in about 50 ms, then 300 ms of pings only.
    expect(performance.now() - started).toBeLessThan(2000);
    expect(run.measurement).toMatchObject({ requests: 2, errors: 2 });
    expect(run.firstError).toBe(
      'the stream stalled: no token for 300ms (request-timeout) after 3 token(s), kept alive by comments or empty chunks',
    );
  });

  it('names the stall of a stream that goes silent without pings too', async () => {
    const model = await server({ stallAfterTokens: 2, pingEveryMs: 60_000 });
    const run = await bench(model, settings({ warmup: 0, requests: 2, concurrency: 2 }), {
      requestTimeoutMs: 300,
    });
    expect(run.measurement).toMatchObject({ requests: 2, errors: 2 });
    expect(run.firstError).toBe(
      'the stream stalled: no token for 300ms (request-timeout) after 2 token(s)',
    );
  });

  it('says the endpoint does not stream when it answers one JSON completion', async () => {
    const model = await server({ notStreaming: true });
    const run = await bench(model, settings({ warmup: 0, requests: 2 }));
    expect(run.measurement).toMatchObject({ requests: 2, errors: 2 });
    expect(run.firstError).toMatch(
      /^the endpoint does not stream: it answered one whole chat completion \(application\/json\) instead of an event stream.*proxy_buffering off.*ignores "stream": true/,
    );
  });
});
