import { describe, expect, it } from '@jest/globals';
import type { Emulator, EmulatorOptions } from '../../emulator/server.js';
import { CancelledError } from '../../src/errors.js';
import { once, type InProcessRun, type World } from '../helpers/harness.js';
import { FAST_PLAN, PROTECT, startTwin } from '../helpers/twins.js';

// Issue 10: skip what is in place, confirm metadata-only updates, revert a failed rollout,
// per-phase deadlines. Rollouts of under a second, polled every 200 ms, run in-process on a fake
// clock that the emulator shares (durations below are the run's own time, not the machine's).

/** The emulator's demo deployment's spec, as a user would keep it in git. */
const CURRENT_SPEC_YAML = `configuration:
  name: meta-llama/Llama-3.1-8B-Instruct
  engine: vllm
  nodeConfiguration:
    gpu: { enabled: true, configuration: { gpuType: nvidia-l4, gpuCount: 1 } }
    storage: { storageClass: nvme, storageSize: 6144 }
`;
const NEW_MODEL = JSON.stringify({ configuration: { name: 'Qwen/Qwen3-8B' } });

let world: World;
async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  world = await startTwin(PROTECT, 'in-process', options);
  return world.emu;
}

/** Runs the action against the emulator last started. */
function deploy(
  extra: Record<string, string> = {},
  files: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<InProcessRun> {
  return world.run(extra, { files, ...(signal ? { signal } : {}) });
}

const posts = (emu: Emulator): unknown[] =>
  emu.requests.filter((r) => r.method === 'POST').map((r) => r.body);
const warnings = (run: InProcessRun): string[] =>
  run.stdout.split('\n').filter((line) => line.startsWith('::warning'));

describe('a configuration already in place', () => {
  it('sends nothing and succeeds within seconds: an unchanged spec-file and description', async () => {
    const emu = await start();
    const run = await deploy(
      { 'spec-file': 'model/spec.yaml', description: 'Chat model served by vLLM' },
      { 'model/spec.yaml': CURRENT_SPEC_YAML },
    );

    expect(run.code).toBe(0);
    expect(posts(emu)).toEqual([]);
    expect(run.durationMs).toBeLessThan(5000);
    expect(run.outputs).toMatchObject({
      outcome: 'unchanged',
      status: 'running',
      changes: '[]',
      'deployment-configuration-id': 'cfg-0001',
      'previous-configuration-id': 'cfg-0001',
    });
    expect(run.stdout).toMatch(/Nothing to change: description, spec are already in place/);
    expect(warnings(run)).toEqual([]);
    expect(run.summary).toContain('Unchanged: the configuration was already in place');
  });

  it('still runs the smoke test when asked', async () => {
    const emu = await start();
    const model = await world.startModel({ model: 'meta-llama/Llama-3.1-8B-Instruct' });
    const run = await deploy(
      { 'spec-file': 'spec.yaml', 'smoke-test': 'true', 'smoke-url': model.url },
      { 'spec.yaml': CURRENT_SPEC_YAML },
    );
    expect(run.code).toBe(0);
    expect(posts(emu)).toEqual([]);
    expect(run.outputs.outcome).toBe('unchanged');
    expect(JSON.parse(run.outputs.models!)).toEqual(['meta-llama/Llama-3.1-8B-Instruct']);
  });

  it('sends the update anyway with force: true', async () => {
    const emu = await start();
    const run = await deploy(
      {
        'spec-file': 'model/spec.yaml',
        force: 'true',
        'rollout-start-grace': '1s',
      },
      { 'model/spec.yaml': CURRENT_SPEC_YAML },
    );

    expect(posts(emu)).toHaveLength(1);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Already in place: spec \(sent anyway: force is true\)/);
  });

  it('waits for a rollout that is already under way, then succeeds as unchanged', async () => {
    const emu = await start();
    // The deployment is half way through rolling out the very spec the workflow gives.
    emu.deployment().rollout = {
      configurationId: 'cfg-0001',
      startedAtMs: world.clock.now(),
      plan: { ...emu.plan, pendingMs: 300, provisioningMs: 600, startingMs: 600 },
    };
    const run = await deploy({ 'spec-file': 'spec.yaml' }, { 'spec.yaml': CURRENT_SPEC_YAML });

    expect(run.code).toBe(0);
    expect(posts(emu)).toEqual([]);
    expect(run.outputs).toMatchObject({ outcome: 'unchanged', status: 'running' });
    expect(run.stdout).toMatch(/rollout that was under way is now running/);
  });

  it('fails, sending nothing, when that configuration is crashed', async () => {
    const emu = await start();
    emu.deployment().rollout.plan = { ...emu.plan, ending: 'crashed' };
    const run = await deploy({ 'spec-file': 'spec.yaml' }, { 'spec.yaml': CURRENT_SPEC_YAML });

    expect(run.code).toBe(1);
    expect(posts(emu)).toEqual([]);
    expect(run.outputs.outcome).toBe('crashed');
    expect(run.stdout).toMatch(
      /::error title=Rollout crashed::This configuration is already in place, and the deployment is crashed; nothing was sent.*force: true/,
    );
  });

  it('says the configuration was in place when the rollout under way then crashes', async () => {
    const emu = await start();
    emu.deployment().rollout = {
      configurationId: 'cfg-0001',
      startedAtMs: world.clock.now(),
      plan: { ...emu.plan, ending: 'crashed' },
    };
    const run = await deploy({ 'spec-file': 'spec.yaml' }, { 'spec.yaml': CURRENT_SPEC_YAML });

    expect(run.code).toBe(1);
    expect(posts(emu)).toEqual([]);
    expect(run.outputs.outcome).toBe('crashed');
    expect(run.stdout).toMatch(
      /::error title=Rollout crashed::This configuration is already in place \(nothing was sent\), and the rollout that was under way ended crashed/,
    );
    expect(run.stdout).not.toMatch(/no fields to change were given/);
  });

  it('fails when that configuration is paused', async () => {
    const emu = await start();
    emu.deployment().rollout.plan = { ...emu.plan, ending: 'paused' };
    const run = await deploy({ description: 'Chat model served by vLLM' });

    expect(run.code).toBe(1);
    expect(posts(emu)).toEqual([]);
    expect(run.outputs.outcome).toBe('paused');
    expect(run.stdout).toMatch(/already in place, and the deployment is paused/);
  });
});

describe('a metadata-only update', () => {
  it('sends only the description, ends in seconds as `updated`, with no warning', async () => {
    const emu = await start({ staleReadMs: 400 });
    const run = await deploy(
      {
        'spec-file': 'spec.yaml',
        description: 'Deployed from abc123',
        // The grace period is long: a metadata-only update must not wait it out.
        'rollout-start-grace': '60s',
      },
      { 'spec.yaml': CURRENT_SPEC_YAML },
    );

    expect(run.code).toBe(0);
    expect(posts(emu)).toEqual([{ description: 'Deployed from abc123' }]);
    expect(run.durationMs).toBeLessThan(10_000);
    expect(run.outputs).toMatchObject({
      outcome: 'updated',
      status: 'running',
      'deployment-configuration-id': 'cfg-0001',
    });
    expect(JSON.parse(run.outputs.changes!)).toEqual([
      { path: 'description', from: 'Chat model served by vLLM', to: 'Deployed from abc123' },
    ]);
    expect(JSON.parse(run.outputs.deployment!)).toMatchObject({
      description: 'Deployed from abc123',
    });
    expect(warnings(run)).toEqual([]);
    expect(run.stdout).toMatch(
      /Changes description: "Chat model served by vLLM" → "Deployed from abc123"/,
    );
    expect(run.summary).toContain('### Changes');
    expect(run.summary).toContain(
      'description: "Chat model served by vLLM" → "Deployed from abc123"',
    );
  });
});

describe('what changed', () => {
  it('is logged, summarised and output on every deploy, with the previous configuration id', async () => {
    await start();
    const run = await deploy({ spec: NEW_MODEL });

    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({
      outcome: 'running',
      'previous-configuration-id': 'cfg-0001',
      'deployment-configuration-id': 'cfg-0002',
    });
    expect(JSON.parse(run.outputs.changes!)).toEqual([
      {
        path: 'spec.configuration.name',
        from: 'meta-llama/Llama-3.1-8B-Instruct',
        to: 'Qwen/Qwen3-8B',
      },
    ]);
    expect(run.summary).toContain('| Previous configuration | <code>cfg-0001</code> |');
    expect(run.summary).toContain(
      'spec.configuration.name: "meta-llama/Llama-3.1-8B-Instruct" → "Qwen/Qwen3-8B"',
    );
  });

  it("is named in a failed rollout's message", async () => {
    const emu = await start({ plan: { ...FAST_PLAN, ending: 'crashed' } });
    const run = await deploy({ spec: NEW_MODEL });

    expect(run.code).toBe(1);
    expect(run.outputs.outcome).toBe('crashed');
    expect(run.stdout).toMatch(
      /::error title=Rollout crashed::The new rollout crashed.*The update carried: spec\.configuration\.name: "meta-llama\/Llama-3\.1-8B-Instruct" → "Qwen\/Qwen3-8B"/,
    );
    // Without revert-on-failure, nothing is sent back.
    expect(posts(emu)).toHaveLength(1);
  });
});

describe('revert-on-failure', () => {
  it('puts the previous values back after a crash: the old model runs again, the step fails as `reverted`', async () => {
    const emu = await start({ plans: [{ ...FAST_PLAN, ending: 'crashed' }] });
    const run = await deploy({
      spec: JSON.stringify({
        configuration: {
          name: 'Qwen/Qwen3-8B',
          nodeConfiguration: { storage: { storageSize: 8192 } },
        },
      }),
      description: 'Qwen 3',
      'revert-on-failure': 'true',
    });

    expect(run.code).toBe(1);
    const sent = posts(emu);
    expect(sent).toHaveLength(2);
    // Exactly the previous values of what the update changed.
    expect(sent[1]).toEqual({
      description: 'Chat model served by vLLM',
      spec: {
        configuration: {
          name: 'meta-llama/Llama-3.1-8B-Instruct',
          nodeConfiguration: { storage: { storageSize: 6144 } },
        },
      },
    });
    const d = emu.deployment();
    expect(d.configuration.name).toBe('meta-llama/Llama-3.1-8B-Instruct');
    expect(d.configuration.nodeConfiguration?.storage?.storageSize).toBe(6144);
    expect(d.description).toBe('Chat model served by vLLM');
    expect(run.outputs).toMatchObject({
      outcome: 'reverted',
      status: 'running',
      'previous-configuration-id': 'cfg-0001',
      'deployment-configuration-id': 'cfg-0003',
    });
    expect(run.stdout).toMatch(
      /::error title=Rollout failed; reverted::The new rollout crashed.*Reverted: the previous values of description, spec were sent back, and the deployment runs them again \(configuration cfg-0003\)/,
    );
    // The summary shows both rollouts.
    expect(run.summary).toContain('| <code>crashed</code> |');
    expect(run.summary).toContain('| <code>running &#40;revert&#41;</code> |');
  });

  it('reverts a rollout stuck past provisioning-timeout, and names the phase', async () => {
    // The revert's own rollout waits for a node longer than provisioning-timeout: the deadlines
    // per phase are the new rollout's; the revert has revert-timeout.
    const emu = await start({
      plans: [
        { ...FAST_PLAN, provisioningMs: 60_000 },
        { ...FAST_PLAN, provisioningMs: 2500 },
      ],
    });
    const run = await deploy({
      spec: NEW_MODEL,
      'provisioning-timeout': '1500ms',
      'revert-on-failure': 'true',
      // Few enough reads that the run's request budget does not space them out.
      'poll-interval': '1s',
    });

    expect(run.code).toBe(1);
    expect(posts(emu)).toHaveLength(2);
    expect(run.outputs.outcome).toBe('reverted');
    expect(run.stdout).toMatch(
      /waiting for a node \(pending\/provisioning\), past provisioning-timeout \(2s\)/,
    );
    expect(run.stdout).toMatch(/no capacity for the GPU in the spec \(nvidia-l4 x1\)/);
  });

  it("reverts a rollout that runs out of the step's timeout, with revert-timeout of its own", async () => {
    const emu = await start({ plans: [{ ...FAST_PLAN, startingMs: 60_000 }] });
    const run = await deploy({
      spec: NEW_MODEL,
      // Polled every 200 ms: by the deadline the run's request budget is spent, and the revert
      // must still be sent (the budget counts from its own deadline).
      timeout: '4s',
      'revert-on-failure': 'true',
    });

    expect(run.code).toBe(1);
    expect(posts(emu)).toHaveLength(2);
    expect(run.outputs).toMatchObject({ outcome: 'reverted', status: 'running' });
    expect(run.stdout).toMatch(/Timed out after 4s waiting for the new rollout/);
  }, 60_000);

  it('ends as `revert-failed` when the previous configuration crashes too', async () => {
    const emu = await start({
      plans: [
        { ...FAST_PLAN, ending: 'crashed' },
        { ...FAST_PLAN, ending: 'crashed' },
      ],
    });
    const run = await deploy({ spec: NEW_MODEL, 'revert-on-failure': 'true' });

    expect(run.code).toBe(1);
    expect(posts(emu)).toHaveLength(2);
    expect(run.outputs.outcome).toBe('revert-failed');
    expect(run.stdout).toMatch(
      /::error title=Revert failed::The new rollout crashed.*The revert did not bring it back/,
    );
  });

  it('lists spec settings the failed update added as not reverted', async () => {
    const emu = await start({ plans: [{ ...FAST_PLAN, ending: 'crashed' }] });
    const run = await deploy({
      spec: JSON.stringify({ configuration: { name: 'Qwen/Qwen3-8B', revision: 'v2' } }),
      'revert-on-failure': 'true',
    });

    expect(run.outputs.outcome).toBe('reverted');
    expect(posts(emu)[1]).toEqual({
      spec: { configuration: { name: 'meta-llama/Llama-3.1-8B-Instruct' } },
    });
    expect(run.stdout).toMatch(/Not reverted: spec\.configuration\.revision/);
    expect(run.stdout).toMatch(
      /runs them again \(configuration cfg-0003\), except for the settings the update added/,
    );
    expect(run.summary).toContain('### Not reverted');
    expect(run.summary).toContain(
      '**↩️ The rollout failed and was reverted to the previous values, except 1 spec setting(s) the update added (see Not reverted)**',
    );
    // The message keeps its advice at the end, however long it is.
    expect(run.summary).toMatch(
      /^> .*set them in your spec&#41;\. The update carried: .*→ "v2"\.$/m,
    );
    expect(run.summary).not.toMatch(/characters cut/);
  });

  it("does not revert after superseded: the newer rollout is someone else's", async () => {
    // Our rollout would crash; someone else's update lands while it is still provisioning.
    const emu = await start({
      plans: [{ ...FAST_PLAN, provisioningMs: 3000, ending: 'crashed' }],
    });
    once(
      emu,
      () => posts(emu).length === 1 && emu.requests.filter((r) => r.method === 'GET').length >= 4,
      () => {
        // Another update, straight to the API.
        const d = emu.deployment();
        d.configuration = { ...d.configuration, revision: 'someone-else' };
        d.rollout = {
          configurationId: 'cfg-9999',
          startedAtMs: world.clock.now(),
          plan: { ...emu.plan },
        };
      },
    );
    const run = await deploy({ spec: NEW_MODEL, 'revert-on-failure': 'true' });
    expect(run.outputs.outcome).toBe('superseded');
    expect(posts(emu)).toHaveLength(1);
  });

  it('does not revert after a cancel', async () => {
    const emu = await start({ plan: { ...FAST_PLAN, provisioningMs: 60_000 } });
    const cancel = new AbortController();
    // The runner's SIGINT, after three reads (the signal handler itself is proven black-box in
    // faults.e2e.test.ts).
    once(
      emu,
      () => emu.requests.filter((r) => r.method === 'GET').length >= 4,
      () => {
        cancel.abort(new CancelledError('SIGINT'));
      },
    );
    const run = await deploy({ spec: NEW_MODEL, 'revert-on-failure': 'true' }, {}, cancel.signal);
    expect(run.outputs.outcome).toBe('cancelled');
    expect(posts(emu)).toHaveLength(1);
    expect(run.stdout).toMatch(
      /::error title=Cancelled::Cancelled by SIGINT.*The update had been sent and goes on rolling out in Northflank/,
    );
  });

  it('does not revert when nothing was sent, or when not asked', async () => {
    const emu = await start({ plan: { ...FAST_PLAN, ending: 'crashed' } });
    emu.deployment().rollout.plan = { ...emu.plan, ending: 'crashed' };
    const run = await deploy({
      description: 'Chat model served by vLLM',
      'revert-on-failure': 'true',
    });
    expect(run.outputs.outcome).toBe('crashed');
    expect(posts(emu)).toEqual([]);
  });
});

describe('deadlines per phase', () => {
  it('fails a rollout stuck in provisioning past provisioning-timeout, naming the phase', async () => {
    await start({ plan: { ...FAST_PLAN, provisioningMs: 60_000 } });
    const run = await deploy({ spec: NEW_MODEL, 'provisioning-timeout': '1s' });

    expect(run.code).toBe(1);
    expect(run.durationMs).toBeLessThan(6000);
    expect(run.outputs).toMatchObject({ outcome: 'timeout', status: 'provisioning' });
    expect(run.stdout).toMatch(
      /::error title=Timed out::The new rollout spent 1s waiting for a node \(pending\/provisioning\), past provisioning-timeout \(1s\)/,
    );
    expect(run.stdout).toMatch(/Where the time went: .*pending \d+ms, provisioning \d/);
  });

  it('fails a rollout stuck starting past starting-timeout, naming the phase', async () => {
    await start({ plan: { ...FAST_PLAN, startingMs: 60_000 } });
    // Few enough reads that the run's request budget does not space them out: on the fake
    // clock a read takes no time, so 200 ms polls would spend the burst before the deadline.
    const run = await deploy({
      spec: NEW_MODEL,
      'starting-timeout': '1s',
      'poll-interval': '1s',
    });

    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ outcome: 'timeout', status: 'starting' });
    expect(run.stdout).toMatch(
      /spent 1s starting, past starting-timeout \(1s\).*too large to load in time/,
    );
  });

  it('says where the time went when the whole step times out', async () => {
    await start({ plan: { ...FAST_PLAN, startingMs: 60_000 } });
    const run = await deploy({ spec: NEW_MODEL, timeout: '3s' });

    expect(run.outputs.outcome).toBe('timeout');
    expect(run.stdout).toMatch(
      /Where the time went: .*pending \S+, provisioning \S+, starting \S+/,
    );
  });
});
