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

describe('a misspelt input name, which the runner only warns about and passes on', () => {
  it('fails the step before any request, naming the inputs it likely means', async () => {
    const before = world.emu.requests.length;
    // The runner's variables for `spec_file:` and `timout:` in a step's with:.
    const run = await world.run(
      {},
      { env: { INPUT_SPEC_FILE: 'model/spec.yaml', INPUT_TIMOUT: '40m' } },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^::error title=Invalid input::Input "spec_file" is invalid: this action has no such input \(did you mean spec-file\?\)\..* Also not inputs of this action: "timout" \(did you mean timeout\?\)/m,
    );
    expect(world.emu.requests.length).toBe(before);
  });
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
