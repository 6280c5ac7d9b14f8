/**
 * The workflow experience: log groups, dry run, and the smoke test of the model against an
 * OpenAI-compatible endpoint. `run()` runs in-process on a fake clock that the emulator and the
 * model server share, so a model that takes seconds to come up costs none. GitHub deployments,
 * through the bundle, are in workflow.e2e.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import type { ModelServer, ModelServerOptions } from '../../emulator/model-server.js';
import type { Emulator, EmulatorOptions } from '../../emulator/server.js';
import { commandNames, leaks } from '../helpers/action.js';
import type { World } from '../helpers/harness.js';
import { startTwin, WORKFLOW } from '../helpers/twins.js';

const MODEL = 'Qwen/Qwen3-8B';
const SPEC = JSON.stringify({ configuration: { name: MODEL } });

let world: World;
async function emulator(options: EmulatorOptions = {}): Promise<Emulator> {
  world = await startTwin(WORKFLOW, 'in-process', options);
  return world.emu;
}

/** A model server on the current emulator's clock: start the emulator first. */
async function modelServer(options: Partial<ModelServerOptions> = {}): Promise<ModelServer> {
  const clock = world.clock;
  return world.startModel({ model: MODEL, now: () => clock.now(), ...options });
}

describe('the log', () => {
  it('groups the phases', async () => {
    await emulator();
    const server = await modelServer();
    const run = await world.run({ spec: SPEC, 'smoke-test': 'true', 'smoke-url': server.url });
    const groups = run.stdout.split('\n').filter((l) => l.startsWith('::group::'));
    expect(groups).toEqual([
      '::group::Inputs',
      '::group::Plan',
      '::group::Update',
      '::group::Waiting for the rollout',
      '::group::Smoke test',
    ]);
    expect(commandNames(run.stdout).filter((c) => c === 'endgroup')).toHaveLength(5);
  });
});

describe('dry run', () => {
  it('reads the deployment, shows what would change, sends nothing, and outputs the current state', async () => {
    const emu = await emulator();
    const run = await world.run({
      'dry-run': 'true',
      description: 'Chat model served by vLLM',
      spec: JSON.stringify({
        configuration: {
          name: MODEL,
          nodeConfiguration: { gpu: { configuration: { gpuCount: 2 } } },
        },
      }),
    });
    expect(run.code).toBe(0);
    expect(emu.requests.map((r) => r.method)).toEqual(['GET']);
    expect(run.outputs).toMatchObject({
      outcome: 'dry-run',
      status: 'running',
      'deployment-configuration-id': 'cfg-0001',
    });
    expect(run.stdout).toContain(
      'Would change spec.configuration.name: "meta-llama/Llama-3.1-8B-Instruct" → "Qwen/Qwen3-8B"',
    );
    expect(run.stdout).toContain(
      'Would change spec.configuration.nodeConfiguration.gpu.configuration.gpuCount: 1 → 2',
    );
    // The description is already that: not a change.
    expect(run.stdout).not.toContain('Would change description');
    expect(run.stdout).toContain(
      'Dry run: no update was sent. The plan rolls out a new configuration. Settings it changes: spec.configuration.name, spec.configuration.nodeConfiguration.gpu.configuration.gpuCount.',
    );
    expect(run.summary).toContain('Dry run: no update sent');
    expect(run.summary).toContain(
      'spec.configuration.nodeConfiguration.gpu.configuration.gpuCount: 1 → 2',
    );
  });
});

describe('smoke test', () => {
  it('waits for the model to come up and list itself, then passes', async () => {
    await emulator();
    const server = await modelServer({ readyAfterMs: 2500 });
    const run = await world.run({ spec: SPEC, 'smoke-test': 'true', 'smoke-url': server.url });
    expect(run.code).toBe(0);
    expect(run.outputs.outcome).toBe('running');
    expect(JSON.parse(run.outputs.models!)).toEqual([MODEL]);
    expect(run.stdout).toMatch(/Waiting for the model at \S+\/v1\/models: HTTP 503/);
    expect(run.stdout).toContain(`The model answers at ${server.url}/v1/models: ${MODEL}`);
    expect(server.requests.filter((r) => r.path === '/v1/models').length).toBeGreaterThanOrEqual(2);
    expect(run.summary).toContain('### Smoke test');
  });

  it('sends the prompt with the key, and shows the first line of the reply', async () => {
    await emulator();
    const server = await modelServer({ apiKey: 'sk-model-key' });
    const run = await world.run({
      spec: SPEC,
      'smoke-test': 'true',
      'smoke-url': server.url,
      'smoke-prompt': 'Say hello',
      'smoke-api-key': 'sk-model-key',
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('The model replied: Hello from the emulator!');
    expect(run.stdout).not.toContain('Second line.');
    const completion = server.requests.find((r) => r.path === '/v1/chat/completions');
    expect(completion?.body).toMatchObject({
      model: MODEL,
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    expect(completion?.authorization).toBe('Bearer sk-model-key');
    expect(leaks(run, 'sk-model-key')).toEqual([]);
  });

  it('fails the step when the model never answers within smoke-timeout', async () => {
    await emulator();
    const server = await modelServer({ neverReady: true });
    const run = await world.run({
      spec: SPEC,
      'smoke-test': 'true',
      'smoke-url': server.url,
      'smoke-timeout': '3s',
    });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ outcome: 'smoke-failed', status: 'running' });
    expect(run.stdout).toMatch(
      /^::error title=Smoke test failed::The model did not answer at \S+ within 3s \(last: HTTP 503\)/m,
    );
  });

  it('fails the step when the completion fails', async () => {
    await emulator();
    const server = await modelServer({ completionFails: true });
    const run = await world.run({
      spec: SPEC,
      'smoke-test': 'true',
      'smoke-url': server.url,
      'smoke-prompt': 'hi',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/did not answer the smoke prompt \(HTTP 500: .*CUDA out of memory/);
  });

  it('without a public HTTP port or smoke-url, says what to do', async () => {
    await emulator({
      deployments: [
        {
          ports: [{ id: 'grpc', name: 'grpc', internalPort: 9000, protocol: 'TCP', public: false }],
        },
      ],
    });
    const run = await world.run({ spec: SPEC, 'smoke-test': 'true' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /the deployment has no public HTTP port\. Make one public, or set smoke-url/,
    );
  });
});
