/**
 * Property: whatever JSON the API answers with (nulls, wrong types, deep nesting, huge strings,
 * unknown statuses, error statuses), run() never throws, always sets every output, always writes
 * its summary and always ends with a message. The client and the wait are the real ones, against
 * a real HTTP server on 127.0.0.1; only the clock is fake, so waits and backoff take no time.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { outputsFor } from '../../src/report/outputs.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { startScriptedWorld, type ScriptedWorld } from '../helpers/harness.js';
import { deployment, type ScriptedAnswer } from '../helpers/scripted-api.js';

let answers: ScriptedAnswer[] = [];
let world: ScriptedWorld;
beforeAll(async () => {
  // Each request takes the next answer; the last one repeats.
  world = await startScriptedWorld(
    (_request, index) => answers[Math.min(index, answers.length - 1)],
    { inputs: { 'poll-interval': '5s', timeout: '10m' }, random: () => 0.5, scope: 'file' },
  );
});

const deep = fc
  .integer({ min: 1000, max: 20_000 })
  .map(
    (n) =>
      `{"data": {"id": "llama-chat", "name": "x", "status": "running", "extra": ${'['.repeat(n)}${']'.repeat(n)}}}`,
  );
const huge = fc
  .constantFrom(100_000, 1_000_000)
  .map((n) => ({ data: deployment({ description: 'd'.repeat(n), name: 'n'.repeat(n) }) }));
const FIELDS = [
  'id',
  'name',
  'status',
  'description',
  'tags',
  'ports',
  'dns',
  'spec',
  'deploymentConfiguration',
  'updatedAt',
  'createdAt',
];
const mangled = fc
  .dictionary(
    fc.constantFrom(...FIELDS),
    fc.oneof(fc.constant(null), fc.jsonValue({ maxDepth: 3 })),
    {
      maxKeys: 4,
    },
  )
  .map((overrides) => ({ data: deployment(overrides) }));
const unknownStatus = fc
  .oneof(fc.string({ maxLength: 30 }), fc.constantFrom('running', 'crashed', 'paused', 'deleting'))
  .chain((status) =>
    fc
      .constantFrom('cfg-1', 'cfg-2')
      .map((id) => ({ data: deployment({ status, deploymentConfiguration: { id } }) })),
  );
const answer: fc.Arbitrary<ScriptedAnswer> = fc.oneof(
  fc.record({ body: fc.jsonValue({ maxDepth: 4 }) }),
  fc.record({ body: fc.oneof(mangled, unknownStatus, huge) }),
  fc.record({ body: deep }),
  fc.record({
    status: fc.constantFrom(400, 401, 403, 404, 409, 422, 429, 500, 502, 503),
    body: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ maxLength: 200 })),
    headers: fc.option(
      fc.record({ 'x-ratelimit-reset': fc.constantFrom('0', '-1', '1e400', 'soon', '3') }),
      { nil: undefined },
    ),
  }),
);
const runInputs = fc.record({
  'dry-run': fc.constantFrom('true', 'false'),
  wait: fc.constantFrom('true', 'false'),
  spec: fc.constantFrom('', '{"configuration": {"revision": "v2"}}'),
});

describe('run(), for any API answers', () => {
  it('never throws, sets every output, writes its summary and ends with a message', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(answer, { minLength: 1, maxLength: 6 }),
        runInputs,
        async (script, inputs) => {
          answers = script;
          world.api.requests.length = 0;
          const { report, outputs, lines, summaries } = await world.run(inputs, {
            clock: new FakeClock(),
          });
          expect(Object.keys(outputs).sort()).toEqual(Object.keys(outputsFor(report)).sort());
          expect(outputs.outcome).toBe(report.outcome);
          expect(summaries).toHaveLength(1);
          expect(summaries[0]).toMatch(/^## Northflank: /);
          const last = lines.at(-1) ?? '';
          expect(last).not.toMatch(/^(debug:|group:|endgroup)/);
          expect(last).toContain(report.message.slice(0, 40).replace(/\n/g, ' '));
          expect(report.message.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});
