/**
 * Issue 25: a configuration is the update's own when it shows the values sent and otherwise the
 * configuration from before; what differs is named, `path: sent X, shows Y`, bounded.
 */
import { describe, expect, it } from '@jest/globals';
import {
  describeDifferences,
  differencesFrom,
  showsUpdate,
} from '../../src/rollout/differences.js';
import type { Deployment } from '../../src/northflank/schema.js';

function reading(overrides: Partial<Deployment> = {}): Deployment {
  return {
    id: 'llama-chat',
    name: 'llama chat',
    status: 'running',
    description: 'Chat model',
    tags: ['llm', 'gpu'],
    spec: {
      type: 'custom',
      configuration: {
        name: 'model-a',
        revision: null,
        nodeConfiguration: { storage: { storageSize: 6144 } },
      },
    },
    ports: [{ id: 'p1', name: 'http', internalPort: 8000, protocol: 'HTTP', public: true }],
    deploymentConfiguration: { id: 'cfg-1' },
    ...overrides,
  };
}

const BEFORE = reading();

describe('showsUpdate: the values sent, and otherwise the configuration from before', () => {
  it('a metadata update: the description sent, everything else as before (server fields aside)', () => {
    const after = reading({
      description: 'new',
      deploymentConfiguration: { id: 'cfg-2' },
      status: 'pending',
      updatedAt: 'later',
      ports: [
        {
          id: 'other-id',
          name: 'http',
          internalPort: 8000,
          protocol: 'HTTP',
          public: true,
          dns: 'x',
        },
      ],
    });
    expect(showsUpdate({ description: 'new' }, BEFORE, after)).toBe(true);
  });

  it('null is absent, tags are a set, an empty description is none', () => {
    const before = reading({ description: undefined, tags: ['gpu', 'llm'] });
    const after = reading({
      description: '',
      tags: ['llm', 'gpu', 'llm'],
      spec: {
        type: 'custom',
        configuration: { name: 'model-b', nodeConfiguration: { storage: { storageSize: 6144 } } },
      },
    });
    expect(showsUpdate({ spec: { configuration: { name: 'model-b' } } }, before, after)).toBe(true);
  });

  it('a spec is merged: leaves not sent keep their value; one sent replaces it', () => {
    const after = reading({
      spec: {
        type: 'custom',
        configuration: {
          name: 'model-a',
          revision: 'v2',
          nodeConfiguration: { storage: { storageSize: 6144 } },
        },
      },
    });
    expect(showsUpdate({ spec: { configuration: { revision: 'v2' } } }, BEFORE, after)).toBe(true);
  });

  it('someone else’s spec change beside a metadata update: not ours, and it says which leaf', () => {
    const after = reading({
      description: 'new',
      spec: {
        type: 'custom',
        configuration: {
          name: 'model-a',
          revision: 'someone-else',
          nodeConfiguration: { storage: { storageSize: 6144 } },
        },
      },
    });
    expect(showsUpdate({ description: 'new' }, BEFORE, after)).toBe(false);
    expect(differencesFrom({ description: 'new' }, BEFORE, after)).toEqual([
      {
        path: 'spec.configuration.revision',
        sent: false,
        expected: undefined,
        shows: 'someone-else',
      },
    ]);
  });

  it('a leaf someone else removed, a tag added, a port changed, a rename: each named', () => {
    const after = reading({
      name: 'renamed',
      tags: ['llm'],
      ports: [{ id: 'p1', name: 'http', internalPort: 9000, protocol: 'HTTP', public: true }],
      spec: { type: 'custom', configuration: { name: 'model-a' } },
    });
    expect(
      differencesFrom({ description: 'Chat model' }, BEFORE, after).map((d) => d.path),
    ).toEqual([
      'name',
      'tags',
      'ports',
      'spec.configuration.nodeConfiguration.storage.storageSize',
    ]);
  });

  it('the values sent come first, then those kept', () => {
    const after = reading({ description: 'theirs', name: 'renamed' });
    expect(differencesFrom({ description: 'ours' }, BEFORE, after)).toEqual([
      { path: 'description', sent: true, expected: 'ours', shows: 'theirs' },
      { path: 'name', sent: false, expected: 'llama chat', shows: 'renamed' },
    ]);
  });

  it('a leaf under one sent counts as sent (Northflank showing a sent value in another form)', () => {
    const after = reading({
      spec: {
        type: 'custom',
        configuration: {
          name: 'model-a',
          nodeConfiguration: { storage: { storageSize: { value: 6, unit: 'Gi' } } },
        },
      },
    });
    const sent = {
      spec: { configuration: { nodeConfiguration: { storage: { storageSize: 6144 } } } },
    };
    const differences = differencesFrom(sent, BEFORE, after);
    expect(differences.every((d) => d.sent)).toBe(true);
    expect(describeDifferences(differences)).toBe(
      'spec.configuration.nodeConfiguration.storage.storageSize: sent 6144, shows (not set); spec.configuration.nodeConfiguration.storage.storageSize.value: sent (not set), shows 6; spec.configuration.nodeConfiguration.storage.storageSize.unit: sent (not set), shows "Gi"',
    );
  });

  it('without a reading from before, only the values sent are compared', () => {
    const after = reading({ name: 'renamed', description: 'new' });
    expect(differencesFrom({ description: 'new' }, undefined, after)).toEqual([]);
  });
});

describe('describeDifferences', () => {
  it('names the port and the setting that differ, not the whole list twice (hostile #2)', () => {
    const port = (name: string, more: Record<string, unknown> = {}) => ({
      name,
      internalPort: 8000,
      protocol: 'HTTP',
      public: true,
      ...more,
    });
    const text = describeDifferences([
      {
        path: 'ports',
        sent: true,
        expected: [port('p1'), port('p2'), port('p3'), port('p4', { public: false })],
        shows: [port('p1'), port('p2'), port('p3'), port('p4')],
      },
    ]);
    expect(text).toBe('ports[p4].public: sent false, shows true');
    expect(
      describeDifferences([
        { path: 'ports', sent: true, expected: [port('p1')], shows: [port('p1'), port('p9')] },
      ]),
    ).toBe(
      'ports[p9]: sent (not set), shows {"name":"p9","internalPort":8000,"protocol":"HTTP","public"…',
    );
  });

  it('shows two long texts around where they first differ (hostile #2)', () => {
    const base = 'x'.repeat(1000);
    const text = describeDifferences([
      { path: 'description', sent: true, expected: `${base}ours`, shows: `${base}theirs` },
    ]);
    expect(text).toMatch(/^description: sent …x+ours", shows …x+theirs"$/);
    const [sent, shows] = text.split(', shows ');
    expect(sent).not.toBe(`description: sent ${shows ?? ''}`);
    expect(text.length).toBeLessThan(200);
  });

  it('names the first three as `path: sent X, shows Y` or `not sent, was X`, then how many more', () => {
    const text = describeDifferences([
      { path: 'description', sent: true, expected: 'ours', shows: 'theirs' },
      { path: 'name', sent: false, expected: 'a', shows: 'b' },
      { path: 'tags', sent: false, expected: ['llm'], shows: [] },
      { path: 'spec.configuration.revision', sent: false, expected: undefined, shows: 'x' },
      { path: 'spec.configuration.name', sent: false, expected: 'm', shows: 'n' },
    ]);
    expect(text).toBe(
      'description: sent "ours", shows "theirs"; name: not sent, was "a", shows "b"; tags: not sent, was ["llm"], shows []; and 2 more',
    );
  });

  it('shortens long values, so the message stays bounded whatever the API holds', () => {
    const text = describeDifferences([
      {
        path: 'description',
        sent: true,
        expected: 'd'.repeat(900_000),
        shows: 'x'.repeat(900_000),
      },
    ]);
    expect(text.length).toBeLessThan(200);
    expect(text).toMatch(/^description: sent "d+…, shows "x+…$/);
  });
});
