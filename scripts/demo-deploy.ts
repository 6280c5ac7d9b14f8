/**
 * The deploy demo (`npm run demo`): starts the local Northflank API emulator and a model server
 * whose speed follows the deployment's configuration, runs the bundled action against them exactly
 * as a runner would (a spec change from examples/model-spec.yaml, benchmarked before and after),
 * and shows the inputs it gives, the action's log, outputs and job summary. The deployment serves
 * with `gpuMemoryUtilization: 0.6`; the spec file's 0.9 gives it a faster first token.
 *
 * `regression`: the spec change also sets `enforceEager: true` (no CUDA graphs: slower tokens in
 * the emulator, as on vLLM); the benchmark's fail-if limits catch it, the step fails as
 * `regressed`, and revert-on-failure puts the previous spec back (outcome `reverted`).
 * `crash`: the new rollout crashes; with `revert-on-failure` the action sends the previous values
 * back, waits for that rollout, and the step fails with outcome `reverted`.
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
import { ROOT, runAction, type ActionRun } from './local-runner.js';

export type DeployDemoKind = 'runs' | 'regression' | 'crash';

/** Where the demo writes: its own lines, and the action's log as it comes. */
export interface DemoIo {
  print: (line: string) => void;
  echo: NodeJS.WritableStream;
}

/**
 * The benchmark the demo asks for: README's limits, at a load that keeps the demo short (short
 * replies at concurrency 8) while the gate still has to measure more before it can decide.
 */
export const DEMO_BENCHMARK = [
  'requests: 16',
  'concurrency: 8',
  'max-tokens: 24',
  'fail-if:',
  '  ttft-p50: +25%',
  '  itl-p50: +20%',
  '  tokens-per-second: -15%',
  '  error-rate: 10%',
  '',
].join('\n');

/** A rollout of about 5 s, with stale reads for its first second as a real API can show. */
const ROLLOUT = { pendingMs: 1000, provisioningMs: 2000, startingMs: 2000 };

/** Runs the deploy demo of this kind; resolves with the action's run (its exit code, outputs). */
export async function deployDemo(kind: DeployDemoKind, io: DemoIo): Promise<ActionRun> {
  const crash = kind === 'crash';
  const regression = kind === 'regression';
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
  // The update: the example's 0.9, a faster start; with regression, eager mode too (slower tokens).
  if (regression) spec.configuration.architecture.workerConfig.enforceEager = true;

  const emulator = await startEmulator({
    plan: ROLLOUT,
    // With crash, the update's rollout crashes once it starts; the revert's rollout runs.
    plans: crash ? [{ ...ROLLOUT, ending: 'crashed' }] : [],
    staleReadMs: 1000,
    ...(crash ? {} : { deployments: [{ configuration: serving }] }),
  });
  const model = await startModelServer({
    // The model and the speed of whichever configuration the emulated deployment holds.
    model: () => emulator.deployment().configuration.name ?? '',
    latency: () => latencyOf(emulator.deployment().configuration),
  });
  try {
    io.print(`Northflank API emulator on ${emulator.url}; model server on ${model.url}`);
    io.print(
      `Running dist/index.js: update ${DEMO_DEPLOYMENT.projectId}/${DEMO_DEPLOYMENT.id} with spec-file model-spec.yaml${
        crash
          ? '; the emulator crashes the new rollout, and revert-on-failure is on'
          : ` (gpuMemoryUtilization 0.6 -> 0.9${regression ? ', enforceEager false -> true' : ''}), benchmarked before and after`
      }`,
    );

    // The crash demo changes only settings the deployment already has, so the revert puts all back.
    const specFile = crash
      ? 'configuration:\n  name: Qwen/Qwen3-8B\n  nodeConfiguration:\n    storage: { storageSize: 20480 }\n'
      : stringify(spec);
    const inputs: Record<string, string> = {
      ...emulatorInputs(emulator),
      'spec-file': 'model-spec.yaml',
      'poll-interval': '2s',
      timeout: '3m',
      ...(crash || regression ? { 'revert-on-failure': 'true', 'revert-timeout': '1m' } : {}),
      ...(crash ? {} : { 'smoke-url': model.url, benchmark: DEMO_BENCHMARK }),
    };
    io.print(
      "\nwith: (the step's inputs; on GitHub, api-token comes from a secret and api-url is left out)",
    );
    io.print(
      stringify(inputs, { lineWidth: 0 })
        .trimEnd()
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n'),
    );
    io.print(
      `model-spec.yaml, in the workspace (GITHUB_WORKSPACE): the spec of examples/model-spec.yaml${
        crash ? ' (its name and storage only)' : ''
      }\n`,
    );
    const run = await runAction({
      inputs,
      files: { 'model-spec.yaml': specFile },
      echo: io.echo,
    });

    io.print(`\n--- exit code ${String(run.code)}; outputs ---`);
    for (const [name, value] of Object.entries(run.outputs)) {
      io.print(`${name} = ${value.length > 160 ? `${value.slice(0, 160)}…` : value}`);
    }
    io.print('\n--- job summary (Markdown) ---');
    io.print(run.summary);
    io.print(
      `--- the emulator received ${String(emulator.requests.length)} requests: ${emulator.requests.map((r) => `${r.method} ${String(r.status)}`).join(', ')}; the model server ${String(model.requests.length)}`,
    );
    return run;
  } finally {
    await model.close();
    await emulator.close();
  }
}
