/**
 * Invalid inputs, `run()` in-process: each fails the step before any request, naming the input.
 * invalid-input.e2e.test.ts proves the same through the bundle.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { startWorld, type World } from '../helpers/harness.js';
import { expectInvalidInput } from '../helpers/twins.js';

let world: World;
beforeAll(async () => {
  world = await startWorld({ scope: 'file' });
});

describe('invalid input fails the step before any request', () => {
  it.each([
    ['missing token', { 'api-token': '' }, /Input "api-token" is invalid: is required/],
    [
      'name breaking the pattern',
      { name: 'my_model!' },
      /Input "name" is invalid: must be letters and digits/,
    ],
    [
      'tag too short',
      { tags: 'llm\nab' },
      /Input "tags" is invalid at|Input "tags" is invalid: at \[1\]: must be at least 3 characters/,
    ],
    [
      'port protocol SMTP',
      { ports: '[{"name": "smtp", "internalPort": 25, "protocol": "SMTP"}]' },
      /Input "ports" is invalid: at \[0\]\.protocol/,
    ],
    [
      'internalPort 70000',
      { ports: '- {name: http, internalPort: 70000, protocol: HTTP}' },
      /Input "ports" is invalid: at \[0\]\.internalPort: Too big/,
    ],
    [
      'malformed JSON',
      { spec: '{"configuration": {' },
      /Input "spec" is invalid: is not valid JSON or YAML at line 1/,
    ],
    [
      'unknown spec field',
      { spec: '{"configuration": {"gpus": 2}}' },
      /Input "spec" is invalid: at configuration: Unrecognized key: "gpus"/,
    ],
    [
      'bad enum value',
      { spec: '{"configuration": {"architecture": {"workerConfig": {"dataType": "float8"}}}}' },
      /at configuration\.architecture\.workerConfig\.dataType: Invalid option/,
    ],
    [
      'bad duration',
      { timeout: '30 mins' },
      /Input "timeout" is invalid: must be a duration such as 90s, 15m, 1h30m/,
    ],
    [
      'id with a slash',
      { 'deployment-id': '../other-project' },
      /Input "deployment-id" is invalid: must be a single id/,
    ],
    [
      'plain http to a remote host',
      { 'api-url': 'http://example.com' },
      /Input "api-url" is invalid: must use https/,
    ],
  ])('%s', async (_case, inputs, message) => {
    await expectInvalidInput(world, inputs, message);
  });
});

describe('an input the action does not have', () => {
  it('fails the step before any request, with the input it likely means', async () => {
    const world = await startWorld();
    const run = await world.run({ smoke_tset: 'true' }, { undeclaredInputs: true });
    expect(run.report.outcome).toBe('error');
    expect(run.report.message).toMatch(
      /^Input "smoke_tset" is invalid: this action has no such input \(did you mean smoke-test\?\)/,
    );
    expect(world.emu.requests).toEqual([]);
  });
});

describe('the summary of a run whose inputs failed', () => {
  it('names the deployment from the ids that were valid', async () => {
    const world = await startWorld();
    const run = await world.run({ 'spec-file': 'model/missing.yaml', 'team-id': 'a/b' });
    expect(run.report.outcome).toBe('error');
    expect(run.summary).toContain('| Deployment | <code>llama-chat</code> |');
    expect(run.summary).toContain('| Project | <code>demo-project</code> |');
    expect(run.summary).not.toContain('| Team |');
  });
});
