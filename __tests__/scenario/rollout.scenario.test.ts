/**
 * Rollouts against the emulator, `run()` in-process on a fake clock that the emulator shares:
 * stale reads, crashes, deletes, timeouts, rate limits, API errors. rollout.e2e.test.ts runs
 * the bundle itself through a rollout, a refused token and a spec-file.
 */
import { describe, expect, it } from '@jest/globals';
import {
  DEMO_DEPLOYMENT,
  type Emulator,
  type EmulatorOptions,
  toApi,
} from '../../emulator/server.js';
import { commandNames } from '../helpers/action.js';
import { once, type World } from '../helpers/harness.js';
import { FAST_PLAN, ROLLOUT, startTwin } from '../helpers/twins.js';

const SPEC = JSON.stringify({ configuration: { name: 'Qwen/Qwen3-8B', revision: 'main' } });

let world: World;
async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  world = await startTwin(ROLLOUT, 'in-process', options);
  return world.emu;
}

/** The read before the update comes from a replica two configurations behind. */
function answerFirstReadFromAStalerReplica(emu: Emulator): void {
  const older = toApi(emu.deployment(), world.clock.now());
  older.deploymentConfiguration = {
    id: 'cfg-0000',
    createdAt: new Date(world.clock.now() - 2 * 86_400_000).toISOString(),
  };
  emu.faults.push({
    method: 'GET',
    kind: 'raw',
    contentType: 'application/json',
    body: JSON.stringify({ data: older }),
  });
}

const methods = (emu: Emulator): string[] => emu.requests.map((r) => r.method);

// Issue 25: Northflank does not document whether an update that changes no configuration value
// rolls out; every case runs in both worlds the emulator plays.
describe.each([
  ['A (no rollout for a metadata update)', false],
  ['B (every update rolls out)', true],
])('rollouts against the emulator, world %s', (_world, metadataRollouts) => {
  const startWorld = (options: EmulatorOptions = {}): Promise<Emulator> =>
    start({ metadataRollouts, ...options });

  it('does not take a stale `running` after the update for the new rollout', async () => {
    // Stale for 800 ms of a 1.5 s rollout.
    const emu = await startWorld({
      staleReadMs: 800,
      plan: { ...FAST_PLAN, provisioningMs: 1000 },
    });
    const run = await world.run({ spec: SPEC });

    expect(run.code).toBe(0);
    expect(run.outputs['deployment-configuration-id']).toBe('cfg-0002');
    expect(run.outputs.outcome).toBe('running');
    // The first reads after the update were stale, and the action kept waiting through them.
    const postAt = emu.requests[1]!.atMs;
    const staleReads = emu.requests.filter(
      (r) => r.method === 'GET' && r.atMs > postAt && r.atMs < postAt + 800,
    );
    expect(staleReads.length).toBeGreaterThanOrEqual(2);
    expect(run.stdout).toMatch(/Status: running \(previous rollout\)/);
    expect(run.stdout).toMatch(/Status: running after \S+ starting/);
  });

  it('does not take the pre-update configuration for ours when the read before the update was staler still', async () => {
    const emu = await startWorld({
      staleReadMs: 1500,
      plan: { ...FAST_PLAN, provisioningMs: 1000 },
    });
    answerFirstReadFromAStalerReplica(emu);
    const run = await world.run({ spec: SPEC });

    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({
      outcome: 'running',
      'deployment-configuration-id': 'cfg-0002',
    });
  });

  it('ends a description-only update on what shows, even after such a stale read: updated, or its rollout running', async () => {
    const emu = await startWorld({ staleReadMs: 1500 });
    answerFirstReadFromAStalerReplica(emu);
    const run = await world.run({ description: 'Deployed from abc123' });

    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject(
      metadataRollouts
        ? { outcome: 'running', status: 'running', 'deployment-configuration-id': 'cfg-0002' }
        : { outcome: 'updated', status: 'running', 'deployment-configuration-id': 'cfg-0001' },
    );
  });

  it('fails at once on a crash, with the status in the outputs', async () => {
    const emu = await startWorld({ plan: { ...FAST_PLAN, ending: 'crashed' } });
    const run = await world.run({ spec: SPEC });

    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({
      outcome: 'crashed',
      status: 'crashed',
      'deployment-configuration-id': 'cfg-0002',
    });
    expect(run.stdout).toMatch(/^::error title=Rollout crashed::The new rollout crashed/m);
    expect(run.summary).toContain('The rollout crashed');
    // It stopped at the first crashed reading.
    const last = emu.requests.at(-1)!;
    expect(emu.requests.filter((r) => r.atMs >= last.atMs - 150)).toHaveLength(1);
  });

  it('fails when the deployment is paused during the rollout', async () => {
    await startWorld({ plan: { ...FAST_PLAN, ending: 'paused' } });
    const run = await world.run({ spec: SPEC });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ outcome: 'paused', status: 'paused' });
    expect(run.stdout).toMatch(/^::error title=Deployment paused::/m);
  });

  it('fails when the deployment is deleted during the rollout', async () => {
    await startWorld({ plan: { ...FAST_PLAN, ending: 'deleted', deletingMs: 10_000 } });
    const run = await world.run({ spec: SPEC });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ outcome: 'deleting', status: 'deleting' });
  });

  it('fails when the deployment disappears (404) while waiting', async () => {
    const emu = await startWorld({ plan: { ...FAST_PLAN, provisioningMs: 60_000 } });
    const removeAtMs = world.clock.now() + 1500;
    once(
      emu,
      () => world.clock.now() >= removeAtMs,
      () => {
        emu.remove();
      },
    );
    const run = await world.run({ spec: SPEC });
    expect(run.code).toBe(1);
    expect(run.outputs.outcome).toBe('deleted');
    // Northflank shows no status now: the output is empty, the message names the last one seen.
    expect(run.outputs.status).toBe('');
    expect(run.stdout).toMatch(/deleted during the rollout \(last seen provisioning/);
  });

  it('times out with how long it waited and the last status', async () => {
    await startWorld({ plan: { ...FAST_PLAN, provisioningMs: 60_000 } });
    const run = await world.run({ spec: SPEC, timeout: '3s' });

    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ outcome: 'timeout', status: 'provisioning' });
    expect(run.stdout).toMatch(
      /^::error title=Timed out::Timed out after [23]s waiting for the new rollout; the last status was "provisioning"/m,
    );
    expect(run.durationMs).toBeLessThan(6000);
    expect(run.durationMs).toBeGreaterThan(2400);
  });

  it('succeeds with a warning when a forced spec update starts no rollout, or follows the one it starts', async () => {
    const emu = await startWorld();
    const spec = JSON.stringify({ configuration: { engine: 'vllm' } });
    const run = await world.run({ spec, force: 'true', 'rollout-start-grace': '1s' });

    expect(run.code).toBe(0);
    expect(emu.requests[1]!.body).toEqual({ spec: JSON.parse(spec) as unknown });
    if (metadataRollouts) {
      expect(run.outputs).toMatchObject({
        outcome: 'running',
        status: 'running',
        'deployment-configuration-id': 'cfg-0002',
      });
      return;
    }
    expect(run.outputs).toMatchObject({
      outcome: 'no-rollout',
      status: 'running',
      'deployment-configuration-id': 'cfg-0001',
    });
    expect(run.stdout).toMatch(
      /^::warning title=No new rollout observed::No new rollout was observed within 1s/m,
    );
    expect(run.durationMs).toBeLessThan(5000);
  });

  it('keeps waiting past rollout-start-grace for a spec change whose rollout shows late', async () => {
    // Stale reads for 3 s, longer than the 1 s grace: not "no rollout", since the spec changed.
    await startWorld({ staleReadMs: 3000 });
    const run = await world.run({ spec: SPEC, 'rollout-start-grace': '1s' });

    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({
      outcome: 'running',
      'deployment-configuration-id': 'cfg-0002',
    });
    expect(run.stdout).toMatch(
      /^::warning title=New rollout not seen yet::No new rollout seen yet/m,
    );
  });

  it('calls 429s during the wait rate limiting, not an outage, in the log and the timeline', async () => {
    const emu = await startWorld();
    // Once the update is in, the next two reads are refused with 429.
    once(
      emu,
      () => emu.requests.some((r) => r.method === 'POST') && emu.requests.at(-1)?.method === 'GET',
      () => {
        emu.faults.push({
          method: 'GET',
          kind: 'status',
          status: 429,
          headers: { 'x-ratelimit-reset': '1' },
          times: 2,
        });
      },
    );
    const run = await world.run({ spec: SPEC });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^::warning::.*the Northflank API is rate limiting this token/m);
    expect(run.stdout).not.toMatch(/is not answering/);
    expect(run.summary).toContain('rate limited by the API');
  });

  it('uses the team-scoped paths when team-id is given', async () => {
    const emu = await startWorld();
    const run = await world.run({ spec: SPEC, 'team-id': DEMO_DEPLOYMENT.teamId });
    expect(run.code).toBe(0);
    expect(new Set(emu.requests.map((r) => r.path))).toEqual(
      new Set(['/v1/teams/demo-team/projects/demo-project/llm-model-deployments/llama-chat']),
    );
  });

  it('with wait: false, sends the update and returns without polling', async () => {
    const emu = await startWorld();
    const run = await world.run({ spec: SPEC, wait: 'false' });
    expect(run.code).toBe(0);
    expect(methods(emu)).toEqual(['GET', 'POST', 'GET']);
    expect(run.outputs).toMatchObject({
      outcome: 'not-waited',
      status: 'pending',
      'deployment-configuration-id': 'cfg-0002',
    });
  });

  it('with no fields to change, sends no update and waits for the current rollout', async () => {
    const emu = await startWorld();
    const run = await world.run();
    expect(run.code).toBe(0);
    expect(methods(emu)).toEqual(['GET', 'GET']);
    expect(run.outputs.outcome).toBe('running');
    expect(commandNames(run.stdout)).toContain('notice');
    // Nothing was sent: no "new rollout", no "since the update" (issue 25's hostile pass, #13).
    expect(run.report.message).toMatch(/The deployment is running \(no update was sent\)\./);
    expect(run.stdout).not.toMatch(/new rollout is running|since the update/);
  });
});

describe('API errors', () => {
  it('an unknown deployment fails with a 404 that names it', async () => {
    const emu = await start();
    const run = await world.run({ 'deployment-id': 'no-such-model', spec: SPEC });
    expect(run.code).toBe(1);
    expect(emu.requests).toHaveLength(1);
    expect(run.stdout).toMatch(
      /^::error title=Not found::.*HTTP 404: LLM model deployment "no-such-model" not found in project "demo-project"/m,
    );
    expect(run.stdout).toMatch(
      /Check that project "demo-project" has an LLM model deployment "no-such-model"/,
    );
  });

  it('an update the API refuses shows its message and details', async () => {
    const emu = await start();
    const run = await world.run({ tags: 'llm, no-such-tag' });
    expect(run.code).toBe(1);
    expect(methods(emu)).toEqual(['GET', 'POST']);
    expect(run.stdout).toMatch(/POST \S+ failed with HTTP 400: Tag\(s\) not found: no-such-tag/);
  });
});
