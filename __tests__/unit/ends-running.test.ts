/**
 * Issue 25: whichever path a run takes, it never ends green on a deployment that does not run,
 * except where the user asked not to wait.
 */
import { describe, expect, it } from '@jest/globals';
import { endsRunning } from '../../src/rollout/ends-running.js';
import type { Outcome } from '../../src/rollout/outcome.js';

const at = (status: string) => ({ id: 'd', name: 'm', status });
const result = (outcome: Outcome, status: string) => ({
  outcome,
  message: 'It ended.',
  deployment: at(status),
});

describe('endsRunning', () => {
  it.each<Outcome>(['running', 'updated', 'unchanged', 'no-rollout'])(
    'turns %s on a deployment that is starting into an error that says so',
    (outcome) => {
      const held = endsRunning(result(outcome, 'starting'), true);
      expect(held.outcome).toBe('error');
      expect(held.message).toMatch(
        new RegExp(`would have ended as ${outcome} .*is starting, not running`),
      );
      expect(held.deployment?.status).toBe('starting');
    },
  );

  it('leaves a success on a running deployment, and every failure, as they are', () => {
    expect(endsRunning(result('updated', 'running'), true).outcome).toBe('updated');
    expect(endsRunning(result('crashed', 'crashed'), true).outcome).toBe('crashed');
    expect(endsRunning(result('timeout', 'pending'), true).outcome).toBe('timeout');
  });

  it('leaves what the user asked not to wait for: wait: false, dry-run, skipped', () => {
    expect(endsRunning(result('not-waited', 'pending'), true).outcome).toBe('not-waited');
    expect(endsRunning(result('dry-run', 'crashed'), true).outcome).toBe('dry-run');
    expect(endsRunning(result('unchanged', 'crashed'), false).outcome).toBe('unchanged');
    expect(
      endsRunning({ outcome: 'skipped', message: '', deployment: undefined }, true).outcome,
    ).toBe('skipped');
  });
});
