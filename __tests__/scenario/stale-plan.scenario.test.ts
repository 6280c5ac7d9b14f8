/**
 * The plan goes stale during the baseline (issue 30): measuring the serving model takes a while,
 * and a teammate's deploy can land meanwhile. In-process against the emulator and its model
 * server; the teammate's update is sent at an exact point of the baseline (its second request).
 */
import { describe, expect, it } from '@jest/globals';
import { DEMO_DEPLOYMENT, type Emulator, type EmulatorOptions } from '../../emulator/server.js';
import { FAST_MODEL_LATENCY, startWorld, type InProcessRun } from '../helpers/harness.js';
import { noLeaks } from '../helpers/twins.js';

const FAST = { pendingMs: 150, provisioningMs: 250, startingMs: 250 };
/** A teammate's rollout that is done by the time the baseline ends. */
const INSTANT = { pendingMs: 0, provisioningMs: 0, startingMs: 0, ending: 'running' as const };
const CONFIGURATION = {
  name: 'meta-llama/Llama-3.1-8B-Instruct',
  engine: 'vllm' as const,
  revision: 'v1',
  nodeConfiguration: {
    gpu: { enabled: true, configuration: { gpuType: 'nvidia-l4', gpuCount: 1 } },
    storage: { storageClass: 'nvme', storageSize: 6144 },
  },
};
const revision = (r: string): { spec: { configuration: { revision: string } } } => ({
  spec: { configuration: { revision: r } },
});
const TEAMMATE = 'teammate-deploy/1.0';

/** The teammate's update, as their own deploy sends it. */
function teammateDeploys(emu: Emulator, body: unknown): void {
  void fetch(
    `${emu.url}/v1/projects/${DEMO_DEPLOYMENT.projectId}/llm-model-deployments/${DEMO_DEPLOYMENT.id}`,
    {
      method: 'POST',
      headers: {
        authorization: `Bearer ${emu.token}`,
        'content-type': 'application/json',
        'user-agent': TEAMMATE,
      },
      body: JSON.stringify(body),
    },
  );
}

async function deploy(
  inputs: Record<string, string>,
  emulator: EmulatorOptions,
  /** What the teammate sends during the baseline's second request; nothing when undefined. */
  teammate: unknown,
): Promise<InProcessRun & { ours: unknown[]; emu: Emulator }> {
  let completions = 0;
  const world = await startWorld({
    time: 'scaled',
    emulator: { plan: FAST, deployments: [{ configuration: CONFIGURATION }], ...emulator },
    model: (emu, clock) => ({
      latency: FAST_MODEL_LATENCY,
      onRequest: (request) => {
        if (request.method !== 'POST') return;
        // The baseline takes time on the run's clock too (its requests do not sleep): a second each.
        clock.advance(1000);
        completions++;
        if (completions === 2 && teammate !== undefined) teammateDeploys(emu, teammate);
      },
    }),
    check: noLeaks,
  });
  const emu = world.emu;
  const run = await world.run({
    'poll-interval': '200ms',
    timeout: '10m',
    'smoke-url': world.model?.url ?? '',
    'revert-on-failure': 'true',
    benchmark: 'requests: 8\nconcurrency: 2\nwarmup: 0\nmax-tokens: 4',
    ...inputs,
  });
  return {
    ...run,
    emu,
    ours: emu.requests
      .filter((r) => r.method === 'POST' && r.userAgent !== TEAMMATE)
      .map((r) => r.body),
  };
}

describe('a deploy of someone else that lands during the baseline', () => {
  it("is not undone: the plan is made again on v3, our v2 crashes, the revert sends v3's values back, not v1's", async () => {
    const run = await deploy(
      { spec: JSON.stringify(revision('v2').spec) },
      // The teammate's v3 runs at once; our v2 crashes; the revert runs.
      { plans: [INSTANT, { ...FAST, ending: 'crashed' }, FAST] },
      revision('v3'),
    );
    expect(run.ours).toEqual([revision('v2'), revision('v3')]);
    expect(run.report.outcome).toBe('reverted');
    expect(run.emu.deployment().configuration.revision).toBe('v3');
    expect(run.stdout).toMatch(
      /::warning title=Deployment changed during the baseline::The deployment changed while the benchmark measured the baseline: configuration cfg-0001 → cfg-0002 \(running\); spec\.configuration\.revision: "v1" → "v3"\. Another update landed meanwhile\. The update is planned again on the new reading \(it changes spec\.configuration\.revision: "v3" → "v2"\), and the baseline, which measured a mix of configurations, is measured again\./,
    );
    // The baseline was measured twice: 8 requests on a mix of v1 and v3, then 8 on v3 alone
    // (v2 crashed: nothing was measured after the rollout).
    expect(run.stdout.match(/Measuring: 8 request\(s\)/g)).toHaveLength(2);
    expect(run.report.message).toMatch(
      /the previous values of spec were sent back, and the deployment runs them again/,
    );
    expect(run.outputs['previous-configuration-id']).toBe('cfg-0002');
    // The job summary says it too, not only the annotation.
    expect(run.summary).toMatch(
      /^> ⚠️ The deployment changed while the benchmark measured the baseline: configuration cfg-0001 → cfg-0002/m,
    );
  }, 20_000);

  it('that already did what ours would: nothing is sent, and the step ends as the plan says', async () => {
    const run = await deploy(
      { spec: JSON.stringify(revision('v2').spec) },
      { plans: [INSTANT] },
      revision('v2'),
    );
    expect(run.ours).toEqual([]);
    expect(run.report.outcome).toBe('unchanged');
    expect(run.stdout).toMatch(
      /The update is planned again on the new reading \(it leaves nothing to send\), and the baseline, which measured a mix of configurations, is set aside: nothing is left to send, so nothing rolls out/,
    );
    expect(run.stdout).toMatch(/Nothing to change: spec is already in place/);
  }, 20_000);

  it('with no move, nothing is said and the plan stands', async () => {
    const run = await deploy({ spec: JSON.stringify(revision('v2').spec) }, {}, undefined);
    expect(run.ours).toEqual([revision('v2')]);
    expect(run.report.outcome).toBe('running');
    expect(run.stdout).not.toMatch(/changed during the baseline/);
  }, 20_000);

  /** A teammate's rollout that is still under way when the baseline ends (about 8 s). */
  const SLOW = { pendingMs: 1000, provisioningMs: 6000, startingMs: 4000 };

  for (const metadataRollouts of [false, true]) {
    const world = metadataRollouts
      ? 'metadata updates roll out'
      : 'metadata updates do not roll out';

    it(`still rolling out at the re-read: waits for it to run, then sends on it; the revert goes back to the teammate's values (${world})`, async () => {
      const run = await deploy(
        { spec: JSON.stringify(revision('v2').spec) },
        {
          metadataRollouts,
          plans: [{ ...SLOW, ending: 'running' }, { ...FAST, ending: 'crashed' }, FAST],
        },
        revision('v3'),
      );
      expect(run.ours).toEqual([revision('v2'), revision('v3')]);
      expect(run.stdout).toMatch(
        /Another update landed during the baseline \(configuration cfg-0001 → cfg-0002 \((pending|provisioning|starting)\); [^)]*\) and its rollout \(cfg-0002\) is (pending|provisioning|starting): waiting for it to end before sending this update, so as not to interrupt it/,
      );
      expect(run.stdout).toMatch(/its rollout ran after \d+ s: this update waited for it/);
      expect(run.report.outcome).toBe('reverted');
      expect(run.emu.deployment().configuration.revision).toBe('v3');
      expect(run.outputs['previous-configuration-id']).toBe('cfg-0002');
      expect(run.report.message).not.toMatch(/was itself/);
    }, 30_000);

    it(`still rolling out at the re-read and then crashed: nothing is sent on top of it, superseded, naming it (${world})`, async () => {
      const run = await deploy(
        { spec: JSON.stringify(revision('v2').spec) },
        { metadataRollouts, plans: [{ ...SLOW, ending: 'crashed' }, FAST] },
        revision('v3'),
      );
      expect(run.ours).toEqual([]);
      expect(run.report.outcome).toBe('superseded');
      expect(run.report.message).toMatch(
        /^Another update landed while the benchmark measured the baseline \(configuration cfg-0001 → cfg-0002.*\), and its rollout \(cfg-0002\) ended crashed: this update was not sent on top of it.*Nothing of this step's was sent\./,
      );
      expect(run.outputs.status).toBe('crashed');
    }, 30_000);

    it(`still rolling out when timeout runs out: nothing sent, and the message says whose rollout it waited for (${world})`, async () => {
      const run = await deploy(
        { spec: JSON.stringify(revision('v2').spec), timeout: '25s' },
        {
          metadataRollouts,
          plans: [{ pendingMs: 1000, provisioningMs: 60_000, startingMs: 1000 }, FAST],
        },
        revision('v3'),
      );
      expect(run.ours).toEqual([]);
      expect(run.report.outcome).toBe('timeout');
      expect(run.report.message).toMatch(
        /^Timed out waiting for another update's rollout \(cfg-0002, provisioning\) to end: it landed during the baseline .*this update was not sent, so as not to interrupt it/,
      );
    }, 30_000);
  }
});
