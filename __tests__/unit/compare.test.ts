import { describe, expect, it } from '@jest/globals';
import {
  changesFrom,
  sameValue,
  settablePort,
  showsValues,
  specLeafChanges,
  unreadableFields,
} from '../../src/rollout/compare.js';
import { newerReading } from '../../src/rollout/freshness.js';
import { changesOutput, MAX_CHANGE_VALUE_CHARS } from '../../src/report/outputs.js';
import type { Deployment } from '../../src/northflank/schema.js';

function reading(overrides: Partial<Deployment> = {}): Deployment {
  return {
    id: 'llama-chat',
    name: 'llama chat',
    status: 'running',
    description: 'Chat model',
    tags: ['llm'],
    spec: {
      type: 'custom',
      configuration: {
        name: 'model-a',
        revision: null,
        nodeConfiguration: { storage: { storageSize: 6144 } },
      },
    },
    ports: [{ id: 'p1', name: 'http', internalPort: 8000, protocol: 'HTTP', public: true }],
    deploymentConfiguration: { id: 'cfg-1', createdAt: '2026-01-01T00:00:00.000Z' },
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

describe('null is absent', () => {
  it('at the top and at any depth', () => {
    expect(sameValue(null, undefined)).toBe(true);
    expect(sameValue({ a: null }, {})).toBe(true);
    expect(sameValue({ a: { b: null } }, { a: {} })).toBe(true);
    expect(sameValue({ a: 0 }, {})).toBe(false);
    expect(sameValue('', undefined)).toBe(false);
  });

  it('a spec leaf given as null against one left out (or null) is no change', () => {
    const current = { nodeConfiguration: { storage: { storageSize: 6144 } }, revision: null };
    expect(
      specLeafChanges(
        'spec.configuration',
        { nodeConfiguration: { storage: { shmSize: null } }, revision: null },
        current,
      ),
    ).toEqual([]);
  });

  it('a change from or to a null leaf shows the leaf as not set, never as null', () => {
    expect(specLeafChanges('s', { revision: 'v2' }, { revision: null })).toEqual([
      { path: 's.revision', from: undefined, to: 'v2' },
    ]);
    expect(specLeafChanges('s', { shmSize: null }, { shmSize: 64 })).toEqual([
      { path: 's.shmSize', from: 64, to: undefined },
    ]);
  });

  it('an empty description is no description', () => {
    expect(changesFrom({ description: '' }, reading({ description: undefined }))).toEqual([]);
  });
});

describe('ports: domains are never read back', () => {
  const given = {
    name: 'http',
    internalPort: 8000,
    protocol: 'HTTP' as const,
    public: true,
    domains: ['chat.example.com'],
  };

  it('a port that differs from what GET shows only in domains shows as in place', () => {
    expect(changesFrom({ ports: [given] }, reading())).toEqual([]);
    expect(showsValues({ ports: [given] }, reading())).toBe(true);
  });

  it('ports that give domains (an empty list too) are a field that reading cannot confirm; ports without them are not', () => {
    expect(unreadableFields({ ports: [given] })).toEqual(['ports']);
    const without = { name: 'http', internalPort: 8000, protocol: 'HTTP' as const };
    expect(unreadableFields({ ports: [{ ...without, domains: [] }] })).toEqual(['ports']);
    expect(unreadableFields({ ports: [without, given] })).toEqual(['ports']);
    expect(unreadableFields({ ports: [without] })).toEqual([]);
    expect(unreadableFields({ description: 'x' })).toEqual([]);
  });

  it('a port whose readable fields differ is a change that sends the domains given', () => {
    const changes = changesFrom({ ports: [{ ...given, internalPort: 8080 }] }, reading());
    expect(changes).toHaveLength(1);
    expect(changes[0]?.to).toEqual([settablePort({ ...given, internalPort: 8080 })]);
    expect(JSON.stringify(changes[0]?.from)).not.toMatch(/domains|"id"/);
  });
});

describe('showsValues: a reading is ours only if it shows every leaf sent', () => {
  it('spec leaves by the merge rule, plus name, description and tags', () => {
    const sent = { description: 'new', spec: { configuration: { name: 'model-b' } } };
    expect(showsValues(sent, reading())).toBe(false);
    expect(
      showsValues(
        sent,
        reading({
          description: 'new',
          spec: { configuration: { name: 'model-b', engine: 'vllm' } },
        }),
      ),
    ).toBe(true);
    expect(showsValues({ tags: ['llm', 'llm'] }, reading())).toBe(true);
    expect(showsValues({ tags: ['gpu'] }, reading())).toBe(false);
  });
});

describe('newerReading', () => {
  const older = reading({
    deploymentConfiguration: { id: 'cfg-1', createdAt: '2026-01-01T00:00:00.000Z' },
    updatedAt: '2026-01-03T00:00:00.000Z',
  });
  const newer = reading({
    deploymentConfiguration: { id: 'cfg-2', createdAt: '2026-01-02T00:00:00.000Z' },
    updatedAt: '2026-01-02T00:00:00.000Z',
  });

  it('goes by the configuration created last, whichever read came first', () => {
    expect(newerReading(older, newer)).toBe(newer);
    expect(newerReading(newer, older)).toBe(newer);
  });

  it('then by updatedAt, then takes the later read', () => {
    const same = { id: 'cfg-1', createdAt: '2026-01-01T00:00:00.000Z' };
    const a = reading({ deploymentConfiguration: same, updatedAt: '2026-01-05T00:00:00.000Z' });
    const b = reading({ deploymentConfiguration: same, updatedAt: '2026-01-04T00:00:00.000Z' });
    expect(newerReading(a, b)).toBe(a);
    expect(newerReading(b, a)).toBe(a);
    const c = reading({ deploymentConfiguration: undefined, updatedAt: undefined });
    expect(newerReading(a, c)).toBe(c);
  });
});

describe('changesOutput', () => {
  it('prints a leaf that is not set as absent, not null', () => {
    expect(JSON.parse(changesOutput([{ path: 'x', from: undefined, to: 1 }]))).toEqual([
      { path: 'x', to: 1 },
    ]);
    expect(changesOutput([{ path: 'x', from: null, to: 1 }])).not.toContain('null');
  });

  it('shortens a value past a few KB with a marker', () => {
    const out = changesOutput([{ path: 'description', from: 'd'.repeat(900_000), to: 'short' }]);
    expect(out.length).toBeLessThan(MAX_CHANGE_VALUE_CHARS + 200);
    const [change] = JSON.parse(out) as { from: string; to: string }[];
    expect(change?.from).toMatch(/\[shortened: 900002 characters of JSON in all\]$/);
    expect(change?.to).toBe('short');
  });
});
