/**
 * Issue 25: the step ends on what Northflank shows, not on a guess about what it rolls out.
 * Whether an update of name, description or tags alone (or ports re-sent as they are) starts a
 * rollout is not documented, so every case runs in both worlds the emulator plays: A, where it
 * starts none, and B (`metadataRollouts`), where every accepted update rolls out. `run()` runs
 * in-process on a fake clock the emulator shares; both-worlds.e2e.test.ts runs the bundle.
 */
import { describe, expect, it } from '@jest/globals';
import { toApi, type Emulator, type EmulatorOptions } from '../../emulator/server.js';
import { CancelledError } from '../../src/errors.js';
import { once, startWorld, type InProcessRun, type World } from '../helpers/harness.js';
import { FAST_PLAN, noLeaks } from '../helpers/twins.js';

const DESCRIPTION = 'Deployed from abc123';
/** The emulator's demo deployment's description and spec, as they are. */
const CURRENT_DESCRIPTION = 'Chat model served by vLLM';
const CURRENT_SPEC = JSON.stringify({
  configuration: { name: 'meta-llama/Llama-3.1-8B-Instruct', engine: 'vllm' },
});
const PORT = { name: 'http', internalPort: 8000, protocol: 'HTTP', public: true };

let world: World;
async function start(options: EmulatorOptions): Promise<Emulator> {
  world = await startWorld({
    emulator: { plan: FAST_PLAN, ...options },
    inputs: { 'poll-interval': '200ms', timeout: '20s', 'rollout-start-grace': '10s' },
    check: noLeaks,
  });
  return world.emu;
}

const posts = (e: Emulator): unknown[] =>
  e.requests.filter((r) => r.method === 'POST').map((r) => r.body);
const getsAfterPost = (e: Emulator): number => {
  const post = e.requests.findIndex((r) => r.method === 'POST');
  return post < 0 ? 0 : e.requests.slice(post + 1).filter((r) => r.method === 'GET').length;
};
/** Runs `change` just before the emulator handles the `reads`-th read after the update. */
const afterUpdate = (e: Emulator, change: () => void | Promise<void>, reads = 1): void => {
  once(
    e,
    () => e.requests.at(-1)?.method === 'GET' && posts(e).length === 1 && getsAfterPost(e) >= reads,
    change,
  );
};

/**
 * The seed's promise: `status` is what Northflank showed last, and the step is green only on a
 * deployment that runs. With `live`, that reading is also what the emulator holds now.
 */
function expectTheTruth(run: InProcessRun, e: Emulator, live = true): void {
  expect(run.outputs.status).toBe(
    run.outputs.deployment ? (JSON.parse(run.outputs.deployment) as { status: string }).status : '',
  );
  if (live) expect(run.outputs.status).toBe(toApi(e.deployment(), world.clock.now()).status);
  if (run.code === 0 && run.outputs.outcome !== 'not-waited') {
    expect(run.outputs.status).toBe('running');
  }
  // No notice ever calls a rollout someone else's while the step takes it for its own.
  expect(run.stdout).not.toMatch(/^::notice.*someone else/m);
}

/** Sets how the deployment's current rollout ends, as Northflank would show it from now on. */
function endCurrentRollout(e: Emulator, ending: 'crashed' | 'paused' | 'deleted'): void {
  const d = e.deployment();
  // `deleting` shows for days: a rollout that ended long ago is then still being deleted.
  d.rollout = { ...d.rollout, plan: { ...d.rollout.plan, ending, deletingMs: 7 * 86_400_000 } };
}

describe.each([
  ['A (no rollout for a metadata update)', false],
  ['B (every update rolls out)', true],
])('world %s', (_world, metadataRollouts) => {
  const startWorld = (options: EmulatorOptions = {}): Promise<Emulator> =>
    start({ metadataRollouts, ...options });

  it('a description-only update: done in seconds without a rollout, or its rollout followed to running', async () => {
    const e = await startWorld();
    const run = await world.run({ description: DESCRIPTION });
    expectTheTruth(run, e);
    expect(run.code).toBe(0);
    expect(posts(e)).toEqual([{ description: DESCRIPTION }]);
    if (metadataRollouts) {
      expect(run.outputs).toMatchObject({
        outcome: 'running',
        'deployment-configuration-id': 'cfg-0002',
      });
      expect(run.stdout).toMatch(/Status: running after \S+ starting/);
    } else {
      expect(run.outputs).toMatchObject({
        outcome: 'updated',
        'deployment-configuration-id': 'cfg-0001',
      });
      // Not on the first reading that shows the values: confirmed for 5 s, then done.
      expect(run.durationMs).toBeGreaterThanOrEqual(5000);
      expect(run.durationMs).toBeLessThan(8000);
      expect(run.stdout).toMatch(/watching 5s for one before taking it that none follows/);
    }
  });

  it.each([
    ['crashed', 'crashed'],
    ['paused', 'paused'],
    ['deleted', 'deleting'],
  ] as const)(
    'the deployment ends %s after a description-only update: the step fails, with that status',
    async (ending, outcome) => {
      const e = await startWorld();
      // World B: the update's own rollout ends so; world A: the configuration that runs does.
      afterUpdate(e, () => {
        endCurrentRollout(e, ending);
      });
      const run = await world.run({ description: DESCRIPTION, 'revert-on-failure': 'false' });
      expectTheTruth(run, e);
      expect(run.code).toBe(1);
      expect(run.outputs.outcome).toBe(outcome);
      expect(run.outputs.status).toBe(outcome);
      expect(run.outputs['deployment-configuration-id']).toBe(
        metadataRollouts ? 'cfg-0002' : 'cfg-0001',
      );
      if (ending === 'crashed') {
        expect(run.report.message).toMatch(
          metadataRollouts
            ? /The rollout that followed this update \(description\) crashed/
            : /is in place, but the deployment is crashed/,
        );
      }
    },
  );

  it('revert-on-failure, and the configuration from before crashes after a description-only update: says why no revert is sent (hostile #11)', async () => {
    const e = await startWorld();
    afterUpdate(e, () => {
      endCurrentRollout(e, 'crashed');
    });
    const run = await world.run({ description: DESCRIPTION, 'revert-on-failure': 'true' });
    expectTheTruth(run, e);
    expect(run.outputs.outcome).toBe(metadataRollouts ? 'reverted' : 'crashed');
    if (!metadataRollouts) {
      expect(posts(e)).toHaveLength(1);
      expect(run.report.message).toMatch(
        / No revert was sent: no rollout of this update was seen: what failed is the configuration from before the update \(cfg-0001\), so there is nothing of this update's to put back\./,
      );
    }
  });

  it('timeout runs out during the few seconds that confirm no rollout follows: says so, not "the model needs longer to load" (hostile #6)', async () => {
    const e = await startWorld();
    const run = await world.run({ description: DESCRIPTION, timeout: '3s' });
    expectTheTruth(run, e);
    if (!metadataRollouts) {
      expect(run.outputs.outcome).toBe('timeout');
      expect(run.report.message).toMatch(
        /^Timed out after \d+s while confirming that no rollout follows the update: the values sent \(description\) show on the configuration from before \(cfg-0001, running\), but "timeout" ran out before the 5s watch for a new configuration ended\. Nothing failed/,
      );
      expect(run.report.message).not.toMatch(/needs longer to load/);
    }
  });

  it('the deployment disappears (404) after a description-only update: deleted, with the last status seen', async () => {
    const e = await startWorld();
    afterUpdate(
      e,
      () => {
        e.remove();
      },
      2,
    );
    const run = await world.run({ description: DESCRIPTION });
    expectTheTruth(run, e, false);
    expect(run.code).toBe(1);
    expect(run.outputs.outcome).toBe('deleted');
    // Gone: Northflank shows no status now (hostile #3); the message names the last one seen.
    expect(run.outputs.status).toBe('');
    expect(run.outputs.deployment).toBe('');
    expect(run.report.message).toMatch(
      /^The deployment is gone \(404 from [^)]+\): it was deleted during the rollout \(last seen \w+, configuration cfg-000\d\)\. The status and deployment outputs are empty/,
    );
  });

  it('a rollout that outlasts timeout after a description-only update: timeout, with the status it had', async () => {
    const e = await startWorld();
    // The deployment goes through a rollout that waits a minute for a node.
    afterUpdate(e, () => {
      const d = e.deployment();
      d.rollout = {
        ...d.rollout,
        startedAtMs: world.clock.now(),
        plan: { ...FAST_PLAN, provisioningMs: 60_000, ending: 'running', deletingMs: 0 },
      };
    });
    const run = await world.run({ description: DESCRIPTION, timeout: '4s' });
    expectTheTruth(run, e);
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ outcome: 'timeout', status: 'provisioning' });
    expect(run.stdout).toMatch(/Timed out after 4s/);
  });

  it.each(['running', 'crashed'] as const)(
    'transient errors (503, 429) during the wait after a description-only update, then %s: the step ends on it',
    async (ending) => {
      const e = await startWorld();
      afterUpdate(e, () => {
        if (ending === 'crashed') endCurrentRollout(e, 'crashed');
        e.faults.push(
          { method: 'GET', kind: 'status', status: 503, times: 3 },
          { method: 'GET', kind: 'status', status: 429, headers: { 'x-ratelimit-reset': '1' } },
        );
      });
      const run = await world.run({ description: DESCRIPTION });
      expectTheTruth(run, e);
      expect(run.stdout).toMatch(/::warning::Reading the deployment failed \(HTTP 503\)/);
      if (ending === 'running') {
        expect(run.code).toBe(0);
        expect(run.outputs).toMatchObject({
          outcome: metadataRollouts ? 'running' : 'updated',
          status: 'running',
        });
      } else {
        expect(run.code).toBe(1);
        expect(run.outputs).toMatchObject({ outcome: 'crashed', status: 'crashed' });
      }
    },
  );

  it('a cancel during the wait after a description-only update: cancelled, with the last status seen', async () => {
    const e = await startWorld({ plan: { ...FAST_PLAN, provisioningMs: 60_000 } });
    const cancel = new AbortController();
    afterUpdate(
      e,
      () => {
        cancel.abort(new CancelledError('SIGTERM'));
      },
      // World A: the second read is the one at the end of the no-rollout watch.
      metadataRollouts ? 3 : 2,
    );
    const run = await world.run({ description: DESCRIPTION }, { signal: cancel.signal });
    expectTheTruth(run, e);
    expect(run.code).toBe(1);
    expect(run.outputs.outcome).toBe('cancelled');
    expect(run.stdout).toMatch(/::error title=Cancelled::Cancelled by SIGTERM/);
    expect(run.report.message).toMatch(
      metadataRollouts
        ? /goes on rolling out in Northflank/
        : /whether Northflank rolls out for it was not seen/,
    );
  });

  it.each([
    ['all', 1500],
    ['alternate', 3000],
  ] as const)(
    'stale reads (%s) right after a description-only update are not taken for the result',
    async (staleReads, staleReadMs) => {
      const e = await startWorld({ staleReadMs, staleReads });
      const run = await world.run({ description: DESCRIPTION });
      expectTheTruth(run, e);
      expect(run.code).toBe(0);
      expect(run.outputs).toMatchObject(
        metadataRollouts
          ? { outcome: 'running', 'deployment-configuration-id': 'cfg-0002' }
          : { outcome: 'updated', 'deployment-configuration-id': 'cfg-0001' },
      );
      expect(JSON.parse(run.outputs.deployment!)).toMatchObject({ description: DESCRIPTION });
      if (staleReads === 'all') {
        // Success came from a reading after the stale ones.
        const last = e.requests.filter((r) => r.method === 'GET').at(-1)!;
        expect(last.atMs - e.requests.find((r) => r.method === 'POST')!.atMs).toBeGreaterThan(
          staleReadMs,
        );
      }
    },
  );

  it('a replica that answers with the old values, every other read, for longer than rollout-start-grace', async () => {
    const e = await startWorld({ staleReadMs: 6000, staleReads: 'alternate' });
    const run = await world.run({ description: DESCRIPTION, 'rollout-start-grace': '2s' });
    expectTheTruth(run, e);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject(
      metadataRollouts
        ? { outcome: 'running', 'deployment-configuration-id': 'cfg-0002' }
        : { outcome: 'updated', 'deployment-configuration-id': 'cfg-0001' },
    );
    // Not confirmed between two of the lagging replica's answers: only once it has caught up.
    if (!metadataRollouts) expect(run.durationMs).toBeGreaterThan(6000);
  });

  it('someone else’s spec change beside a description-only update: superseded, what differs named, nothing reverted', async () => {
    const e = await startWorld();
    afterUpdate(e, async () => {
      const answer = await fetch(
        `${e.url}/v1/projects/demo-project/llm-model-deployments/llama-chat`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${e.token}`, 'content-type': 'application/json' },
          body: '{"spec": {"configuration": {"revision": "someone-else"}}}',
        },
      );
      expect(answer.status).toBe(200);
    });
    const run = await world.run({ description: DESCRIPTION, 'revert-on-failure': 'true' });
    expectTheTruth(run, e);
    expect(run.code).toBe(1);
    expect(run.outputs.outcome).toBe('superseded');
    // Ours and theirs; no revert.
    expect(posts(e)).toHaveLength(2);
    expect(run.report.message).toContain(
      'spec.configuration.revision: not sent, was (not set), shows "someone-else"',
    );
    expect(run.report.message).toMatch(/reverts nothing/);
  });

  it('a forced re-send of a description in place: updated without a rollout, or its rollout followed', async () => {
    const e = await startWorld();
    const run = await world.run({ description: CURRENT_DESCRIPTION, force: 'true' });
    expectTheTruth(run, e);
    expect(run.code).toBe(0);
    expect(posts(e)).toEqual([{ description: CURRENT_DESCRIPTION }]);
    expect(run.outputs.outcome).toBe(metadataRollouts ? 'running' : 'updated');
  });

  it('a forced re-send of a spec in place: no-rollout after the grace period, or its rollout followed', async () => {
    const e = await startWorld();
    const run = await world.run({
      spec: CURRENT_SPEC,
      force: 'true',
      'rollout-start-grace': '2s',
    });
    expectTheTruth(run, e);
    expect(run.code).toBe(0);
    expect(run.outputs.outcome).toBe(metadataRollouts ? 'running' : 'no-rollout');
  });

  it('revert-on-failure after a description-only update: its crashed rollout is reverted, or nothing is', async () => {
    const e = await startWorld({ plans: [{ ...FAST_PLAN, ending: 'crashed' }] });
    const run = await world.run({ description: DESCRIPTION, 'revert-on-failure': 'true' });
    expectTheTruth(run, e);
    if (metadataRollouts) {
      expect(run.code).toBe(1);
      expect(posts(e)).toEqual([
        { description: DESCRIPTION },
        { description: CURRENT_DESCRIPTION },
      ]);
      expect(run.outputs).toMatchObject({
        outcome: 'reverted',
        status: 'running',
        'deployment-configuration-id': 'cfg-0003',
      });
      expect(e.deployment().description).toBe(CURRENT_DESCRIPTION);
      // The revert's first status line says whose it is (hostile #13).
      const afterRevert = run.stdout.split('Sending the previous values')[1] ?? '';
      expect(afterRevert.match(/^Status: .*$/m)?.[0]).toMatch(/\((revert|failed rollout)\)/);
    } else {
      // No rollout followed, so none crashed: nothing to revert.
      expect(run.code).toBe(0);
      expect(posts(e)).toHaveLength(1);
      expect(run.outputs.outcome).toBe('updated');
    }
  });

  it('wait: false after a description-only update: not waited, with the status one read shows', async () => {
    const e = await startWorld();
    const run = await world.run({ description: DESCRIPTION, wait: 'false' });
    expectTheTruth(run, e);
    expect(run.code).toBe(0);
    expect(e.requests.map((r) => r.method)).toEqual(['GET', 'POST', 'GET']);
    expect(run.outputs).toMatchObject({
      outcome: 'not-waited',
      status: metadataRollouts ? 'pending' : 'running',
    });
  });

  it.each(['running', 'crashed'] as const)(
    'a description-only update while a rollout is under way that ends %s: the step ends on it',
    async (ending) => {
      const e = await startWorld();
      // The deployment started rolling out its current configuration a moment ago.
      e.deployment().rollout = {
        configurationId: 'cfg-0001',
        startedAtMs: world.clock.now() - 100,
        plan: { ...FAST_PLAN, ending, deletingMs: 0 },
      };
      const run = await world.run({ description: DESCRIPTION });
      expectTheTruth(run, e);
      if (metadataRollouts) {
        // The update's own rollout replaces it (and runs, by the emulator's plan).
        expect(run.outputs).toMatchObject({
          outcome: 'running',
          'deployment-configuration-id': 'cfg-0002',
        });
      } else {
        expect(run.code).toBe(ending === 'running' ? 0 : 1);
        expect(run.outputs).toMatchObject({
          outcome: ending === 'running' ? 'updated' : 'crashed',
          status: ending,
          'deployment-configuration-id': 'cfg-0001',
        });
      }
    },
  );

  it('a description-only update on a crashed deployment: it stays crashed and the step fails, or its rollout runs', async () => {
    const e = await startWorld();
    endCurrentRollout(e, 'crashed');
    const run = await world.run({ description: DESCRIPTION });
    expectTheTruth(run, e);
    if (metadataRollouts) {
      expect(run.code).toBe(0);
      expect(run.outputs).toMatchObject({
        outcome: 'running',
        'deployment-configuration-id': 'cfg-0002',
      });
    } else {
      expect(run.code).toBe(1);
      expect(run.outputs).toMatchObject({ outcome: 'crashed', status: 'crashed' });
      expect(run.report.message).toMatch(/no rollout followed in the 5s the action watched/);
    }
  });

  it('revert-on-failure after ports re-sent for their domains crash: the real reason no revert is sent, never "force" (hostile #1)', async () => {
    const e = await startWorld({ plans: [{ ...FAST_PLAN, ending: 'crashed' }] });
    const ports = [{ ...PORT, domains: ['a.example.com'] }];
    const run = await world.run({ ports: JSON.stringify(ports), 'revert-on-failure': 'true' });
    expectTheTruth(run, e);
    expect(posts(e)).toEqual([{ ports }]);
    expect(run.stdout).not.toMatch(/force: true/);
    if (metadataRollouts) {
      expect(run.outputs.outcome).toBe('crashed');
      expect(run.report.message).toMatch(
        /No revert was sent: the update changed nothing a GET shows: it re-sent ports only for their domains, and the domains from before the update cannot be read \(a GET never shows them\), so a revert could only send this update's domains again\.$/,
      );
    } else {
      expect(run.outputs.outcome).toBe('updated');
    }
  });

  it('revert-on-failure after a description and ports re-sent for their domains crash: only the description is sent back, and said so (hostile #10)', async () => {
    const e = await startWorld({ plans: [{ ...FAST_PLAN, ending: 'crashed' }] });
    const ports = [{ ...PORT, domains: ['a.example.com'] }];
    const run = await world.run({
      description: DESCRIPTION,
      ports: JSON.stringify(ports),
      'revert-on-failure': 'true',
    });
    expectTheTruth(run, e);
    if (metadataRollouts) {
      expect(posts(e)).toEqual([
        { description: DESCRIPTION, ports },
        { description: CURRENT_DESCRIPTION },
      ]);
      expect(run.outputs.outcome).toBe('reverted');
      expect(run.report.message).toMatch(/the previous values of description were sent back/);
    } else {
      expect(posts(e)).toHaveLength(1);
      expect(run.outputs.outcome).toBe('updated');
    }
  });

  it('ports that give domains are sent on every run; the step says it cannot confirm them', async () => {
    const e = await startWorld();
    const ports = [{ ...PORT, domains: ['chat.example.com'] }];
    const run = await world.run({ ports: JSON.stringify(ports) });
    expectTheTruth(run, e);
    expect(run.code).toBe(0);
    expect(posts(e)).toEqual([{ ports }]);
    expect(e.deployment().domains).toEqual({ http: ['chat.example.com'] });
    expect(run.outputs.outcome).toBe(metadataRollouts ? 'running' : 'updated');
    expect(run.report.message).toMatch(/domains were sent, but GET never shows domains/);
    expect(run.summary).toContain(
      '| Re-sent | ports (they give domains, which a GET never reports',
    );
  });
});

describe('removing a port’s domains', () => {
  it('`domains: []` reaches Northflank; deleting the key leaves the domains set there, and says so', async () => {
    const e = await start({ deployments: [{ domains: { http: ['chat.example.com'] } }] });
    const removed = await world.run({ ports: JSON.stringify([{ ...PORT, domains: [] }]) });
    expect(removed.code).toBe(0);
    expect(posts(e)).toEqual([{ ports: [{ ...PORT, domains: [] }] }]);
    expect(e.deployment().domains).toEqual({ http: [] });

    e.deployment().domains = { http: ['chat.example.com'] };
    e.requests.length = 0;
    const keyDeleted = await world.run({ ports: JSON.stringify([PORT]) });
    expect(keyDeleted.outputs.outcome).toBe('unchanged');
    expect(posts(e)).toEqual([]);
    expect(e.deployment().domains).toEqual({ http: ['chat.example.com'] });
    expect(keyDeleted.stdout).toMatch(
      /Northflank keeps any domains set on them .*`domains: \[\]` removes them/,
    );
  });
});

describe('a revert in the other world than its update', () => {
  it('a metadata update’s rollout crashed, and the revert starts none: revert-failed, still crashed', async () => {
    const e = await start({ metadataRollouts: true, plans: [{ ...FAST_PLAN, ending: 'crashed' }] });
    // The revert's update (the second POST) lands in a Northflank that does not roll out for it.
    once(
      e,
      () => e.requests.at(-1)?.method === 'POST' && posts(e).length === 2,
      () => {
        e.metadataRollouts = false;
      },
    );
    const run = await world.run({ description: DESCRIPTION, 'revert-on-failure': 'true' });
    expectTheTruth(run, e);
    expect(run.code).toBe(1);
    expect(posts(e)).toHaveLength(2);
    expect(run.outputs).toMatchObject({
      outcome: 'revert-failed',
      status: 'crashed',
      'deployment-configuration-id': 'cfg-0002',
    });
    expect(e.deployment().description).toBe(CURRENT_DESCRIPTION);
    expect(run.report.message).toMatch(/The revert did not bring it back/);
  });
});

describe('a new configuration of ours that shows the update only after a while (world B)', () => {
  it('is labelled neutrally until it does, never "another update", and relabelled as ours in the timeline (hostile #4)', async () => {
    const e = await start({ metadataRollouts: true });
    // The new configuration shows the old description for its first reads, then ours.
    let reads = 0;
    e.onRequest = () => {
      if (posts(e).length !== 1 || e.requests.at(-1)?.method !== 'GET') return;
      reads++;
      if (reads === 1) e.deployment().description = CURRENT_DESCRIPTION;
      if (reads === 4) e.deployment().description = DESCRIPTION;
    };
    const run = await world.run({ description: DESCRIPTION });
    expectTheTruth(run, e);
    expect(run.outputs.outcome).toBe('running');
    expect(run.stdout).toMatch(/\(new configuration, not yet showing this update\)/);
    expect(run.stdout).not.toMatch(/another update/);
    // Known to be ours by the end: the summary's timeline shows it as the rollout's own.
    expect(run.summary).not.toMatch(/not yet showing this update|another update/);
  });
});

describe('the no-rollout watch and the poll schedule', () => {
  it('the reading that ends the watch lands at its end, not a poll-interval later (hostile #7)', async () => {
    const e = await start({ metadataRollouts: false, staleReadMs: 3000 });
    const run = await world.run({ description: DESCRIPTION, 'poll-interval': '10s' });
    expectTheTruth(run, e);
    expect(run.outputs.outcome).toBe('updated');
    // About 3 s of stale reads, then the 5 s watch: done within 10 s, not 15 s.
    expect(run.durationMs).toBeLessThan(10_000);
  });
});
