/**
 * Invalid input through the bundled action: the step fails before any request, naming the
 * input, also for random input (seeded). Each kind of invalid input is in
 * invalid-input.scenario.test.ts, in-process.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { startWorld, type World } from '../helpers/harness.js';
import { expectInvalidInput } from '../helpers/twins.js';

let world: World<'bundle'>;
beforeAll(async () => {
  world = await startWorld({ runner: 'bundle', scope: 'file' });
});

describe('invalid input fails the step before any request', () => {
  it.each([['missing token', { 'api-token': '' }, /Input "api-token" is invalid: is required/]])(
    '%s',
    async (_case, inputs, message) => {
      await expectInvalidInput(world, inputs, message);
    },
  );
});

describe('the bundled action, for random invalid input', () => {
  it('sends nothing when it rejects an input', async () => {
    const samples = fc.sample(
      fc.record({
        name: fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
        ports: fc.json({ maxDepth: 3 }),
        spec: fc.string({ minLength: 1, maxLength: 40 }),
      }),
      { numRuns: 4, seed: 42 },
    );
    let rejected = 0;
    for (const sample of samples) {
      const before = world.emu.requests.length;
      const run = await world.run(sample);
      if (run.outputs.outcome === 'error' && run.stdout.includes('::error title=Invalid input::')) {
        rejected++;
        expect(world.emu.requests.length).toBe(before);
      }
      expect(run.stderr).toBe('');
    }
    // The samples are random but seeded: most must have been rejected, or this proved nothing.
    expect(rejected).toBeGreaterThanOrEqual(3);
  });
});
