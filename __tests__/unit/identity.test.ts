import { describe, expect, it } from '@jest/globals';
import { identify, replacedSincePlan } from '../../src/rollout/identity.js';
import { planRevert, revertSkipReason } from '../../src/rollout/revert-plan.js';
import { withoutRepeats } from '../../src/sentences.js';
import type { Deployment } from '../../src/northflank/schema.js';

function at(cfg: string, minute: number, status: string, model: string): Deployment {
  const time = new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
  return {
    id: 'd',
    name: 'model',
    status,
    spec: { configuration: { name: model } },
    deploymentConfiguration: { id: cfg, createdAt: time },
    updatedAt: time,
  };
}

describe('identify: ours is what shows our values', () => {
  const before = at('cfg-0', 0, 'running', 'a');
  const sent = { spec: { configuration: { name: 'c' } } };
  const j = { before, newRolloutSeen: false, sent };

  it('a new configuration without the values sent is unconfirmed, not ours', () => {
    expect(identify({ ...j, current: at('cfg-1', 1, 'running', 'b') })).toEqual({
      of: 'unconfirmed',
      ours: undefined,
    });
  });

  it('a new configuration with them is ours; a third one after it is foreign', () => {
    expect(identify({ ...j, current: at('cfg-2', 2, 'pending', 'c') })).toEqual({
      of: 'ours',
      ours: 'cfg-2',
    });
    expect(identify({ ...j, ours: 'cfg-2', current: at('cfg-3', 3, 'pending', 'c') })).toEqual({
      of: 'foreign',
      ours: 'cfg-2',
    });
  });

  it('an older configuration than the one before is a replica behind, whatever it shows', () => {
    expect(identify({ ...j, current: at('cfg-x', 0, 'running', 'c') }).of).toBe('previous');
  });

  it('one rule for every update: a new configuration is ours when it shows the values sent and otherwise the one from before', () => {
    // A metadata update: Northflank may roll out for it; if it does, the rollout is ours.
    const metadata = { before, newRolloutSeen: false, sent: { description: 'new' } };
    const next = { ...at('cfg-1', 1, 'pending', 'a'), description: 'new' };
    expect(identify({ ...metadata, current: next })).toEqual({ of: 'ours', ours: 'cfg-1' });
    // Our description, but someone else's model beside it: not ours.
    expect(
      identify({ ...metadata, current: { ...next, spec: { configuration: { name: 'b' } } } }),
    ).toEqual({ of: 'unconfirmed', ours: undefined });
    // Our model, but someone else's rename beside it: not ours either.
    expect(
      identify({ ...j, current: { ...at('cfg-1', 1, 'pending', 'c'), name: 'theirs' } }).of,
    ).toBe('unconfirmed');
  });
});

describe('replacedSincePlan', () => {
  const planned = at('cfg-2', 2, 'starting', 'a');
  it('is true only for a newer configuration that does not show the given values', () => {
    const given = { spec: { configuration: { name: 'a' } } };
    expect(replacedSincePlan(given, planned, at('cfg-3', 3, 'running', 'b'))).toBe(true);
    expect(replacedSincePlan(given, planned, at('cfg-3', 3, 'running', 'a'))).toBe(false);
    expect(replacedSincePlan(given, planned, at('cfg-1', 1, 'running', 'b'))).toBe(false);
    expect(replacedSincePlan(given, planned, at('cfg-2', 2, 'running', 'b'))).toBe(false);
  });
});

describe('planRevert', () => {
  it('does not send back ports that were re-sent only for their domains (hostile #10)', () => {
    const before: Deployment = {
      ...at('cfg-1', 1, 'running', 'a'),
      description: 'old',
      ports: [{ id: 'h', name: 'http', internalPort: 8000, protocol: 'HTTP', public: true }],
    };
    const sent = {
      description: 'new',
      ports: [
        {
          name: 'http',
          internalPort: 8000,
          protocol: 'HTTP' as const,
          public: true,
          domains: ['a.example.com'],
        },
      ],
    };
    expect(planRevert(sent, before).body).toEqual({ description: 'old' });
  });

  it('keeps the domains the failed update sent on the ports it puts back', () => {
    const before: Deployment = {
      ...at('cfg-1', 1, 'running', 'a'),
      ports: [{ id: 'h', name: 'http', internalPort: 8000, protocol: 'HTTP', public: true }],
    };
    const sent = {
      ports: [
        { name: 'http', internalPort: 8080, protocol: 'HTTP' as const, domains: ['a.example.com'] },
      ],
    };
    expect(planRevert(sent, before).body.ports).toEqual([
      {
        name: 'http',
        internalPort: 8000,
        protocol: 'HTTP',
        public: true,
        disableNfDomain: false,
        domains: ['a.example.com'],
      },
    ]);
  });

  it('a leaf that was null before is not reverted; the rest is', () => {
    const before = at('cfg-1', 1, 'running', 'a');
    before.spec = { configuration: { name: 'a', revision: null } };
    const plan = planRevert({ spec: { configuration: { name: 'b', revision: 'v2' } } }, before);
    expect(plan.invalid).toBeUndefined();
    expect(plan.body).toEqual({ spec: { configuration: { name: 'a' } } });
    expect(plan.notReverted).toEqual([
      { path: 'spec.configuration.revision', from: undefined, to: 'v2' },
    ]);
  });
});

describe('revertSkipReason', () => {
  const change = [{ path: 'spec.configuration.name', from: 'a', to: 'b' }];
  it('skips a forced re-send that changed nothing, and a configuration that was not running', () => {
    const none = { changes: [], unreadable: [] };
    const some = { changes: change, unreadable: [] };
    expect(revertSkipReason(at('cfg-1', 1, 'running', 'a'), none, true)).toMatch(
      /changed nothing \(force: true re-sent values already in place\)/,
    );
    expect(revertSkipReason(at('cfg-1', 1, 'crashed', 'a'), some, false)).toMatch(
      /\(cfg-1\) was itself crashed/,
    );
    expect(revertSkipReason(at('cfg-1', 1, 'paused', 'a'), some, false)).toMatch(/itself paused/);
    expect(revertSkipReason(at('cfg-1', 1, 'running', 'a'), some, false)).toBeUndefined();
  });

  it('ports re-sent only for their domains, without force: the real reason, never "force" (hostile #1)', () => {
    const reason =
      revertSkipReason(
        at('cfg-1', 1, 'running', 'a'),
        { changes: [], unreadable: ['ports'] },
        false,
      ) ?? '';
    expect(reason).toBe(
      "the update changed nothing a GET shows: it re-sent ports only for their domains, and the domains from before the update cannot be read (a GET never shows them), so a revert could only send this update's domains again",
    );
    expect(reason).not.toMatch(/force/);
  });
});

describe('withoutRepeats', () => {
  it('drops the sentences already said', () => {
    expect(
      withoutRepeats('It crashed. Check the logs. Try again.', 'A failed. Check the logs.'),
    ).toBe('It crashed. Try again.');
  });
});
