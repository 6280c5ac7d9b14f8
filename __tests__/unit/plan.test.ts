import { describe, expect, it } from '@jest/globals';
import { describeChange, planUpdate } from '../../src/rollout/plan.js';
import { sameValue, showsValues, specLeafChanges } from '../../src/rollout/compare.js';
import { planRevert } from '../../src/rollout/revert-plan.js';
import type { Deployment } from '../../src/northflank/schema.js';

/** A deployment as a GET shows it, with server-set fields (`id`, `dns`, `type`) included. */
function current(overrides: Partial<Deployment> = {}): Deployment {
  return {
    id: 'llama-chat',
    name: 'llama chat',
    description: 'Chat model',
    status: 'running',
    tags: ['llm', 'gpu'],
    spec: {
      type: 'custom',
      configuration: {
        name: 'meta-llama/Llama-3.1-8B-Instruct',
        engine: 'vllm',
        nodeConfiguration: {
          gpu: { enabled: true, configuration: { gpuType: 'nvidia-l4', gpuCount: 1 } },
          storage: { storageClass: 'nvme', storageSize: 6144, shmSize: null },
        },
        architecture: {
          workerConfig: { replicas: 1, sequenceLengthConfig: { maxModelLength: 8192 } },
        },
      },
    },
    ports: [
      {
        id: 'p-1',
        name: 'http',
        internalPort: 8000,
        protocol: 'HTTP',
        public: true,
        dns: 'http--llama-chat.code.run',
      },
      { id: 'p-2', name: 'metrics', internalPort: 9000, protocol: 'HTTP', public: false },
    ],
    deploymentConfiguration: { id: 'cfg-1' },
    ...overrides,
  };
}

describe('planUpdate', () => {
  it('sends nothing when every given field is already in place', () => {
    const plan = planUpdate(
      {
        name: 'llama chat',
        description: 'Chat model',
        tags: ['gpu', 'llm'],
        ports: [
          { name: 'metrics', internalPort: 9000, protocol: 'HTTP' },
          { name: 'http', internalPort: 8000, protocol: 'HTTP', public: true },
        ],
        spec: {
          configuration: {
            name: 'meta-llama/Llama-3.1-8B-Instruct',
            nodeConfiguration: { gpu: { configuration: { gpuType: 'nvidia-l4' } } },
          },
        },
      },
      current(),
    );
    // Ports that give no domains say nothing of them: what GET shows is all there is.
    expect(plan.body).toEqual({});
    expect(plan.changes).toEqual([]);
    expect(plan.inPlace).toEqual(['name', 'description', 'tags', 'ports', 'spec']);
    expect(plan.unreadable).toEqual([]);
    expect(plan.startsRollout).toBe(false);
    expect(plan.expectation).toBe('either');
  });

  it('sends ports that give domains on every run, `domains: []` too, since no read shows them', () => {
    const withDomains = (domains: string[]) =>
      planUpdate(
        {
          ports: [
            { name: 'http', internalPort: 8000, protocol: 'HTTP', public: true, domains },
            { name: 'metrics', internalPort: 9000, protocol: 'HTTP' },
          ],
        },
        current(),
      );
    for (const domains of [['chat.example.com'], []]) {
      const plan = withDomains(domains);
      expect(plan.body.ports?.[0]?.domains).toEqual(domains);
      expect(plan.unreadable).toEqual(['ports']);
      expect(plan.changes).toEqual([]);
      expect(plan.expectation).toBe('either');
    }
  });

  it('says what must follow: a rollout for a configuration change, a restart for force, either for the rest', () => {
    expect(planUpdate({ spec: { configuration: { revision: 'v2' } } }, current()).expectation).toBe(
      'rollout',
    );
    expect(
      planUpdate({ spec: { configuration: { engine: 'vllm' } } }, current(), true).expectation,
    ).toBe('restart');
    expect(planUpdate({ description: 'new' }, current()).expectation).toBe('either');
    expect(planUpdate({ description: 'Chat model' }, current(), true).expectation).toBe('either');
  });

  it('sends only the top-level fields that would change', () => {
    const plan = planUpdate(
      {
        name: 'llama chat',
        description: 'Deployed from abc123',
        spec: { configuration: { engine: 'vllm' } },
      },
      current(),
    );
    expect(plan.body).toEqual({ description: 'Deployed from abc123' });
    expect(plan.changes).toEqual([
      { path: 'description', from: 'Chat model', to: 'Deployed from abc123' },
    ]);
    expect(plan.inPlace).toEqual(['name', 'spec']);
    expect(plan.startsRollout).toBe(false);
  });

  it('compares a spec leaf by leaf, nested, and names each changed leaf', () => {
    const plan = planUpdate(
      {
        spec: {
          configuration: {
            name: 'Qwen/Qwen3-8B',
            nodeConfiguration: { storage: { storageSize: 6144, shmSize: 1024 } },
            architecture: { workerConfig: { sequenceLengthConfig: { maxModelLength: 'auto' } } },
          },
        },
      },
      current(),
    );
    expect(plan.changes).toEqual([
      {
        path: 'spec.configuration.name',
        from: 'meta-llama/Llama-3.1-8B-Instruct',
        to: 'Qwen/Qwen3-8B',
      },
      { path: 'spec.configuration.nodeConfiguration.storage.shmSize', from: undefined, to: 1024 },
      {
        path: 'spec.configuration.architecture.workerConfig.sequenceLengthConfig.maxModelLength',
        from: 8192,
        to: 'auto',
      },
    ]);
    // The whole given spec is sent: Northflank merges it, so the in-place leaves are harmless.
    expect(plan.body.spec?.configuration?.name).toBe('Qwen/Qwen3-8B');
    expect(plan.startsRollout).toBe(true);
  });

  it('takes a leaf the current spec lacks as a change from "not set"', () => {
    const plan = planUpdate({ spec: { configuration: { revision: 'v2' } } }, current());
    expect(plan.changes).toEqual([
      { path: 'spec.configuration.revision', from: undefined, to: 'v2' },
    ]);
  });

  it('compares arrays in a spec whole', () => {
    const withArray = current({
      spec: { configuration: { extra: ['a', 'b'] } },
    });
    expect(
      specLeafChanges('spec.configuration', { extra: ['a', 'b'] }, withArray.spec?.configuration),
    ).toEqual([]);
    expect(
      specLeafChanges('spec.configuration', { extra: ['a'] }, withArray.spec?.configuration),
    ).toEqual([{ path: 'spec.configuration.extra', from: ['a', 'b'], to: ['a'] }]);
  });

  it('compares ports on what an update can set, ignoring server-set id and dns and the order', () => {
    const same = planUpdate(
      {
        ports: [
          {
            name: 'http',
            internalPort: 8000,
            protocol: 'HTTP',
            public: true,
            disableNfDomain: false,
          },
          { name: 'metrics', internalPort: 9000, protocol: 'HTTP', public: false },
        ],
      },
      current(),
    );
    expect(same.changes).toEqual([]);
    expect(same.startsRollout).toBe(false);

    const changed = planUpdate(
      { ports: [{ name: 'http', internalPort: 8080, protocol: 'HTTP', public: true }] },
      current(),
    );
    expect(changed.body.ports).toEqual([
      { name: 'http', internalPort: 8080, protocol: 'HTTP', public: true },
    ]);
    expect(changed.startsRollout).toBe(true);
    expect(changed.changes).toHaveLength(1);
    expect(changed.changes[0]?.path).toBe('ports');
    // The change shows the ports as an update sets them, without server-set fields.
    expect(JSON.stringify(changed.changes[0]?.from)).not.toContain('dns');
  });

  it('counts a port that turns public as a change, not a new domain (GET never shows one)', () => {
    expect(
      planUpdate(
        {
          ports: [
            { name: 'http', internalPort: 8000, protocol: 'HTTP', public: true },
            { name: 'metrics', internalPort: 9000, protocol: 'HTTP', public: true },
          ],
        },
        current(),
      ).changes,
    ).toHaveLength(1);
    expect(
      planUpdate(
        {
          ports: [
            {
              name: 'http',
              internalPort: 8000,
              protocol: 'HTTP',
              public: true,
              domains: ['a.example.com'],
            },
            { name: 'metrics', internalPort: 9000, protocol: 'HTTP' },
          ],
        },
        current(),
      ).changes,
    ).toHaveLength(0);
  });

  it('compares tags as a list, whatever their order', () => {
    expect(planUpdate({ tags: ['gpu', 'llm', 'llm'] }, current()).body).toEqual({});
    expect(planUpdate({ tags: ['llm'] }, current()).body).toEqual({ tags: ['llm'] });
    expect(planUpdate({ tags: [] }, current()).changes).toEqual([
      { path: 'tags', from: ['llm', 'gpu'], to: [] },
    ]);
    expect(planUpdate({ tags: ['llm'] }, current({ tags: undefined })).changes).toEqual([
      { path: 'tags', from: [], to: ['llm'] },
    ]);
  });

  it('compares name and description exactly', () => {
    expect(planUpdate({ name: 'Llama chat' }, current()).body).toEqual({ name: 'Llama chat' });
    expect(planUpdate({ description: 'Chat model ' }, current()).body).toEqual({
      description: 'Chat model ',
    });
    expect(planUpdate({ description: 'x' }, current({ description: undefined })).changes).toEqual([
      { path: 'description', from: undefined, to: 'x' },
    ]);
  });

  it('with force, sends every given field even when in place', () => {
    const plan = planUpdate(
      { description: 'Chat model', spec: { configuration: { engine: 'vllm' } } },
      current(),
      true,
    );
    expect(plan.body).toEqual({
      description: 'Chat model',
      spec: { configuration: { engine: 'vllm' } },
    });
    expect(plan.changes).toEqual([]);
    expect(plan.startsRollout).toBe(true);
  });

  it('showsValues says whether a reading shows the sent values', () => {
    expect(showsValues({ description: 'Chat model' }, current())).toBe(true);
    expect(showsValues({ description: 'new' }, current())).toBe(false);
  });
});

describe('sameValue', () => {
  it('ignores object key order but not array order', () => {
    expect(sameValue({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBe(true);
    expect(sameValue([1, 2], [2, 1])).toBe(false);
    expect(sameValue({ a: 1 }, { a: 1, b: undefined })).toBe(true);
    expect(sameValue(null, undefined)).toBe(true);
    expect(sameValue(1, '1')).toBe(false);
  });
});

describe('planRevert', () => {
  it('sends the previous values of exactly the leaves the update changed', () => {
    const before = current();
    const sent = {
      description: 'Deployed from abc123',
      spec: {
        configuration: {
          name: 'Qwen/Qwen3-8B',
          engine: 'vllm' as const,
          nodeConfiguration: { storage: { storageSize: 8192 } },
        },
      },
    };
    const revert = planRevert(sent, before);
    expect(revert.body).toEqual({
      description: 'Chat model',
      spec: {
        configuration: {
          name: 'meta-llama/Llama-3.1-8B-Instruct',
          nodeConfiguration: { storage: { storageSize: 6144 } },
        },
      },
    });
    expect(revert.notReverted).toEqual([]);
    expect(revert.invalid).toBeUndefined();
  });

  it('lists spec leaves the previous spec lacked as not reverted', () => {
    const revert = planRevert(
      { spec: { configuration: { name: 'Qwen/Qwen3-8B', revision: 'v2' } } },
      current(),
    );
    expect(revert.body).toEqual({
      spec: { configuration: { name: 'meta-llama/Llama-3.1-8B-Instruct' } },
    });
    expect(revert.notReverted).toEqual([
      { path: 'spec.configuration.revision', from: undefined, to: 'v2' },
    ]);
  });

  it('restores name, tags and ports whole, without server-set fields', () => {
    const revert = planRevert(
      {
        name: 'new name',
        tags: ['production'],
        ports: [{ name: 'http', internalPort: 8080, protocol: 'HTTP' }],
      },
      current(),
    );
    expect(revert.body).toEqual({
      name: 'llama chat',
      tags: ['llm', 'gpu'],
      ports: [
        {
          name: 'http',
          internalPort: 8000,
          protocol: 'HTTP',
          public: true,
          disableNfDomain: false,
        },
        {
          name: 'metrics',
          internalPort: 9000,
          protocol: 'HTTP',
          public: false,
          disableNfDomain: false,
        },
      ],
    });
  });

  it('clears a description that did not exist before; a null leaf is not set, so not reverted', () => {
    const before = current({ description: undefined });
    expect(planRevert({ description: 'x' }, before).body).toEqual({ description: '' });
    const revert = planRevert(
      { spec: { configuration: { nodeConfiguration: { storage: { shmSize: 1024 } } } } },
      before,
    );
    expect(revert.body).toEqual({});
    expect(revert.notReverted).toEqual([
      {
        path: 'spec.configuration.nodeConfiguration.storage.shmSize',
        from: undefined,
        to: 1024,
      },
    ]);
  });

  it('says so when the previous values break a rule of the update', () => {
    const revert = planRevert({ name: 'ok name' }, current({ name: 'x' }));
    expect(revert.body).toEqual({});
    expect(revert.invalid).toMatch(/^name: must be at least 3 characters/);
  });
});

describe('describeChange', () => {
  it('shows both values as JSON, and a missing one as "not set"', () => {
    expect(describeChange({ path: 'spec.configuration.revision', from: undefined, to: 'v2' })).toBe(
      'spec.configuration.revision: (not set) → "v2"',
    );
  });
});

describe('a rollout must follow (expectation rollout)', () => {
  it('is true for a changed spec leaf or ports, not for metadata or a forced re-send', () => {
    const d = current();
    expect(
      planUpdate({ spec: { configuration: { revision: 'v2' } } }, d).expectation === 'rollout',
    ).toBe(true);
    expect(
      planUpdate({ ports: [{ name: 'http', internalPort: 8080, protocol: 'HTTP' }] }, d)
        .expectation === 'rollout',
    ).toBe(true);
    expect(planUpdate({ description: 'new' }, d).expectation === 'rollout').toBe(false);
    expect(
      planUpdate({ spec: { configuration: { engine: 'vllm' } } }, d, true).expectation ===
        'rollout',
    ).toBe(false);
  });
});
