/**
 * Issue 19, what a new user meets: an unknown spec key names the field meant; fields newer than
 * the action can be sent on purpose; the log and summary say what the plan found (and an
 * unchanged run shows no wait and no rollout); each secret is masked once; outputs that do not
 * apply are empty; a job-level environment and the environment input together draw a warning.
 * `run()` in-process against the emulator, rollouts of 0.3 s, on a fake clock the emulator shares
 * (the one bundle run is on the machine's).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { run, type RunDeps } from '../src/main.js';
import type { RunReport } from '../src/action/report.js';
import { MAX_INPUT_BYTES, readWorkspaceFile } from '../src/action/files.js';
import {
  emulatorInputs,
  startEmulator,
  type Emulator,
  type EmulatorOptions,
} from '../emulator/server.js';
import { recordingLogger } from './helpers/recording-logger.js';
import { runAction } from './helpers/action.js';
import { FakeClock } from './helpers/fake-clock.js';
import { seededRandom } from './helpers/in-process.js';

const WORKER = 'configuration.architecture.workerConfig';
/** The emulator's demo deployment's spec, as a user would keep it in git (YAML). */
const CURRENT_SPEC_YAML = `configuration:
  name: meta-llama/Llama-3.1-8B-Instruct
  engine: vllm
  nodeConfiguration:
    gpu: { enabled: true, configuration: { gpuType: nvidia-l4, gpuCount: 1 } }
`;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** The clock of the emulator last started on fake time, which `deploy` runs on. */
let clock = new FakeClock(Date.now());

async function emulator(options: EmulatorOptions = {}, realTime = false): Promise<Emulator> {
  clock = new FakeClock(Date.now());
  const fake = clock;
  const emu = await startEmulator({
    plan: { pendingMs: 100, provisioningMs: 100, startingMs: 100 },
    ...(realTime ? {} : { now: () => fake.now() }),
    ...options,
  });
  cleanup.push(() => emu.close());
  return emu;
}

interface Ran {
  report: RunReport;
  lines: string[];
  outputs: Record<string, string>;
  summary: string;
  masked: string[];
}

async function deploy(
  emu: Emulator,
  inputs: Record<string, string>,
  files: Record<string, string> = {},
  runnerEnv?: (workspace: string) => RunDeps['env'],
): Promise<Ran> {
  const workspace = mkdtempSync(path.join(tmpdir(), 'first-day-'));
  cleanup.push(() => {
    rmSync(workspace, { recursive: true, force: true });
    return Promise.resolve();
  });
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(workspace, file)), { recursive: true });
    writeFileSync(path.join(workspace, file), text);
  }
  const values: Record<string, string> = {
    ...emulatorInputs(emu),
    'poll-interval': '100ms',
    'rollout-start-grace': '2s',
    timeout: '20s',
    ...inputs,
  };
  const { log, lines } = recordingLogger();
  const outputs: Record<string, string> = {};
  const summaries: string[] = [];
  const masked: string[] = [];
  const report = await run({
    inputs: {
      getInput: (name) => values[name] ?? '',
      setSecret: (value) => masked.push(value),
      readFile: (file) => readWorkspaceFile(workspace, file, MAX_INPUT_BYTES),
      workspace,
    },
    clock,
    random: seededRandom(0x5eed),
    signal: new AbortController().signal,
    log,
    outputs: { setOutput: (name, value) => (outputs[name] = value) },
    summary: {
      write: (markdown) => {
        summaries.push(markdown);
        return Promise.resolve();
      },
    },
    ...(runnerEnv ? { env: runnerEnv(workspace) } : {}),
  });
  return { report, lines, outputs, summary: summaries.join('\n'), masked };
}

const posts = (emu: Emulator): unknown[] =>
  emu.requests.filter((r) => r.method === 'POST').map((r) => r.body);

describe('an unknown spec key', () => {
  it("names the field meant, by vLLM's own name, and sends nothing", async () => {
    const emu = await emulator();
    const { report } = await deploy(emu, {
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
    const emu = await emulator();
    const { report } = await deploy(
      emu,
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
    const first = await deploy(emu, { spec, 'allow-unknown-spec-fields': 'true' });
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

    const second = await deploy(emu, { spec, 'allow-unknown-spec-fields': 'true' });
    expect(second.report.outcome).toBe('unchanged');
    expect(posts(emu)).toHaveLength(1);
    // Nothing was sent: no warning that it was, only a line that they were not validated.
    expect(second.lines.join('\n')).not.toMatch(/Sending spec fields|Spec fields not validated/);
    expect(second.lines).toContain(
      `Spec fields the action does not know were compared with the deployment but not validated (allow-unknown-spec-fields is true); the spec is not sent, so neither are they: ${NEWER}.`,
    );
  });

  it('names the known field a misspelt key most likely means, in the warning', async () => {
    const emu = await emulator();
    const { report, lines } = await deploy(emu, {
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
    const off = await deploy(emu, { spec });
    expect(off.report.message).toMatch(/Unrecognized key: "speculativeConfig"/);
    const bad = JSON.stringify({
      configuration: {
        architecture: { workerConfig: { speculativeConfig: {}, gpuMemoryUtilization: 2 } },
      },
    });
    const on = await deploy(emu, { spec: bad, 'allow-unknown-spec-fields': 'true' });
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
    const { report, lines } = await deploy(
      emu,
      { 'spec-file': 'spec.yaml' },
      { 'spec.yaml': spec },
    );
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
    const { report } = await deploy(emu, {
      spec: JSON.stringify({ configuration: { name: 'Qwen/Qwen3-8B', revision: null } }),
    });
    expect(report.outcome).toBe('running');
    expect(posts(emu)).toEqual([{ spec: { configuration: { name: 'Qwen/Qwen3-8B' } } }]);
  });

  it('a wrong type that is not null is still refused', async () => {
    const emu = await emulator();
    const { report } = await deploy(emu, {
      spec: JSON.stringify({ configuration: { revision: 3 } }),
    });
    expect(report.outcome).toBe('error');
    expect(report.message).toMatch(/Input "spec" is invalid: at configuration\.revision: /);
    expect(emu.requests).toEqual([]);
  });
});

describe('the log and summary say what the plan found', () => {
  it('an unchanged run: the fields given, all in place, no wait group and no rollout row', async () => {
    const emu = await emulator();
    const { report, lines, summary, outputs } = await deploy(
      emu,
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
    const emu = await emulator();
    const { report, lines, summary } = await deploy(
      emu,
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
    const { report, summary } = await deploy(emu, { ports: JSON.stringify(ports) });
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
    const emu = await emulator();
    const { report, lines, summary } = await deploy(emu, {
      spec: JSON.stringify({ configuration: { name: 'Qwen/Qwen3-8B' } }),
    });
    expect(report.outcome).toBe('running');
    expect(lines).toContain('group: Waiting for the rollout');
    expect(summary).toMatch(/### Rollout timeline/);
  });
});

describe('secrets and outputs', () => {
  it('prints ::add-mask:: once for the token, though a YAML spec-file makes the inputs parse twice', async () => {
    // The bundle in a fresh process: in-process, an earlier test has loaded the YAML parser already.
    const emu = await emulator({}, true);
    const ran = await runAction({
      inputs: { ...emulatorInputs(emu), 'spec-file': 'spec.yaml', 'smoke-api-key': 'sk-model-key' },
      files: { 'spec.yaml': CURRENT_SPEC_YAML },
    });
    expect(ran.outputs.outcome).toBe('unchanged');
    const masks = ran.stdout.split('\n').filter((line) => line.startsWith('::add-mask::'));
    expect(masks).toEqual([`::add-mask::${emu.token}`, '::add-mask::sk-model-key']);
  });

  it('masks each secret once in-process too', async () => {
    const emu = await emulator();
    const { masked, report } = await deploy(
      emu,
      { 'spec-file': 'spec.yaml', 'smoke-api-key': 'sk-model-key' },
      { 'spec.yaml': CURRENT_SPEC_YAML },
    );
    expect(report.outcome).toBe('unchanged');
    expect(masked.filter((s) => s === emu.token)).toHaveLength(1);
    expect(masked.filter((s) => s === 'sk-model-key')).toHaveLength(1);
  });

  it('leaves empty the outputs that do not apply', async () => {
    const emu = await emulator();
    const ran = await deploy(emu, { spec: '{"configuration": {"name": "Qwen/Qwen3-8B"}}' });
    expect(ran.outputs.models).toBe('');
    expect(ran.outputs.changes).not.toBe('');
    const failed = await deploy(emu, { 'project-id': 'Not An Id' });
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
  const runner = (workspace: string): RunDeps['env'] => ({
    GITHUB_WORKFLOW_REF: 'acme/models/.github/workflows/deploy.yml@refs/heads/main',
    GITHUB_REPOSITORY: 'acme/models',
    GITHUB_JOB: 'deploy',
    GITHUB_WORKSPACE: workspace,
  });
  const inputs = { environment: 'production', 'github-token': 'ghs_x', 'dry-run': 'true' };

  it('warns when both are set', async () => {
    const emu = await emulator();
    const { lines } = await deploy(
      emu,
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
    const emu = await emulator();
    const plain = await deploy(
      emu,
      inputs,
      { '.github/workflows/deploy.yml': workflow('') },
      runner,
    );
    expect(plain.lines.filter((l) => l.startsWith('warning:'))).toEqual([]);
    const unknown = await deploy(emu, inputs, {}, runner);
    expect(unknown.lines).toContain(
      'debug: Cannot tell whether the job has a job-level environment: .github/workflows/deploy.yml is not in the workspace (no checkout?).',
    );
  });
});
