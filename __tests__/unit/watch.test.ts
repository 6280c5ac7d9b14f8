import { describe, expect, it } from '@jest/globals';
import { NorthflankApiError, UpdateNotConfirmedError } from '../../src/errors.js';
import type { Deployment } from '../../src/northflank/schema.js';
import {
  updateShows,
  watchForUpdate,
  type WatchOptions,
} from '../../src/rollout/confirm-update.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { recordingLogger } from '../helpers/recording-logger.js';

const BEFORE: Deployment = {
  id: 'd',
  name: 'model',
  status: 'running',
  description: 'old',
  deploymentConfiguration: { id: 'cfg-1' },
  updatedAt: 'a',
};
const UPDATE = { description: 'new' };

function options(
  clock: FakeClock,
  readings: (Deployment | Error)[],
): WatchOptions & { reads: () => number } {
  let reads = 0;
  return {
    update: UPDATE,
    before: BEFORE,
    reason: 'no answer within 1s',
    sentMs: clock.now(),
    getDeployment: () => {
      const r = readings[Math.min(reads++, readings.length - 1)]!;
      return r instanceof Error ? Promise.reject(r) : Promise.resolve(r);
    },
    clock,
    random: () => 0.5,
    signal: new AbortController().signal,
    graceMs: 10_000,
    maxDelayMs: 30_000,
    log: recordingLogger().log,
    reads: () => reads,
  };
}

describe('updateShows', () => {
  it('sees a new configuration, a new update time, or the sent values in place', () => {
    expect(updateShows(UPDATE, BEFORE, BEFORE)).toBe(false);
    expect(
      updateShows(UPDATE, BEFORE, { ...BEFORE, deploymentConfiguration: { id: 'cfg-2' } }),
    ).toBe(true);
    expect(updateShows(UPDATE, BEFORE, { ...BEFORE, description: 'new' })).toBe(true);
    const noIds = { ...BEFORE, deploymentConfiguration: undefined };
    expect(updateShows(UPDATE, noIds, { ...noIds, updatedAt: 'b' })).toBe(true);
  });
});

describe('watchForUpdate', () => {
  it('reads until the update shows, then resolves to that reading', async () => {
    const clock = new FakeClock();
    const o = options(clock, [
      BEFORE,
      BEFORE,
      { ...BEFORE, deploymentConfiguration: { id: 'cfg-2' } },
    ]);
    const shown = await watchForUpdate(o);
    expect(shown.deploymentConfiguration?.id).toBe('cfg-2');
    expect(o.reads()).toBe(3);
  });

  it('outlasts transient read failures', async () => {
    const clock = new FakeClock();
    const down = new NorthflankApiError({ method: 'GET', path: '/', status: 503 });
    const o = options(clock, [down, down, { ...BEFORE, description: 'new' }]);
    await expect(watchForUpdate(o)).resolves.toMatchObject({ description: 'new' });
  });

  it('fails after the grace period: the update may or may not have been applied, and what to check', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const o = options(clock, [BEFORE]);
    const error = await watchForUpdate(o).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpdateNotConfirmedError);
    expect((error as Error).message).toMatch(
      /answer was lost \(no answer within 1s\).*within 10s \(rollout-start-grace\).*may or may not have been applied\. Check the deployment in Northflank/,
    );
    expect(clock.now() - start).toBe(10_000);
  });

  it('passes a refusal on at once', async () => {
    const clock = new FakeClock();
    const refused = new NorthflankApiError({ method: 'GET', path: '/', status: 403 });
    await expect(watchForUpdate(options(clock, [refused]))).rejects.toBe(refused);
  });
});
