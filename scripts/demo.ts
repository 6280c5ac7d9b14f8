/**
 * `npm run demo`: the action's main job end to end, on this machine, with no account. Starts the
 * local Northflank API emulator and a model server whose speed follows the deployment's
 * configuration, runs the bundled action against them exactly as a runner would (a spec change
 * from examples/model-spec.yaml, benchmarked before and after), and shows its log, outputs and
 * job summary. The deployment serves with `gpuMemoryUtilization: 0.6`; the spec file's 0.9 gives
 * it a faster first token.
 *
 * `npm run demo -- --regression`: the spec change also sets `enforceEager: true` (no CUDA graphs:
 * slower tokens in the emulator, as on vLLM); the benchmark's fail-if limits catch it, the step
 * fails as `regressed`, and revert-on-failure puts the previous spec back (outcome `reverted`).
 *
 * `npm run demo -- --crash`: the new rollout crashes; with `revert-on-failure` the action sends
 * the previous values back, waits for that rollout, and the step fails with outcome `reverted`.
 *
 * `npm run demo -- --preview`: mode preview through a pull request's life (scripts/demo-preview.ts).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { latencyOf } from '../emulator/latency.js';
import { startModelServer } from '../emulator/model-server.js';
import {
  DEMO_DEPLOYMENT,
  startEmulator,
  emulatorInputs,
  type StoredDeployment,
} from '../emulator/server.js';
import { ROOT, runAction } from './local-runner.js';

const USAGE = `Usage: npm run demo [-- --regression | --crash | --preview]

  (no option)    a rollout that runs, benchmarked before and after (about 30 s)
  --regression   a rollout that serves slower tokens: regressed, then reverted (about 40 s)
  --crash        a rollout that crashes and is reverted, and the failure's summary (about 20 s)
  --preview      a pull request's preview: created beside production, benchmarked against it,
                 updated on a push, deleted on close, with its sticky comment (about 40 s)
`;

const args = process.argv.slice(2);
const help = args.includes('--help') || args.includes('-h');
const OPTIONS = ['--crash', '--regression', '--preview'];
if (help || args.length > 1 || args.some((a) => !OPTIONS.includes(a))) {
  process.stderr.write(help ? USAGE : `demo: unknown option\n${USAGE}`);
  process.exit(help ? 0 : 2);
}
if (args.includes('--preview')) {
  const { previewDemo } = await import('./demo-preview.js');
  process.exitCode = await previewDemo();
} else {
  await deployDemo();
}

/** The deploy demo: one update, rolled out, benchmarked before and after. */
async function deployDemo(): Promise<void> {
  const crash = args.includes('--crash');
  const regression = args.includes('--regression');

  const spec = parse(readFileSync(path.join(ROOT, 'examples', 'model-spec.yaml'), 'utf8')) as {
    configuration: NonNullable<StoredDeployment['configuration']> & {
      architecture: { workerConfig: Record<string, unknown> };
    };
  };
  // The deployment serves the example's configuration, but with less GPU memory for the KV cache
  // (slower first tokens under load) and CUDA graphs on.
  const serving = structuredClone(spec.configuration);
  Object.assign(serving.architecture.workerConfig, {
    gpuMemoryUtilization: 0.6,
    enforceEager: false,
  });
  // The update: the example's 0.9, a faster start; with --regression, eager mode too (slower tokens).
  if (regression) spec.configuration.architecture.workerConfig.enforceEager = true;

  // A rollout of about 8 s with stale reads for the first second, like a real API can show.
  const ROLLOUT = { pendingMs: 1000, provisioningMs: 4000, startingMs: 3000 };
  const emulator = await startEmulator({
    plan: ROLLOUT,
    // With --crash, the update's rollout crashes once it starts; the revert's rollout runs.
    plans: crash ? [{ ...ROLLOUT, ending: 'crashed' }] : [],
    staleReadMs: 1000,
    ...(crash ? {} : { deployments: [{ configuration: serving }] }),
  });
  const model = await startModelServer({
    // The model and the speed of whichever configuration the emulated deployment holds.
    model: () => emulator.deployment().configuration.name ?? '',
    latency: () => latencyOf(emulator.deployment().configuration),
  });
  console.log(`Northflank API emulator on ${emulator.url}; model server on ${model.url}`);
  console.log(
    `Running dist/index.js: update ${DEMO_DEPLOYMENT.projectId}/${DEMO_DEPLOYMENT.id} with spec-file model-spec.yaml${
      crash
        ? '; the emulator crashes the new rollout, and revert-on-failure is on'
        : ` (gpuMemoryUtilization 0.6 -> 0.9${regression ? ', enforceEager false -> true' : ''}), benchmarked before and after`
    }\n`,
  );

  // The crash demo changes only settings the deployment already has, so the revert puts all back.
  const specFile = crash
    ? 'configuration:\n  name: Qwen/Qwen3-8B\n  nodeConfiguration:\n    storage: { storageSize: 20480 }\n'
    : stringify(spec);
  const benchmark = [
    'requests: 16',
    'concurrency: 4',
    'max-tokens: 64',
    'fail-if:',
    '  ttft-p50: +25%',
    '  itl-p50: +20%',
    '  tokens-per-second: -15%',
    '  error-rate: 10%',
  ].join('\n');
  const run = await runAction({
    inputs: {
      ...emulatorInputs(emulator),
      'spec-file': 'model-spec.yaml',
      'poll-interval': '2s',
      timeout: '3m',
      ...(crash || regression ? { 'revert-on-failure': 'true', 'revert-timeout': '1m' } : {}),
      ...(crash ? {} : { 'smoke-url': model.url, benchmark }),
    },
    files: { 'model-spec.yaml': specFile },
    echo: process.stdout,
  });
  await model.close();
  await emulator.close();

  console.log(`\n--- exit code ${String(run.code)}; outputs ---`);
  for (const [name, value] of Object.entries(run.outputs)) {
    console.log(`${name} = ${value.length > 160 ? `${value.slice(0, 160)}…` : value}`);
  }
  console.log('\n--- job summary (Markdown) ---');
  console.log(run.summary);
  console.log(
    `--- the emulator received ${String(emulator.requests.length)} requests: ${emulator.requests.map((r) => `${r.method} ${String(r.status)}`).join(', ')}; the model server ${String(model.requests.length)}`,
  );
  process.exitCode = run.code ?? 1;
}
