/**
 * The bundled action (dist/index.js on Node 24) against the emulator, as a runner runs it: a
 * rollout end to end, a refused token, a spec-file in the workspace. The other rollout cases
 * run in-process on a fake clock in rollout.scenario.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import type { Emulator, EmulatorOptions } from '../../emulator/server.js';
import { ACTION_VERSION } from '../../src/version.js';
import { leaks } from '../helpers/action.js';
import type { World } from '../helpers/harness.js';
import { ROLLOUT, startTwin } from '../helpers/twins.js';

const SPEC = JSON.stringify({ configuration: { name: 'Qwen/Qwen3-8B', revision: 'main' } });

let world: World<'bundle'>;
async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  world = await startTwin(ROLLOUT, 'bundle', options);
  return world.emu;
}

const methods = (emu: Emulator): string[] => emu.requests.map((r) => r.method);

describe('the bundled action against the emulator', () => {
  it('rolls out a spec change and waits for the new rollout to run', async () => {
    const emu = await start();
    const run = await world.run({ spec: SPEC, description: 'Qwen 3 8B' });

    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({
      outcome: 'running',
      status: 'running',
      id: 'llama-chat',
      name: 'llama chat',
      'deployment-configuration-id': 'cfg-0002',
      dns: 'llama-chat--demo-project.emulator.code.run',
      url: 'https://http--llama-chat--demo-project.emulator.code.run',
    });
    expect(JSON.parse(run.outputs.ports!)).toEqual([
      expect.objectContaining({ name: 'http', internalPort: 8000, public: true }),
    ]);
    expect(JSON.parse(run.outputs.deployment!)).toMatchObject({
      id: 'llama-chat',
      status: 'running',
    });
    expect(Number(run.outputs['elapsed-seconds'])).toBeGreaterThanOrEqual(0);

    // One read before, one update with exactly the given fields, then reads until running.
    expect(methods(emu).slice(0, 2)).toEqual(['GET', 'POST']);
    expect(
      methods(emu)
        .slice(2)
        .every((m) => m === 'GET'),
    ).toBe(true);
    const post = emu.requests[1]!;
    expect(post.body).toEqual({ description: 'Qwen 3 8B', spec: JSON.parse(SPEC) as unknown });
    expect(post.path).toBe('/v1/projects/demo-project/llm-model-deployments/llama-chat');
    expect(post.authorization).toBe(`Bearer ${emu.token}`);
    expect(post.contentType).toBe('application/json');
    expect(post.userAgent).toContain(`northflank-llm-deploy-action/${ACTION_VERSION}`);

    // Each status once, with the time spent in the one before.
    expect(run.stdout).toMatch(/Status: pending after \S+ running \(previous rollout\)/);
    expect(run.stdout).toMatch(/Status: provisioning after \S+ pending/);
    expect(run.stdout).toMatch(/Status: starting after \S+ provisioning/);
    expect(run.stdout).toMatch(/Status: running after \S+ starting, .+ since the update/);
    expect(run.stdout.match(/Status: starting/g)).toHaveLength(1);

    expect(run.summary).toContain('## Northflank: llama chat');
    expect(run.summary).toContain('the new rollout is running');
    expect(run.summary).toContain('https://http--llama-chat--demo-project.emulator.code.run');
    expect(run.summary).toMatch(/\| <code>starting<\/code> \| \+\S+ \| \S+ \|/);
  });

  it('reads the spec from spec-file in the workspace', async () => {
    const emu = await start();
    const yaml = [
      'configuration:',
      '  name: mistralai/Mistral-7B-Instruct-v0.3',
      '  nodeConfiguration:',
      '    gpu: { enabled: true, configuration: { gpuType: nvidia-a100, gpuCount: 2 } }',
      '  architecture:',
      '    workerConfig:',
      '      parallelismConfig: { tensorParallelism: 2 }',
      '      sequenceLengthConfig: { maxModelLength: auto }',
      '',
    ].join('\n');
    const missing = await world.run({ 'spec-file': 'model/spec.yaml' });
    // No such file: an error naming the input, and nothing sent.
    expect(missing.code).toBe(1);
    expect(emu.requests).toHaveLength(0);
    expect(missing.stdout).toMatch(
      /Input "spec-file" is invalid: "model\/spec.yaml" does not exist: looked for \/\S+\/model\/spec.yaml \(spec-file is relative to the workspace, GITHUB_WORKSPACE \/\S+\); did the workflow run actions\/checkout first\?/,
    );

    const ok = await world.run({ 'spec-file': 'spec.yaml' }, { files: { 'spec.yaml': yaml } });
    expect(ok.code).toBe(0);
    expect(emu.requests[1]!.body).toEqual({
      spec: {
        configuration: {
          name: 'mistralai/Mistral-7B-Instruct-v0.3',
          nodeConfiguration: {
            gpu: { enabled: true, configuration: { gpuType: 'nvidia-a100', gpuCount: 2 } },
          },
          architecture: {
            workerConfig: {
              parallelismConfig: { tensorParallelism: 2 },
              sequenceLengthConfig: { maxModelLength: 'auto' },
            },
          },
        },
      },
    });
    expect(ok.outputs.outcome).toBe('running');
  });
});

describe('API errors', () => {
  it('a wrong token fails at once, naming the fix, without retrying', async () => {
    const emu = await start();
    const run = await world.run({ 'api-token': 'nf-wrong-token', spec: SPEC });
    expect(run.code).toBe(1);
    expect(emu.requests).toHaveLength(1);
    expect(run.stdout).toMatch(
      /^::error title=Token refused::Northflank API GET \/v1\/projects\/demo-project\/llm-model-deployments\/llama-chat failed with HTTP 401: Unauthorized/m,
    );
    expect(run.stdout).toMatch(/Request id: emu-err-\d+/);
    expect(run.stdout).toMatch(
      /check that the api-token secret holds a current Northflank API token/,
    );
    expect(run.outputs.outcome).toBe('error');
    expect(leaks(run, 'nf-wrong-token')).toEqual([]);
  });
});
