/**
 * Property: whatever JSON the API answers with (nulls, wrong types, deep nesting, huge strings,
 * unknown statuses, error statuses), run() never throws, always sets every output, always writes
 * its summary and always ends with a message. The client and the wait are the real ones, against
 * a real HTTP server on 127.0.0.1; only the clock is fake, so waits and backoff take no time.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { run } from '../src/main.js';
import { outputsFor } from '../src/action/report.js';
import { FakeClock } from './helpers/fake-clock.js';
import { recordingLogger } from './helpers/recording-logger.js';
import {
  deployment,
  scriptedInputs,
  startScriptedApi,
  type ScriptedAnswer,
} from './helpers/scripted-api.js';

let answers: ScriptedAnswer[] = [];
let api: Awaited<ReturnType<typeof startScriptedApi>>;
beforeAll(async () => {
  // Each request takes the next answer; the last one repeats.
  api = await startScriptedApi((_request, index) => answers[Math.min(index, answers.length - 1)]);
});
afterAll(async () => {
  await api.close();
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
          api.requests.length = 0;
          const values: Record<string, string> = {
            ...scriptedInputs(api),
            'poll-interval': '5s',
            timeout: '10m',
            ...inputs,
          };
          const { log, lines } = recordingLogger();
          const outputs: Record<string, string> = {};
          const summaries: string[] = [];
          const report = await run({
            inputs: {
              getInput: (name) => values[name] ?? '',
              setSecret: () => undefined,
              readFile: () => '',
              workspace: '/work/repo',
            },
            clock: new FakeClock(),
            random: () => 0.5,
            signal: new AbortController().signal,
            log,
            outputs: { setOutput: (name, value) => (outputs[name] = value) },
            summary: {
              write: (markdown) => {
                summaries.push(markdown);
                return Promise.resolve();
              },
            },
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
