/**
 * What the benchmark does not take at face value, in-process against the emulator's model server
 * playing each `--model-stream` kind: vLLM's finish reasons `abort` and `error` (errors, hostile-30
 * #6), a usage count that cannot be right (the chunks counted, with a notice, #11), an SSE line
 * past 1 MiB (an error naming the cap, #13), a gzip-encoded stream (said, never quoted, #14).
 */
import { describe, expect, it } from '@jest/globals';
import { STREAM_KINDS, type StreamKind } from '../../emulator/model-server.js';
import { looksBinary } from '../../src/http/body-text.js';
import { FAST_MODEL_LATENCY, startWorld, type InProcessRun } from '../helpers/harness.js';
import { noLeaks } from '../helpers/twins.js';

const FAST_PLAN = { pendingMs: 150, provisioningMs: 250, startingMs: 250 };
const SPEC = JSON.stringify({
  configuration: { architecture: { workerConfig: { gpuMemoryUtilization: 0.85 } } },
});
const LOAD = 'requests: 4\nmax-requests: 4\nconcurrency: 2\nwarmup: 1\nmax-tokens: 16';

interface Measured {
  requests: number;
  errors: number;
  outputTokens: number;
  tokensFrom: string;
  reasoningTokens: number;
  usageIgnored?: number;
}

async function benchmarkAgainst(
  kind: StreamKind,
): Promise<InProcessRun & { before?: Measured; after?: Measured }> {
  const world = await startWorld({
    time: 'scaled',
    emulator: { plan: FAST_PLAN },
    model: { latency: FAST_MODEL_LATENCY, ...STREAM_KINDS[kind] },
    check: noLeaks,
  });
  const run = await world.run({
    'poll-interval': '200ms',
    timeout: '10m',
    'smoke-url': world.model?.url ?? '',
    spec: SPEC,
    benchmark: LOAD,
  });
  const output = run.outputs.benchmark
    ? (JSON.parse(run.outputs.benchmark) as { before?: Measured; after?: Measured })
    : {};
  return { ...run, ...output };
}

describe('the benchmark does not take a stream at face value', () => {
  it.each(['finish-abort', 'finish-error'] as const)(
    'counts a reply that vLLM ended with %s as an error, quoting why',
    async (kind) => {
      const reason = kind === 'finish-abort' ? 'abort' : 'error';
      const run = await benchmarkAgainst(kind);
      expect(run.after).toMatchObject({ requests: 4, errors: 4 });
      expect(run.before).toMatchObject({ requests: 4, errors: 4 });
      expect(run.outputs.outcome).toBe('smoke-failed');
      expect(run.stdout).toContain(
        `the server ended the reply with finish_reason "${reason}" after 16 token chunk(s)`,
      );
    },
  );

  it.each(['usage-negative', 'usage-huge', 'usage-zero'] as const)(
    'does not believe a usage count that cannot be right (%s): the chunks are counted, with a notice',
    async (kind) => {
      const run = await benchmarkAgainst(kind);
      expect(run.outputs.outcome).toBe('running');
      expect(run.after).toMatchObject({
        errors: 0,
        outputTokens: 4 * 16,
        tokensFrom: 'chunks',
        usageIgnored: 4,
      });
      expect(run.stdout).toMatch(
        /::notice title=Usage not believed::4 repl\(ies\) reported a usage count that cannot be right .*counted from the chunks/,
      );
      // Tokens per second from the chunks: neither negative, nor billions, nor zero.
      const tps = (JSON.parse(run.outputs.benchmark!) as { after: { tokensPerSecond: number } })
        .after.tokensPerSecond;
      expect(tps).toBeGreaterThan(1);
      expect(tps).toBeLessThan(1e5);
    },
  );

  it('does not believe reasoning tokens in the usage when no reasoning chunk came', async () => {
    const run = await benchmarkAgainst('usage-phantom-reasoning');
    expect(run.outputs.outcome).toBe('running');
    expect(run.after).toMatchObject({ reasoningTokens: 0, outputTokens: 64, usageIgnored: 4 });
    expect(run.stdout).toMatch(/::notice title=Usage not believed::/);
    expect(run.stdout).not.toMatch(/reasoning and 0 answer/);
  });

  it('stops a stream at a line past 1 MiB and counts that request as an error naming the cap', async () => {
    const run = await benchmarkAgainst('huge-line');
    expect(run.after).toMatchObject({ requests: 4, errors: 4 });
    expect(run.stdout).toMatch(
      /a server-sent event passed 1 MiB, the most the action reads of one line or event \(so that a stream cannot fill the runner's memory\)/,
    );
    expect(run.stdout).not.toMatch(/x{1000}/);
  });

  it('says a gzip-encoded stream is gzip-encoded, and never quotes its bytes', async () => {
    const run = await benchmarkAgainst('gzip');
    expect(run.after).toMatchObject({ requests: 4, errors: 4 });
    expect(run.stdout).toMatch(
      /a gzip-encoded body \(content-encoding: gzip; the action asks for no encoding and decodes none\), not quoted: no token can be read from it/,
    );
    expect(run.stdout).not.toMatch(/\ufffd/);
    expect(looksBinary(run.stdout)).toBe(false);
    expect(run.summary).not.toMatch(/\ufffd/);
  });
});
