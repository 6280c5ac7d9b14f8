/**
 * The model benchmark's measurement quality, for `npm run bench`: the bundled action benchmarks
 * the emulator's model server, and what it measured is set against what the server injected and
 * sent.
 *
 * - Accuracy: TTFT 200 ms, ITL 20 ms, 128 tokens, concurrency 4. TTFT p50 and ITL p50 against the
 *   injected values, tokens per second against the tokens the server sent over the same span.
 * - Headroom: concurrency 64 with 5 ms between tokens (12,800 tokens/s while streaming), so that
 *   the client, with the V8 flags the action sets, has to keep up. Tokens per second against the
 *   server's, and the action's peak RSS during that run.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startModelServer, type ServedStream } from '../emulator/model-server.js';
import { emulatorInputs, startEmulator } from '../emulator/server.js';
import type { LatencyProfile } from '../emulator/latency.js';
import { runAction } from '../scripts/local-runner.js';

export interface QualityRun {
  label: string;
  profile: LatencyProfile;
  concurrency: number;
  requests: number;
  maxTokens: number;
  measured: { ttftP50: number; itlP50: number; tokensPerSecond: number; errors: number };
  /** What the server knows: the injected TTFT and ITL, and the tokens per second it sent. */
  truth: { ttftMs: number; itlMs: number; tokensPerSecond: number };
  peakRssMb: number;
}

/** Tokens per second the server sent: measured streams' tokens over their span. */
function sentTokensPerSecond(streams: readonly ServedStream[]): number {
  const first = Math.min(...streams.map((s) => s.receivedMs));
  const last = Math.max(...streams.map((s) => s.lastTokenMs ?? s.receivedMs));
  const tokens = streams.reduce((n, s) => n + s.tokens, 0);
  return (tokens * 1000) / (last - first);
}

interface BenchmarkOutput {
  after?: {
    errors: number;
    ttftMs: { p50: number | null };
    itlMs: { p50: number | null };
    tokensPerSecond: number;
  };
}

/** Runs the bundle with a benchmark against a model server with `profile`. */
export async function qualityRun(
  label: string,
  profile: LatencyProfile,
  load: { concurrency: number; requests: number; maxTokens: number },
  node: string,
  rssPreload: string,
  work: string,
): Promise<QualityRun> {
  const emulator = await startEmulator();
  const model = await startModelServer({
    model: emulator.deployment().configuration.name ?? '',
    latency: profile,
  });
  const rssFile = path.join(work, 'rss-benchmark.txt');
  const run = await runAction({
    inputs: {
      ...emulatorInputs(emulator),
      'smoke-url': model.url,
      'request-timeout': '60s',
      timeout: '10m',
      benchmark: JSON.stringify({
        requests: load.requests,
        concurrency: load.concurrency,
        'max-tokens': load.maxTokens,
        baseline: 'none',
      }),
    },
    env: {
      NODE_OPTIONS: `--import=${pathToFileURL(rssPreload).href}`,
      BENCH_RSS_FILE: rssFile,
    },
    node,
  });
  await model.close();
  await emulator.close();
  const output = JSON.parse(run.outputs.benchmark ?? '{}') as BenchmarkOutput;
  if (!output.after) throw new Error(`no benchmark measured (${label}):\n${run.stdout}`);
  // The warm-up's streams come first; the measured ones are the rest.
  const measuredStreams = model.streams.slice(model.streams.length - load.requests);
  return {
    label,
    profile,
    ...load,
    measured: {
      ttftP50: output.after.ttftMs.p50 ?? NaN,
      itlP50: output.after.itlMs.p50 ?? NaN,
      tokensPerSecond: output.after.tokensPerSecond,
      errors: output.after.errors,
    },
    truth: {
      ttftMs: profile.ttftMs,
      itlMs: profile.itlMs,
      tokensPerSecond: sentTokensPerSecond(measuredStreams),
    },
    peakRssMb: Number(readFileSync(rssFile, 'utf8')) / 1024,
  };
}

/** The relative error of `measured` against `truth`, in percent. */
export function errorPercent(measured: number, truth: number): number {
  return ((measured - truth) / truth) * 100;
}
