import { describe, expect, it } from '@jest/globals';
import {
  describeTimeSpent,
  phaseOf,
  phaseOverrun,
  phaseOverrunMessage,
  timeInPhase,
  type Span,
} from '../../src/rollout/phases.js';

const MIN = 60_000;
const spans: Span[] = [
  { status: 'pending', startMs: 0, endMs: 1 * MIN },
  { status: 'provisioning', startMs: 1 * MIN, endMs: 9 * MIN },
  { status: 'starting', startMs: 9 * MIN, endMs: 12 * MIN },
  { status: 'provisioning', startMs: 12 * MIN },
];

describe('phases', () => {
  it('puts pending and provisioning in one phase, starting in another, the rest in none', () => {
    expect(phaseOf('pending')).toBe('provisioning');
    expect(phaseOf('provisioning')).toBe('provisioning');
    expect(phaseOf('starting')).toBe('starting');
    expect(phaseOf('running')).toBeUndefined();
    expect(phaseOf('some-new-status')).toBeUndefined();
  });

  it('adds up the time of each phase across visits, the open span until now', () => {
    expect(timeInPhase(spans, 'provisioning', 14 * MIN)).toBe(11 * MIN);
    expect(timeInPhase(spans, 'starting', 14 * MIN)).toBe(3 * MIN);
  });

  it('says which phase ran past its deadline, only for the current status', () => {
    expect(phaseOverrun(spans, 'provisioning', { provisioningMs: 10 * MIN }, 14 * MIN)).toEqual({
      phase: 'provisioning',
      spentMs: 11 * MIN,
      limitMs: 10 * MIN,
    });
    // Not past it yet, no deadline for this phase, or not in that phase now.
    expect(
      phaseOverrun(spans, 'provisioning', { provisioningMs: 12 * MIN }, 14 * MIN),
    ).toBeUndefined();
    expect(phaseOverrun(spans, 'provisioning', { startingMs: 1 }, 14 * MIN)).toBeUndefined();
    expect(
      phaseOverrun(spans, 'running', { provisioningMs: 1, startingMs: 1 }, 14 * MIN),
    ).toBeUndefined();
    expect(
      phaseOverrun(spans.slice(0, 3), 'starting', { startingMs: 2 * MIN }, 12 * MIN),
    ).toMatchObject({ phase: 'starting', spentMs: 3 * MIN });
  });

  it('describes where the time went, status by status', () => {
    expect(describeTimeSpent(spans, 14 * MIN)).toBe('pending 1m, provisioning 10m, starting 3m');
    expect(describeTimeSpent([], 0)).toBe('no status seen');
  });

  it('names the phase, the time spent and the likely cause', () => {
    expect(
      phaseOverrunMessage(
        { phase: 'provisioning', spentMs: 11 * MIN, limitMs: 10 * MIN },
        'nvidia-h100 x8',
      ),
    ).toMatch(
      /spent 11m waiting for a node .*provisioning-timeout \(10m\).*no capacity for the GPU in the spec \(nvidia-h100 x8\)/,
    );
    expect(
      phaseOverrunMessage({ phase: 'starting', spentMs: 16 * MIN, limitMs: 15 * MIN }, undefined),
    ).toMatch(/spent 16m starting, past starting-timeout \(15m\).*too large to load in time/);
  });
});
