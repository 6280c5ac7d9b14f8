/**
 * Issue 19, what a new user meets: an unknown spec key names the field meant; fields newer than
 * the action can be sent on purpose; the log and summary say what the plan found (and an
 * unchanged run shows no wait and no rollout); each secret is masked once; outputs that do not
 * apply are empty; a job-level environment and the environment input together draw a warning.
 * `run()` in-process against the emulator, rollouts of 0.3 s, on a fake clock the emulator shares;
 * first-day.e2e.test.ts runs the bundle once, in a fresh process.
 */
import { describe, expect, it } from '@jest/globals';
import type { Emulator, EmulatorOptions } from '../../emulator/server.js';
import type { InProcessRun, World } from '../helpers/harness.js';
import { DEMO_SPEC_YAML as CURRENT_SPEC_YAML, FIRST_DAY, startTwin } from '../helpers/twins.js';

const WORKER = 'configuration.architecture.workerConfig';

let world: World;
async function emulator(options: EmulatorOptions = {}): Promise<Emulator> {
  world = await startTwin(FIRST_DAY, 'in-process', options);
  return world.emu;
}

/** Runs the action against the emulator last started, with `runner` as the runner's environment. */
function deploy(
  inputs: Record<string, string>,
  files: Record<string, string> = {},
  runner?: (workspace: string) => Record<string, string>,
): Promise<InProcessRun> {
  return world.run(inputs, { files, ...(runner ? { env: runner } : {}) });
}

const posts = (emu: Emulator): unknown[] =>
  emu.requests.filter((r) => r.method === 'POST').map((r) => r.body);

describe('an unknown spec key', () => {
  it("names the field meant, by vLLM's own name, and sends nothing", async () => {
    const emu = await emulator();
    const { report } = await deploy({
      spec: JSON.stringify({
        configuration: { architecture: { workerConfig: { tensorParallelSize: 2 } } },
      }),
    });
    expect(report.outcome).toBe('error');
    expect(report.message).toContain(
      `Input "spec" is invalid: at ${WORKER}: Unrecognized key: "tensorParallelSize"; did you mean ${WORKER}.parallelismConfig.tensorParallelism (vLLM's --tensor-parallel-size)?`,
    );
    expect(report.message).toContain('docs/spec-reference.md');
    expect(report.message).toContain('allow-unknown-spec-fields: true');
    expect(emu.requests).toEqual([]);
  });

  it('names the field meant for a misspelling in a spec-file, each of several keys', async () => {
    await emulator();
    const { report } = await deploy(
      { 'spec-file': 'model/spec.yaml' },
      {
        'model/spec.yaml': `configuration:\n  architecture:\n    workerConfig:\n      gpuMemoryUtilisation: 0.9\n      max_model_len: 4096\n`,
      },
    );
    expect(report.message).toContain(
      `at ${WORKER}: Unrecognized keys: "gpuMemoryUtilisation", "max_model_len"; "gpuMemoryUtilisation": did you mean ${WORKER}.gpuMemoryUtilization?; "max_model_len": did you mean ${WORKER}.sequenceLengthConfig.maxModelLength (vLLM's --max-model-len)?`,
    );
  });
});

describe('allow-unknown-spec-fields', () => {
  const NEWER = `${WORKER}.speculativeConfig`;
  const spec = JSON.stringify({
    configuration: {
      name: 'Qwen/Qwen3-8B',
      architecture: { workerConfig: { speculativeConfig: { method: 'eagle', tokens: 3 } } },
    },
  });

  it('sends the unknown fields as given, with a warning naming them; a second run is unchanged', async () => {
    const emu = await emulator({ newSpecFields: [NEWER] });
    const first = await deploy({ spec, 'allow-unknown-spec-fields': 'true' });
    expect(first.report.outcome).toBe('running');
    expect(posts(emu)).toEqual([
      {
        spec: {
          configuration: {
            name: 'Qwen/Qwen3-8B',
            architecture: { workerConfig: { speculativeConfig: { method: 'eagle', tokens: 3 } } },
          },
        },
      },
    ]);
    expect(first.lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^warning: \\[Spec fields not validated\\] Sending spec fields the action does not know, as given and not validated \\(allow-unknown-spec-fields is true\\): ${NEWER.replace(/\./g, '\\.')}\\.`,
        ),
      ),
    );

    const second = await deploy({ spec, 'allow-unknown-spec-fields': 'true' });
    expect(second.report.outcome).toBe('unchanged');
    expect(posts(emu)).toHaveLength(1);
    // Nothing was sent: no warning that it was, only a line that they were not validated.
    expect(second.lines.join('\n')).not.toMatch(/Sending spec fields|Spec fields not validated/);
    expect(second.lines).toContain(
      `Spec fields the action does not know were compared with the deployment but not validated (allow-unknown-spec-fields is true); the spec is not sent, so neither are they: ${NEWER}.`,
    );
  });

  it('names the known field a misspelt key most likely means, in the warning', async () => {
    await emulator();
    const { report, lines } = await deploy({
      spec: JSON.stringify({
        configuration: { architecture: { workerConfig: { tensorParallelSize: 2 } } },
      }),
      'allow-unknown-spec-fields': 'true',
      'dry-run': 'true',
    });
    expect(report.outcome).toBe('dry-run');
    expect(lines.find((l) => l.startsWith('warning: [Spec fields not validated]'))).toContain(
      `Would send spec fields the action does not know, as given and not validated (allow-unknown-spec-fields is true): ${WORKER}.tensorParallelSize (did you mean ${WORKER}.parallelismConfig.tensorParallelism (vLLM's --tensor-parallel-size)?).`,
    );
  });

  it('is off by default, and still validates the fields the action knows', async () => {
    const emu = await emulator({ newSpecFields: [NEWER] });
    const off = await deploy({ spec });
    expect(off.report.message).toMatch(/Unrecognized key: "speculativeConfig"/);
    const bad = JSON.stringify({
      configuration: {
        architecture: { workerConfig: { speculativeConfig: {}, gpuMemoryUtilization: 2 } },
      },
    });
    const on = await deploy({ spec: bad, 'allow-unknown-spec-fields': 'true' });
    expect(on.report.outcome).toBe('error');
    expect(on.report.message).toMatch(/gpuMemoryUtilization: Too big/);
    expect(posts(emu)).toEqual([]);
  });
});

describe('a spec field given as null', () => {
  it('is "not set": neither compared nor sent, with a notice, whatever its type', async () => {
    const emu = await emulator();
    // Null for a string (revision) and for a field the schema allows null (shmSize) alike.
    const spec = `${CURRENT_SPEC_YAML.replace(
      '  nodeConfiguration:\n',
      '  nodeConfiguration:\n    storage: { shmSize: null }\n',
    )}  revision: ~\n`;
    const { report, lines } = await deploy({ 'spec-file': 'spec.yaml' }, { 'spec.yaml': spec });
    expect(report.outcome).toBe('unchanged');
    expect(posts(emu)).toEqual([]);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^notice: \[Null spec fields not sent\] Spec fields given as null are not sent: .* Left out: configuration\.nodeConfiguration\.storage\.shmSize, configuration\.revision\./,
      ),
    );
  });

  it('is left out of an update that changes other fields', async () => {
    const emu = await emulator();
    const { report } = await deploy({
      spec: JSON.stringify({ configuration: { name: 'Qwen/Qwen3-8B', revision: null } }),
    });
    expect(report.outcome).toBe('running');
    expect(posts(emu)).toEqual([{ spec: { configuration: { name: 'Qwen/Qwen3-8B' } } }]);
  });

  it('a wrong type that is not null is still refused', async () => {
    const emu = await emulator();
    const { report } = await deploy({
      spec: JSON.stringify({ configuration: { revision: 3 } }),
    });
    expect(report.outcome).toBe('error');
    expect(report.message).toMatch(/Input "spec" is invalid: at configuration\.revision: /);
    expect(emu.requests).toEqual([]);
  });
});

describe('the log and summary say what the plan found', () => {
  it('an unchanged run: the fields given, all in place, no wait group and no rollout row', async () => {
    await emulator();
    const { report, lines, summary, outputs } = await deploy(
      { 'spec-file': 'spec.yaml', description: 'Chat model served by vLLM' },
      { 'spec.yaml': CURRENT_SPEC_YAML },
    );
    expect(report.outcome).toBe('unchanged');
    expect(lines.join('\n')).toMatch(/fields given: description, spec;/);
    expect(lines.join('\n')).not.toMatch(/fields to change|Will change/);
    expect(lines).not.toContain('group: Waiting for the rollout');
    expect(lines.join('\n')).not.toMatch(/Status: /);
    expect(summary).not.toMatch(/Rollout timeline|previous rollout/);
    expect(summary).toContain('| Fields updated | none |');
    expect(summary).toContain('| Already in place | description, spec |');
    expect(outputs.changes).toBe('[]');
  });

  it('a run that changes one field of two: which will change, which is in place', async () => {
    await emulator();
    const { report, lines, summary } = await deploy(
      { 'spec-file': 'spec.yaml', description: 'Qwen on one L4' },
      { 'spec.yaml': CURRENT_SPEC_YAML },
    );
    expect(report.outcome).toBe('updated');
    expect(lines).toContain('Will change: description (1 setting).');
    expect(lines).toContain('Already in place: spec.');
    expect(summary).toContain('| Fields updated | description |');
    expect(summary).toContain('| Already in place | spec |');
  });

  it('ports in place by what GET shows that give domains: re-sent, and the summary says why, not "updated"', async () => {
    const emu = await emulator();
    const ports = [
      {
        name: 'http',
        internalPort: 8000,
        protocol: 'HTTP',
        public: true,
        domains: ['llm.example.com'],
      },
    ];
    const { report, summary } = await deploy({ ports: JSON.stringify(ports) });
    expect(report.outcome).toBe('updated');
    expect(posts(emu)).toEqual([{ ports }]);
    expect(summary).toContain('| Fields updated | none |');
    expect(summary).toContain(
      '| Re-sent | ports (they give domains, which a GET never reports, so they cannot be confirmed) |',
    );
    expect(summary).toContain(
      'None that GET can show; ports were re-sent because they give domains, which a GET never reports, so they cannot be confirmed.',
    );
    expect(summary).not.toContain('None: the deployment already matches');
  });

  it('a rollout still has its timeline', async () => {
    await emulator();
    const { report, lines, summary } = await deploy({
      spec: JSON.stringify({ configuration: { name: 'Qwen/Qwen3-8B' } }),
    });
    expect(report.outcome).toBe('running');
    expect(lines).toContain('group: Waiting for the rollout');
    expect(summary).toMatch(/### Rollout timeline/);
  });
});

describe('secrets and outputs', () => {
  it('masks each secret once in-process too', async () => {
    const emu = await emulator();
    const { masked, report } = await deploy(
      { 'spec-file': 'spec.yaml', 'smoke-api-key': 'sk-model-key' },
      { 'spec.yaml': CURRENT_SPEC_YAML },
    );
    expect(report.outcome).toBe('unchanged');
    expect(masked.filter((s) => s === emu.token)).toHaveLength(1);
    expect(masked.filter((s) => s === 'sk-model-key')).toHaveLength(1);
  });

  it('leaves empty the outputs that do not apply', async () => {
    await emulator();
    const ran = await deploy({ spec: '{"configuration": {"name": "Qwen/Qwen3-8B"}}' });
    expect(ran.outputs.models).toBe('');
    expect(ran.outputs.changes).not.toBe('');
    const failed = await deploy({ 'project-id': 'Not An Id' });
    expect(failed.report.outcome).toBe('error');
    expect({
      models: failed.outputs.models,
      changes: failed.outputs.changes,
      ports: failed.outputs.ports,
      status: failed.outputs.status,
    }).toEqual({ models: '', changes: '', ports: '', status: '' });
  });
});

describe('a job-level environment and the environment input', () => {
  const workflow = (environment: string): string =>
    `on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n${environment}    steps:\n      - uses: your-org/northflank-llm-deploy-action@v1\n`;
  const runner = (workspace: string): Record<string, string> => ({
    GITHUB_WORKFLOW_REF: 'acme/models/.github/workflows/deploy.yml@refs/heads/main',
    GITHUB_REPOSITORY: 'acme/models',
    GITHUB_JOB: 'deploy',
    GITHUB_WORKSPACE: workspace,
  });
  const inputs = { environment: 'production', 'github-token': 'ghs_x', 'dry-run': 'true' };

  it('warns when both are set', async () => {
    await emulator();
    const { lines } = await deploy(
      inputs,
      { '.github/workflows/deploy.yml': workflow('    environment:\n      name: production\n') },
      runner,
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^warning: \[Two GitHub deployments per run\] The job "deploy" has a job-level environment \("production"\) and the action's environment input is set too/,
      ),
    );
  });

  it('says nothing when the job has none, and says why in debug when it cannot tell', async () => {
    await emulator();
    const plain = await deploy(inputs, { '.github/workflows/deploy.yml': workflow('') }, runner);
    expect(plain.lines.filter((l) => l.startsWith('warning:'))).toEqual([]);
    const unknown = await deploy(inputs, {}, runner);
    expect(unknown.lines).toContain(
      'debug: Cannot tell whether the job has a job-level environment: .github/workflows/deploy.yml is not in the workspace (no checkout?).',
    );
  });
});
