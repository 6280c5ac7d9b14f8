/**
 * Issue 18: what we send is what we see. Each case of the issue, run in-process against a scripted
 * API on 127.0.0.1 that answers within the API contract (stale replicas, other people's updates,
 * GET never showing a port's domains, nulls for unset fields), on a fake clock.
 */
import { describe, expect, it } from '@jest/globals';
import { startScriptedWorld, type InProcessRun } from '../helpers/harness.js';
import {
  phased,
  reading,
  specOf,
  type Script,
  type ScriptedRequest,
} from '../helpers/scripted-api.js';

/** What a run against a script showed: the run, the log as one text, the API's requests. */
type ScriptedRun = InProcessRun & {
  log: string;
  requests: ScriptedRequest[];
  /** The bodies of the POSTs (updates), parsed. */
  posts: unknown[];
  /** How long the run took on its fake clock. */
  fakeMs: number;
};

/** Runs the action in-process against `script`, on a fake clock (its pauses take no time). */
async function runScripted(script: Script, inputs: Record<string, string>): Promise<ScriptedRun> {
  const world = await startScriptedWorld(script, {
    inputs: { 'poll-interval': '5s', timeout: '10m', 'rollout-start-grace': '30s' },
    random: () => 0.5,
  });
  const run = await world.run(inputs);
  return {
    ...run,
    log: run.lines.join('\n'),
    requests: world.api.requests,
    posts: world.posts(),
    fakeMs: run.durationMs,
  };
}

const spec = (configuration: Record<string, unknown>): string => JSON.stringify({ configuration });
const port = (
  internalPort: number,
  more: Record<string, unknown> = {},
): Record<string, unknown> => ({
  id: 'http',
  name: 'http',
  internalPort,
  protocol: 'HTTP',
  public: true,
  dns: 'http--llama-chat--demo.example.code.run',
  ...more,
});

/** Sentences said more than once in a message. */
function repeatedSentences(message: string): string[] {
  const sentences = message
    .split(/(?<=\.)\s+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 20);
  return sentences.filter((s, i) => sentences.indexOf(s) !== i);
}

describe('ours is what shows our values', () => {
  it('a stale read before the update, then a new id without our values first: not ours', async () => {
    // The plan read a replica still on cfg-0 (model A) while cfg-1 (model B) ran; we send C.
    const r = await runScripted(
      phased([
        [reading('cfg-0', 0, 'running', { spec: specOf('model-a') })],
        [
          reading('cfg-1', 1, 'running', { spec: specOf('model-b') }),
          reading('cfg-2', 2, 'pending', { spec: specOf('model-c') }),
          reading('cfg-2', 2, 'crashed', { spec: specOf('model-c') }),
        ],
      ]),
      { spec: spec({ name: 'model-c' }) },
    );
    expect(r.report.outcome).toBe('crashed');
    expect(r.outputs['deployment-configuration-id']).toBe('cfg-2');
    expect(r.posts).toHaveLength(1);
  });

  it('another update landing between the plan and the POST is not taken for ours', async () => {
    const r = await runScripted(
      phased([
        [reading('cfg-1', 1, 'running', { spec: specOf('model-a') })],
        [
          reading('cfg-2', 2, 'running', { spec: specOf('model-b') }),
          reading('cfg-2', 2, 'running', { spec: specOf('model-b') }),
          reading('cfg-3', 3, 'starting', { spec: specOf('model-c') }),
          reading('cfg-3', 3, 'crashed', { spec: specOf('model-c') }),
        ],
      ]),
      { spec: spec({ name: 'model-c' }) },
    );
    expect(r.report.outcome).toBe('crashed');
    expect(r.outputs['deployment-configuration-id']).toBe('cfg-3');
  });

  it('a description-only update with someone else’s spec rollout right after: superseded, what differs named, nothing reverted', async () => {
    // Issue 25: the new configuration shows our description, but also someone else's model.
    const theirs = { description: 'Deployed from abc123', spec: specOf('someone-else') };
    const r = await runScripted(
      phased([
        [reading('cfg-1', 1, 'running')],
        [reading('cfg-2', 2, 'pending', theirs), reading('cfg-2', 2, 'crashed', theirs)],
      ]),
      { description: 'Deployed from abc123', 'revert-on-failure': 'true' },
    );
    expect(r.report.outcome).toBe('superseded');
    expect(r.posts).toEqual([{ description: 'Deployed from abc123' }]);
    expect(r.report.message).toContain(
      'spec.configuration.name: not sent, was "meta-llama/Llama-3.1-8B-Instruct", shows "someone-else"',
    );
    expect(r.report.message).toMatch(/reverts nothing/);
    expect(r.log).not.toMatch(/^notice: .*someone else/m);
  });

  it('a description-only update overwritten by a foreign one: superseded, nothing reverted', async () => {
    const theirs = { description: 'Their text', spec: specOf('someone-else') };
    const r = await runScripted(
      phased([
        [reading('cfg-1', 1, 'running')],
        [reading('cfg-2', 2, 'pending', theirs), reading('cfg-2', 2, 'crashed', theirs)],
      ]),
      { description: 'Deployed from abc123', 'revert-on-failure': 'true' },
    );
    expect(r.report.outcome).toBe('superseded');
    expect(r.posts).toHaveLength(1);
    expect(r.report.message).toContain('cfg-2');
    expect(r.report.message).toContain(
      'description: sent "Deployed from abc123", shows "Their text"',
    );
    expect(r.report.message).not.toMatch(/fix the spec/);
  });

  it('a description-only update whose own rollout crashes: crashed, and reverted with revert-on-failure', async () => {
    // A Northflank that rolls out on a metadata update: the new configuration shows our values.
    const ours = { description: 'Deployed from abc123' };
    const r = await runScripted(
      phased([
        [reading('cfg-1', 1, 'running')],
        [reading('cfg-2', 2, 'pending', ours), reading('cfg-2', 2, 'crashed', ours)],
        [reading('cfg-3', 3, 'pending'), reading('cfg-3', 3, 'running')],
      ]),
      { description: 'Deployed from abc123', 'revert-on-failure': 'true' },
    );
    expect(r.report.outcome).toBe('reverted');
    expect(r.posts).toEqual([
      { description: 'Deployed from abc123' },
      { description: 'Chat model' },
    ]);
    expect(r.report.message).toMatch(
      /The rollout that followed this update \(description\) crashed/,
    );
    expect(r.log).not.toMatch(/someone else updated/);
    expect(r.outputs).toMatchObject({ status: 'running', 'deployment-configuration-id': 'cfg-3' });
  });

  it('a Northflank that shows a sent value in another form: superseded, and the message shows both forms', async () => {
    const normalised = {
      spec: specOf('meta-llama/Llama-3.1-8B-Instruct', { revision: 'V2' }),
    };
    const r = await runScripted(
      phased([[reading('cfg-1', 1, 'running')], [reading('cfg-2', 2, 'running', normalised)]]),
      { spec: spec({ revision: 'v2' }) },
    );
    expect(r.report.outcome).toBe('superseded');
    expect(r.report.message).toContain('spec.configuration.revision: sent "v2", shows "V2"');
    expect(r.report.message).toMatch(/Northflank normalised it/);
  });
});

describe('the plan never skips on one read', () => {
  it('nothing to send on a lagging replica: a second read shows the newer configuration, which is updated', async () => {
    // Run N-1 moved the model A -> B; run N asks for A again; its first read is a replica on A.
    const r = await runScripted(
      phased([
        [
          reading('cfg-1', 1, 'running', { spec: specOf('model-a') }),
          reading('cfg-2', 2, 'running', { spec: specOf('model-b') }),
        ],
        [
          reading('cfg-3', 3, 'pending', { spec: specOf('model-a') }),
          reading('cfg-3', 3, 'running', { spec: specOf('model-a') }),
        ],
      ]),
      { spec: spec({ name: 'model-a' }) },
    );
    expect(r.posts).toEqual([{ spec: { configuration: { name: 'model-a' } } }]);
    expect(r.report.outcome).toBe('running');
    expect(JSON.parse(r.outputs.changes!)).toEqual([
      { path: 'spec.configuration.name', from: 'model-b', to: 'model-a' },
    ]);
  });

  it('the newer of the two reads decides, whichever came first: unchanged after two reads', async () => {
    const r = await runScripted(
      phased([
        [
          reading('cfg-2', 2, 'running', { spec: specOf('model-b') }),
          reading('cfg-1', 1, 'running', { spec: specOf('model-a') }),
        ],
      ]),
      { spec: spec({ name: 'model-b' }) },
    );
    expect(r.report.outcome).toBe('unchanged');
    expect(r.posts).toEqual([]);
    expect(r.requests.filter((q) => q.method === 'GET')).toHaveLength(2);
  });
});

describe('a port’s domains, which GET never shows', () => {
  const withDomains = [
    {
      name: 'http',
      internalPort: 8000,
      protocol: 'HTTP',
      public: true,
      domains: ['chat.example.com'],
    },
  ];

  it('a port that gives domains is sent on every run, and the step says it cannot confirm them', async () => {
    const r = await runScripted(phased([[reading('cfg-1', 1, 'running')]]), {
      ports: JSON.stringify(withDomains),
    });
    expect(r.posts).toEqual([{ ports: withDomains }]);
    expect(r.report.outcome).toBe('updated');
    expect(r.log).toMatch(/they give `domains`, which a GET never reports/);
    expect(r.report.message).toMatch(
      /domains were sent, but GET never shows domains.*cannot confirm/,
    );
    // Confirmed within seconds: no wait for a rollout, no timeout.
    expect(r.fakeMs).toBeLessThan(30_000);
  });

  it('`domains: []` is sent, so removing a port’s domains reaches Northflank', async () => {
    const none = [{ ...withDomains[0], domains: [] }];
    const r = await runScripted(phased([[reading('cfg-1', 1, 'running')]]), {
      ports: JSON.stringify(none),
    });
    expect(r.posts).toEqual([{ ports: none }]);
    expect(r.report.outcome).toBe('updated');
  });

  it('ports that give no domains and are in place are not sent: Northflank keeps its domains, and the log says how to remove them', async () => {
    const without = [{ name: 'http', internalPort: 8000, protocol: 'HTTP', public: true }];
    const r = await runScripted(phased([[reading('cfg-1', 1, 'running')]]), {
      ports: JSON.stringify(without),
    });
    expect(r.posts).toEqual([]);
    expect(r.report.outcome).toBe('unchanged');
    expect(r.log).toMatch(/Northflank keeps any domains set on them.*`domains: \[\]` removes them/);
  });
});

describe('a revert never removes what it cannot see', () => {
  it('a crashed ports update with a custom domain is reverted keeping its domains', async () => {
    const r = await runScripted(
      phased([
        [reading('cfg-1', 1, 'running')],
        [
          reading('cfg-2', 2, 'pending', { ports: [port(8080)] }),
          reading('cfg-2', 2, 'crashed', { ports: [port(8080)] }),
        ],
        [reading('cfg-3', 3, 'running')],
      ]),
      {
        ports: JSON.stringify([
          {
            name: 'http',
            internalPort: 8080,
            protocol: 'HTTP',
            public: true,
            domains: ['chat.example.com'],
          },
        ]),
        'revert-on-failure': 'true',
      },
    );
    expect(r.report.outcome).toBe('reverted');
    expect(r.posts[1]).toEqual({
      ports: [
        {
          name: 'http',
          internalPort: 8000,
          protocol: 'HTTP',
          public: true,
          disableNfDomain: false,
          domains: ['chat.example.com'],
        },
      ],
    });
  });

  it('revision null in GET: that leaf is listed as not reverted, the rest is reverted', async () => {
    const r = await runScripted(
      phased([
        [reading('cfg-1', 1, 'running', { spec: specOf('model-a', { revision: null }) })],
        [
          reading('cfg-2', 2, 'pending', { spec: specOf('model-b', { revision: 'v2' }) }),
          reading('cfg-2', 2, 'crashed', { spec: specOf('model-b', { revision: 'v2' }) }),
        ],
        [reading('cfg-3', 3, 'running', { spec: specOf('model-a', { revision: 'v2' }) })],
      ]),
      { spec: spec({ name: 'model-b', revision: 'v2' }), 'revert-on-failure': 'true' },
    );
    expect(r.report.outcome).toBe('reverted');
    expect(r.posts[1]).toEqual({ spec: { configuration: { name: 'model-a' } } });
    expect(r.report.notReverted?.map((c) => c.path)).toEqual(['spec.configuration.revision']);
    expect(r.report.message).toMatch(/Not reverted: spec\.configuration\.revision/);
  });

  it.each(['crashed', 'paused'])(
    'skipped, with the reason, when the configuration before was itself %s',
    async (status) => {
      const r = await runScripted(
        phased([
          [reading('cfg-1', 1, status, { spec: specOf('model-a') })],
          [
            reading('cfg-2', 2, 'pending', { spec: specOf('model-b') }),
            reading('cfg-2', 2, 'crashed', { spec: specOf('model-b') }),
          ],
        ]),
        { spec: spec({ name: 'model-b' }), 'revert-on-failure': 'true' },
      );
      expect(r.report.outcome).toBe('crashed');
      expect(r.posts).toHaveLength(1);
      expect(r.report.message).toMatch(new RegExp(`No revert was sent: .*was itself ${status}`));
    },
  );

  it('skipped for a force restart, whose crash does not claim it added spec settings', async () => {
    const r = await runScripted(
      phased([
        [reading('cfg-1', 1, 'running', { spec: specOf('model-a') })],
        [
          reading('cfg-2', 2, 'pending', { spec: specOf('model-a') }),
          reading('cfg-2', 2, 'crashed', { spec: specOf('model-a') }),
        ],
      ]),
      { spec: spec({ name: 'model-a' }), force: 'true', 'revert-on-failure': 'true' },
    );
    expect(r.report.outcome).toBe('crashed');
    expect(r.posts).toHaveLength(1);
    expect(r.report.message).not.toMatch(/added spec settings/);
    expect(r.report.message).toMatch(/No revert was sent: the update changed nothing/);
  });
});

describe('revert messages', () => {
  const failing = (afterRevert: Record<string, unknown>[]) =>
    phased([
      [reading('cfg-1', 1, 'running', { spec: specOf('model-a') })],
      [
        reading('cfg-2', 2, 'pending', { spec: specOf('model-b') }),
        reading('cfg-2', 2, 'crashed', { spec: specOf('model-b') }),
      ],
      afterRevert,
    ]);

  it('a revert that runs out of revert-timeout names revert-timeout', async () => {
    const r = await runScripted(
      failing([reading('cfg-3', 3, 'pending', { spec: specOf('model-a') })]),
      { spec: spec({ name: 'model-b' }), 'revert-on-failure': 'true', 'revert-timeout': '2m' },
    );
    expect(r.report.outcome).toBe('revert-failed');
    expect(r.report.message).toMatch(/revert-timeout/);
    expect(r.report.message).not.toMatch(/Raise the "timeout" input/);
  });

  it('the revert’s failure does not repeat the first failure’s sentences', async () => {
    const r = await runScripted(
      failing([
        reading('cfg-3', 3, 'starting', { spec: specOf('model-a') }),
        reading('cfg-3', 3, 'crashed', { spec: specOf('model-a') }),
      ]),
      { spec: spec({ name: 'model-b' }), 'revert-on-failure': 'true' },
    );
    expect(r.report.outcome).toBe('revert-failed');
    expect(repeatedSentences(r.report.message)).toEqual([]);
    expect(r.report.message).toMatch(/revert/i);
  });
});

describe('null is absent, and the changes output', () => {
  it('a spec leaf given as null against a GET that leaves it out: no change, no POST', async () => {
    const r = await runScripted(
      phased([
        [
          reading('cfg-1', 1, 'running', {
            spec: specOf('model-a', { nodeConfiguration: { storage: { storageSize: 6144 } } }),
          }),
        ],
      ]),
      {
        spec: spec({ name: 'model-a', nodeConfiguration: { storage: { shmSize: null } } }),
      },
    );
    expect(r.report.outcome).toBe('unchanged');
    expect(r.posts).toEqual([]);
    expect(r.outputs.changes).toBe('[]');
  });

  it('`changes` prints a leaf that was not set as absent, not null', async () => {
    const r = await runScripted(phased([[reading('cfg-1', 1, 'running')]]), {
      spec: spec({ revision: 'v2' }),
      'dry-run': 'true',
    });
    expect(JSON.parse(r.outputs.changes!)).toEqual([
      { path: 'spec.configuration.revision', to: 'v2' },
    ]);
  });

  it('`changes` is bounded: a 900 KB value is shortened with a marker', async () => {
    const r = await runScripted(
      phased([[reading('cfg-1', 1, 'running', { description: 'd'.repeat(900_000) })]]),
      { description: 'short', 'dry-run': 'true' },
    );
    expect(r.outputs.changes!.length).toBeLessThan(5000);
    expect(r.outputs.changes).toContain('[shortened:');
  });
});

describe('unchanged waits for a configuration that shows the given values', () => {
  it('and says so when another update replaces it', async () => {
    const r = await runScripted(
      phased([
        [
          reading('cfg-2', 2, 'starting', { spec: specOf('model-a') }),
          reading('cfg-2', 2, 'starting', { spec: specOf('model-a') }),
          reading('cfg-3', 3, 'running', { spec: specOf('model-b') }),
        ],
      ]),
      { spec: spec({ name: 'model-a' }) },
    );
    expect(r.posts).toEqual([]);
    expect(r.report.outcome).toBe('superseded');
    expect(r.report.message).toMatch(/another update replaced/i);
    expect(r.report.message).toContain('cfg-3');
  });

  it('ends unchanged once that configuration runs', async () => {
    const r = await runScripted(
      phased([
        [
          reading('cfg-2', 2, 'starting', { spec: specOf('model-a') }),
          reading('cfg-2', 2, 'starting', { spec: specOf('model-a') }),
          reading('cfg-2', 2, 'running', { spec: specOf('model-a') }),
        ],
      ]),
      { spec: spec({ name: 'model-a' }) },
    );
    expect(r.report.outcome).toBe('unchanged');
    expect(r.outputs['deployment-configuration-id']).toBe('cfg-2');
  });
});
