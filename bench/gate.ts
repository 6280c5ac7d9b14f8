/**
 * `npm run bench:gate`: how often the benchmark gate fires on noise (A/A) and how often it
 * catches a real regression (A/B), at the default settings, on a noisy model server. Prints the
 * table of docs/performance.md. Run by hand, not in CI.
 *
 * 200 repetitions of a few minutes of traffic each are affordable on a simulated clock: each
 * request's TTFT and ITL come from the emulator's own jitter (emulator/latency.ts: a lognormal
 * multiplier per request, a slow request now and then), placed on a virtual timeline of
 * `concurrency` slots, then turned into the records the benchmark keeps, and judged by the
 * action's own gate: the samples, intervals, looks and verdicts of src/model/. A smaller number
 * of repetitions then runs the real benchmark runner over HTTP against the emulator's model
 * server with the same jitter (latencies scaled down), to show that the simulated figures hold.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import { jittered, seededRandom, type Jitter, type LatencyProfile } from '../emulator/latency.js';
import { startModelServer } from '../emulator/model-server.js';
import { systemClock } from '../src/clock.js';
import { parseBenchmarkSettings, type BenchmarkSettings } from '../src/model/benchmark-settings.js';
import { measuredOf, runBenchmark } from '../src/model/benchmark.js';
import { judgeLimits, type LimitVerdict, type Measured } from '../src/model/gate.js';
import { afterMore, baselineSettled, gatePlan, nextBatch } from '../src/model/looks.js';
import type { RequestRecord } from '../src/model/stream-request.js';

/** The README's example limits, which the defaults are sized for. */
const LIMITS = {
  'ttft-p90': '+50%',
  'itl-p50': '+20%',
  'tokens-per-second': '-15%',
  'error-rate': '10%',
};
const JITTER: Jitter = { sigma: 0.15, slowProbability: 0.02, slowFactor: 3 };
/** An 8B model on one L4, as the emulator's demo deployment serves. */
const BASE: LatencyProfile = { ttftMs: 200, itlMs: 20 };

const settings = parseBenchmarkSettings({ 'fail-if': LIMITS }) as BenchmarkSettings;

/** `n` more requests on a virtual timeline of `concurrency` slots, from `startMs`. */
function simulate(
  n: number,
  profile: LatencyProfile,
  random: () => number,
  startMs: number,
): { records: RequestRecord[]; wallMs: number } {
  const tokens = settings.maxTokens;
  const free = new Array<number>(settings.concurrency).fill(startMs);
  const records: RequestRecord[] = [];
  for (let i = 0; i < n; i++) {
    const slot = free.indexOf(Math.min(...free));
    const sentMs = free[slot] ?? startMs;
    const p = jittered(profile, JITTER, random);
    const first = sentMs + p.ttftMs;
    const last = first + p.itlMs * (tokens - 1);
    free[slot] = last;
    records.push({
      sentMs,
      endMs: last,
      firstTokenMs: first,
      lastTokenMs: last,
      answerChunks: tokens,
      reasoningChunks: 0,
      usageTokens: tokens,
      usageReasoningTokens: undefined,
      error: undefined,
      ignoreEosRefused: false,
      aborted: false,
    });
  }
  return { records, wallMs: Math.max(...free) - startMs };
}

/** One side measured as the step does: batches while `more` asks for them. */
function side(
  profile: LatencyProfile,
  random: () => number,
  more: (soFar: Measured) => number,
): Measured {
  const records: RequestRecord[] = [];
  let wallMs = 0;
  let batch = settings.requests;
  while (batch > 0) {
    const ran = simulate(batch, profile, random, 0);
    records.push(...ran.records);
    wallMs += ran.wallMs;
    batch = more(measuredOf(records, wallMs, undefined, 0, settings.maxTokens));
  }
  return measuredOf(records, wallMs, undefined, 0, settings.maxTokens);
}

interface Trial {
  failed: boolean;
  noChange: boolean;
  inconclusive: boolean;
  requests: number;
  beforeRequests: number;
  afterRequests: number;
  verdicts: LimitVerdict[];
}

/** One deploy: a baseline of `before`, a rollout serving `after`, judged at the defaults. */
function trial(before: LatencyProfile, after: LatencyProfile, seed: number): Trial {
  const random = seededRandom(seed);
  const plan = gatePlan(settings);
  const b = side(before, random, (soFar) =>
    baselineSettled(settings, soFar, plan.alpha) ? 0 : nextBatch(plan, soFar.measurement.requests),
  );
  const a = side(
    after,
    random,
    afterMore(settings, plan, b, undefined, () => undefined),
  );
  const verdicts = judgeLimits(settings.failIf, a, b, plan.alpha);
  const relative = verdicts.filter((v) => v.of === 'change');
  return {
    failed: verdicts.some((v) => v.status === 'exceeded'),
    noChange: relative.every(
      (v) => v.interval !== undefined && v.interval[0] <= 0 && v.interval[1] >= 0,
    ),
    inconclusive: verdicts.some((v) => v.status === 'inconclusive'),
    requests: Math.max(a.measurement.requests, b.measurement.requests),
    beforeRequests: b.measurement.requests,
    afterRequests: a.measurement.requests,
    verdicts,
  };
}

function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  return s[Math.floor((s.length - 1) / 2)] ?? 0;
}

function row(name: string, trials: Trial[]): string {
  const n = trials.length;
  const pct = (k: number): string => `${((k / n) * 100).toFixed(1)} %`;
  const b = trials.map((t) => t.beforeRequests);
  const a = trials.map((t) => t.afterRequests);
  return `| ${name} | ${n} | ${pct(trials.filter((t) => t.failed).length)} | ${pct(trials.filter((t) => t.noChange).length)} | ${pct(trials.filter((t) => t.inconclusive).length)} | ${median(b)} / ${Math.max(...b)} | ${median(a)} / ${Math.max(...a)} |`;
}

const CASES: [string, LatencyProfile][] = [
  ['A/A (nothing changed)', BASE],
  ['A/B: ITL +30 %', { ...BASE, itlMs: BASE.itlMs * 1.3 }],
  ['A/B: tokens/s -30 % (ITL / 0.7)', { ...BASE, itlMs: BASE.itlMs / 0.7 }],
];

/** The real runner over HTTP against the jittered model server, latencies scaled down 10 times. */
async function realTrial(after: LatencyProfile, seed: number): Promise<Trial> {
  const scaled = (p: LatencyProfile): LatencyProfile => ({
    ttftMs: p.ttftMs / 10,
    itlMs: p.itlMs / 10,
  });
  let profile = scaled(BASE);
  const server = await startModelServer({
    model: 'm',
    latency: () => profile,
    jitter: { ...JITTER, seed },
  });
  const dispatcher = new Agent({ connections: 64 });
  const plan = gatePlan(settings);
  const common = {
    base: server.url,
    model: 'm',
    apiKey: undefined,
    settings,
    dispatcher,
    requestTimeoutMs: 30_000,
    deadlineMs: systemClock.now() + 600_000,
    clock: systemClock,
    now: () => performance.now(),
    signal: new AbortController().signal,
    log: { info: () => undefined, notice: () => undefined, warning: () => undefined } as never,
    ignoreEos: { send: true },
  };
  try {
    const before = await runBenchmark({
      ...common,
      more: (soFar) =>
        baselineSettled(settings, soFar, plan.alpha)
          ? 0
          : nextBatch(plan, soFar.measurement.requests),
    });
    const b: Measured = { measurement: before.measurement, samples: before.samples };
    profile = scaled(after);
    const ran = await runBenchmark({
      ...common,
      more: afterMore(settings, plan, b, undefined, () => undefined),
    });
    const a: Measured = { measurement: ran.measurement, samples: ran.samples };
    const verdicts = judgeLimits(settings.failIf, a, b, plan.alpha);
    const relative = verdicts.filter((v) => v.of === 'change');
    return {
      failed: verdicts.some((v) => v.status === 'exceeded'),
      noChange: relative.every(
        (v) => v.interval !== undefined && v.interval[0] <= 0 && v.interval[1] >= 0,
      ),
      inconclusive: verdicts.some((v) => v.status === 'inconclusive'),
      requests: Math.max(a.measurement.requests, b.measurement.requests),
      beforeRequests: b.measurement.requests,
      afterRequests: a.measurement.requests,
      verdicts,
    };
  } finally {
    await dispatcher.close();
    await server.close();
    await sleep(10);
  }
}

/** A/A against an external OpenAI-compatible server (BENCH_GATE_URL): the defaults, as the step runs. */
async function externalAa(url: string, reps: number): Promise<void> {
  const listed = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string }[] };
  const model = listed.data[0]?.id ?? '';
  const dispatcher = new Agent({ connections: 64 });
  const plan = gatePlan(settings);
  const common = {
    base: url,
    model,
    apiKey: undefined,
    settings,
    dispatcher,
    requestTimeoutMs: 60_000,
    deadlineMs: systemClock.now() + 3_600_000,
    clock: systemClock,
    now: () => performance.now(),
    signal: new AbortController().signal,
    log: { info: () => undefined, notice: () => undefined, warning: () => undefined } as never,
    ignoreEos: { send: true },
  };
  for (let i = 0; i < reps; i++) {
    const before = await runBenchmark({
      ...common,
      more: (soFar) =>
        baselineSettled(settings, soFar, plan.alpha)
          ? 0
          : nextBatch(plan, soFar.measurement.requests),
    });
    const b: Measured = { measurement: before.measurement, samples: before.samples };
    const after = await runBenchmark({
      ...common,
      more: afterMore(settings, plan, b, undefined, () => undefined),
    });
    const a: Measured = { measurement: after.measurement, samples: after.samples };
    const verdicts = judgeLimits(settings.failIf, a, b, plan.alpha);
    console.log(
      `A/A ${i + 1} against ${model}: ${b.measurement.requests} / ${a.measurement.requests} requests; ` +
        verdicts
          .map(
            (v) =>
              `${v.metric} ${v.limit}: ${v.status}${v.interval ? ` [${v.interval.map((x) => (v.of === 'change' ? `${(x * 100).toFixed(1)}%` : x.toFixed(3))).join(', ')}]` : ''}`,
          )
          .join('; ') +
        `; TTFT p50 ${b.measurement.ttftMs.p50} → ${a.measurement.ttftMs.p50} ms, ITL p50 ${b.measurement.itlMs.p50} → ${a.measurement.itlMs.p50} ms, ${b.measurement.tokensPerSecond} → ${a.measurement.tokensPerSecond} tokens/s`,
    );
  }
  await dispatcher.close();
}

async function main(): Promise<void> {
  const external = process.env.BENCH_GATE_URL;
  if (external) {
    await externalAa(external.replace(/\/+$/, ''), Number(process.env.BENCH_GATE_REPS ?? 3));
    return;
  }
  const reps = Number(process.env.BENCH_GATE_REPS ?? 200);
  const realReps = Number(process.env.BENCH_GATE_REAL_REPS ?? 10);
  console.log(
    `Defaults: requests ${settings.requests}, max-requests ${settings.maxRequests}, concurrency ${settings.concurrency}, max-tokens ${settings.maxTokens}, confidence ${settings.confidence * 100} %; fail-if ${JSON.stringify(LIMITS)}; jitter sigma ${JITTER.sigma}, slow ${JITTER.slowProbability} x${JITTER.slowFactor}; server TTFT ${BASE.ttftMs} ms, ITL ${BASE.itlMs} ms.`,
  );
  const header = [
    '| Case | Repetitions | Step fails | "No change" on every relative limit | Some limit inconclusive at the end | Requests before, median / worst | Requests after, median / worst |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  console.log("\nSimulated clock (the action's gate on the emulator's jitter):\n");
  console.log(header.join('\n'));
  for (const [name, after] of CASES) {
    const trials = Array.from({ length: reps }, (_, i) => trial(BASE, after, 1000 + i));
    console.log(row(name, trials));
  }
  if (realReps > 0) {
    console.log(
      `\nReal time (runBenchmark over HTTP against the jittered model server, latencies / 10):\n`,
    );
    console.log(header.join('\n'));
    for (const [name, after] of CASES) {
      const trials: Trial[] = [];
      for (let i = 0; i < realReps; i++) trials.push(await realTrial(after, 5000 + i));
      console.log(row(name, trials));
    }
  }
}

await main();
