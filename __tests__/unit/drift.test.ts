/** Whether the deployment moved between the plan's reading and a later one (the stale plan). */
import { describe, expect, it } from '@jest/globals';
import type { Deployment } from '../../src/northflank/schema.js';
import { describeDrift } from '../../src/rollout/drift.js';

function reading(revision: string | undefined, id = 'cfg-0001', more: Partial<Deployment> = {}) {
  return {
    id: 'llama-chat',
    name: 'llama chat',
    status: 'running',
    spec: { configuration: { name: 'm', ...(revision ? { revision } : {}) } },
    deploymentConfiguration: { id },
    ...more,
  } as unknown as Deployment;
}

describe('describeDrift', () => {
  const given = { spec: { configuration: { revision: 'v2' } } };

  it('names a new configuration and each value the update compares that moved', () => {
    expect(describeDrift(reading('v1'), reading('v3', 'cfg-0002'), given)).toBe(
      'configuration cfg-0001 → cfg-0002 (running); spec.configuration.revision: "v1" → "v3"',
    );
    // Moved to the value the update gives: that is a move too (the update is in place now).
    expect(describeDrift(reading('v1'), reading('v2', 'cfg-0002'), given)).toBe(
      'configuration cfg-0001 → cfg-0002 (running); spec.configuration.revision: "v1" → "v2"',
    );
    expect(describeDrift(reading('v2'), reading(undefined), given)).toBe(
      'spec.configuration.revision: "v2" → (not set)',
    );
  });

  it('sees no move when neither the configuration nor a compared value changed', () => {
    expect(describeDrift(reading('v1'), reading('v1'), given)).toBeUndefined();
    // A field the update does not give is not compared (the configuration id tells of it).
    expect(
      describeDrift(reading('v1'), reading('v1', 'cfg-0001', { description: 'new' }), given),
    ).toBeUndefined();
    expect(
      describeDrift(reading('v1'), reading('v1', 'cfg-0001', { description: 'new' }), {
        description: 'old',
      }),
    ).toBe('description: (not set) → "new"');
  });
});
