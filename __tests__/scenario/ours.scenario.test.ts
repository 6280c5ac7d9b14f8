/**
 * Issue 9: the step's result is about the rollout this update started. `run()` runs in-process
 * against the emulator playing a busy production API (lagging replicas, someone else's update
 * mid-wait, outages of many seconds, a status that flaps), both on one fake clock: minutes of
 * API time take milliseconds. ours.e2e.test.ts runs the bundle for what needs real sockets.
 */
import { describe, expect, it } from '@jest/globals';
import type { Emulator, EmulatorOptions } from '../../emulator/server.js';
import { once, startGitHub, type World } from '../helpers/harness.js';
import { OURS, OURS_PLAN as FAST_PLAN, startTwin } from '../helpers/twins.js';

const start = (options: EmulatorOptions = {}): Promise<World> =>
  startTwin(OURS, 'in-process', options);

/** An update sent to the emulator by someone else (another run, a person in the UI). */
async function foreignUpdate(e: Emulator): Promise<void> {
  const response = await fetch(
    `${e.url}/v1/projects/demo-project/llm-model-deployments/llama-chat`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${e.token}`, 'content-type': 'application/json' },
      body: '{"spec": {"configuration": {"revision": "someone-else"}}}',
    },
  );
  expect(response.status).toBe(200);
}

const gets = (e: Emulator): number => e.requests.filter((r) => r.method === 'GET').length;
const posts = (e: Emulator): number => e.requests.filter((r) => r.method === 'POST').length;

describe('stale reads after a fresh one (defect 1)', () => {
  it('a lagging replica showing the old configuration running never ends the wait as success', async () => {
    // Every other read for 3 s after the update comes from a replica still on cfg-0001.
    const env = await start({ staleReadMs: 3000, staleReads: 'alternate' });
    const run = await env.run();
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({
      outcome: 'running',
      status: 'running',
      'deployment-configuration-id': 'cfg-0002',
    });
    // Success came from a reading of our rollout, after the rollout had ended.
    const rollout = env.emu.deployment().rollout;
    const last = env.emu.requests.filter((r) => r.method === 'GET').at(-1)!;
    expect(last.atMs).toBeGreaterThanOrEqual(rollout.startedAtMs + 1000);
    expect(run.stdout).toMatch(/Status: running \(previous rollout\)/);
  });

  it('the previous configuration back for longer than rollout-start-grace: rolled-back, both ids named', async () => {
    const env = await start({ plan: { ...FAST_PLAN, provisioningMs: 5000 } });
    const { emu: e } = env;
    // Once the action has seen our rollout (two reads after the update), the deployment goes
    // back to cfg-0001.
    once(
      e,
      () => posts(e) === 1 && gets(e) >= 4,
      () => {
        e.deployment().rollout = { ...e.deployment().rollout, configurationId: 'cfg-0001' };
        e.deployment().rollout.startedAtMs = 0;
      },
    );
    const run = await env.run();
    expect(run.code).toBe(1);
    expect(run.outputs.outcome).toBe('rolled-back');
    expect(run.outputs['deployment-configuration-id']).toBe('cfg-0001');
    expect(run.stdout).toMatch(
      /^::error title=Rolled back::The deployment is back on its previous configuration cfg-0001 .*our rollout \(configuration cfg-0002\)/m,
    );
  });
});

describe('someone else updates the deployment during the wait (defect 2)', () => {
  it('a third configuration ends the wait as superseded, names both, and says how to avoid it', async () => {
    const env = await start({ plan: { ...FAST_PLAN, provisioningMs: 3000 } });
    const { emu: e } = env;
    const github = await startGitHub();
    once(
      e,
      () => posts(e) === 1 && gets(e) >= 4,
      () => foreignUpdate(e),
    );
    const run = await env.run(
      { environment: 'production' },
      {
        env: {
          GITHUB_API_URL: github.url,
          GITHUB_SERVER_URL: 'https://github.example',
          GITHUB_REPOSITORY: 'acme/models',
          GITHUB_SHA: 'c0ffee',
          GITHUB_RUN_ID: '77',
          GITHUB_TOKEN: 'ghs_workflow_token',
        },
      },
    );
    expect(run.code).toBe(1);
    expect(run.outputs.outcome).toBe('superseded');
    // The outputs carry the latest reading: the newer configuration.
    expect(run.outputs['deployment-configuration-id']).toBe('cfg-0003');
    const error = /^::error title=([^:]*)::(.*)$/m.exec(run.stdout);
    expect(error?.[1]).toBe('Superseded by another update');
    expect(error?.[2]).toContain('cfg-0002');
    expect(error?.[2]).toContain('cfg-0003');
    expect(error?.[2]).toMatch(/concurrency/);
    expect(github.calls.at(-1)?.body).toMatchObject({ state: 'inactive' });
    expect(run.summary).toMatch(/superseded/i);
  });
});

describe('API outages during the wait (defect 3)', () => {
  // A 12 s rollout, and an outage of 25 s starting a second into the wait.
  const PLAN = { pendingMs: 1000, provisioningMs: 8000, startingMs: 3000 };

  it.each([
    ['503s', { kind: 'status', status: 503 } as const],
    ['connection resets', { kind: 'reset' } as const],
  ])('25 s of %s mid-wait with timeout 10m: success', async (_name, fault) => {
    const env = await start({ plan: PLAN });
    const { emu: e, clock } = env;
    let outageEndsAt = 0;
    once(
      e,
      () => posts(e) === 1 && gets(e) >= 3,
      () => {
        outageEndsAt = clock.now() + 25_000;
        e.faults.push({ method: 'GET', ...fault, untilMs: outageEndsAt });
      },
    );
    const run = await env.run({ timeout: '10m', 'poll-interval': '5s' });
    expect(outageEndsAt).toBeGreaterThan(0);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({
      outcome: 'running',
      'deployment-configuration-id': 'cfg-0002',
    });
    // Warned once when it started, logged how long it lasted when it ended.
    expect(run.stdout.match(/^::warning::.*not answering/gm)).toHaveLength(1);
    expect(run.stdout).toMatch(/answered again after an outage of 2\ds/);
    expect(run.summary).toMatch(/no answer from the API/);
    // Backed off, but no pause longer than poll-interval (5 s) and the first read after it soon.
    const during = e.requests.filter((r) => r.atMs < outageEndsAt && r.method === 'GET');
    expect(during.length).toBeLessThan(25);
    const firstAfter = e.requests.find((r) => r.atMs >= outageEndsAt);
    // Within poll-interval of its end, plus at most one step of the request budget (7.5 s).
    expect(firstAfter!.atMs - outageEndsAt).toBeLessThan(13_000);
  });

  it('401 during the wait ends the run and says the update was already accepted', async () => {
    const env = await start({ plan: { ...FAST_PLAN, provisioningMs: 5000 } });
    const { emu: e } = env;
    once(
      e,
      () => posts(e) === 1 && gets(e) >= 3,
      () => {
        e.faults.push({ method: 'GET', kind: 'status', status: 401, times: 100 });
      },
    );
    const run = await env.run();
    expect(run.code).toBe(1);
    expect(run.outputs.outcome).toBe('error');
    expect(run.stdout).toMatch(
      /^::error title=Token refused::.*HTTP 401.*already accepted.*rolling out/m,
    );
    expect(gets(e)).toBeLessThan(6);
  });
});

describe('an update whose answer is lost (defect 4)', () => {
  it.each([
    ['a reset after the request was handled', { kind: 'reset-after-handling' } as const],
    ['a 504 from the gateway', { kind: 'status', status: 504 } as const],
  ])('%s: no second POST', async (_name, fault) => {
    const env = await start();
    env.emu.faults.push({ method: 'POST', ...fault });
    const run = await env.run();
    expect(posts(env.emu)).toBe(1);
    if (fault.kind === 'reset-after-handling') {
      expect(run.code).toBe(0);
      expect(run.outputs.outcome).toBe('running');
    } else {
      // The gateway gave up and the update never arrived: say so, and what to check.
      expect(run.code).toBe(1);
      expect(run.outputs.outcome).toBe('error');
      expect(run.stdout).toMatch(
        /^::error title=Update not confirmed::.*may or may not have been applied/m,
      );
    }
  });

  it('retries where the server cannot have acted: an explicit 503', async () => {
    const env = await start();
    env.emu.faults.push({ method: 'POST', kind: 'status', status: 503 });
    const run = await env.run();
    expect(run.code).toBe(0);
    expect(posts(env.emu)).toBe(2);
  });
});

describe('the request budget', () => {
  it('a status flapping every 2 s for 2 minutes stays within 20 a minute and 100 in all', async () => {
    const env = await start({
      plan: { pendingMs: 500, provisioningMs: 120_000, startingMs: 1000, flapPeriodMs: 2000 },
    });
    const run = await env.run({ timeout: '5m', 'poll-interval': '30s' });
    expect(run.code).toBe(0);
    expect(run.outputs.outcome).toBe('running');
    const times = env.emu.requests.map((r) => r.atMs);
    // The run did play the two minutes, rather than ending early.
    expect(run.durationMs).toBeGreaterThanOrEqual(120_000);
    expect(times.length).toBeLessThanOrEqual(100);
    for (const t of times) {
      expect(times.filter((u) => u >= t && u < t + 60_000).length).toBeLessThanOrEqual(20);
    }
  });
});
