/** `npm run try`'s reading of a workflow: which job, step and event, and how `with:` is evaluated. */
import { describe, expect, it } from '@jest/globals';
import { nearNames } from '../../src/runner/files.js';
import { count, localModelUrl, USAGE } from '../../scripts/try.js';
import { planTry, TryError, usesThisAction, type TryContext } from '../../scripts/try-workflow.js';

const context: TryContext = {
  secret: (name, input) => (input === 'api-token' ? 'emulator-token' : `placeholder-${name}`),
  github: { sha: 'abc', 'event.pull_request.number': '7' },
};

const workflow = (withBlock: string, extra = ''): string =>
  [
    'on: [push, pull_request]',
    'env:',
    '  PROJECT: ml-serving',
    'jobs:',
    '  deploy:',
    extra,
    '    runs-on: ubuntu-latest',
    '    steps:',
    '      - uses: actions/checkout@v5',
    '      - id: nf',
    '        uses: acme/northflank-llm-deploy-action@v1',
    '        with:',
    withBlock,
  ].join('\n');

describe('planTry', () => {
  it('evaluates secrets, env, github, literals and ||; notes where values came from', () => {
    const plan = planTry(
      workflow(
        [
          '          api-token: ${{ secrets.NF }}',
          '          project-id: ${{ env.PROJECT }}',
          "          deployment-id: ${{ vars.DEPLOYMENT || 'qwen-chat' }}",
          '          description: pr ${{ github.event.pull_request.number }}',
          '          smoke-api-key: ${{ secrets.KEY }}',
        ].join('\n'),
      ),
      {},
      context,
    );
    expect(plan).toMatchObject({ job: 'deploy', step: 'step 2 (id nf)', event: 'push' });
    expect(plan.inputs).toEqual({
      'api-token': 'emulator-token',
      'project-id': 'ml-serving',
      'deployment-id': 'qwen-chat',
      description: 'pr 7',
      'smoke-api-key': 'placeholder-KEY',
    });
    expect(plan.notes).toEqual(['api-token: secrets.NF', 'smoke-api-key: secrets.KEY']);
    expect(plan.unresolved).toEqual([]);
  });

  it('evaluates ==, !=, ! and && as GitHub does (strings compared regardless of case)', () => {
    const plan = planTry(
      workflow(
        [
          '          api-token: ${{ secrets.NF }}',
          "          dry-run: ${{ github.event_name == 'pull_request' }}",
          "          wait: ${{ github.event_name != 'PUSH' }}",
          '          force: ${{ !github.event.pull_request.number }}',
          "          smoke-test: ${{ github.event_name == 'push' && 'true' || 'false' }}",
          "          description: ${{ github.event_name == 'pull_request' && 'plan' || 'deploy || ship' }}",
        ].join('\n'),
      ),
      {},
      context,
    );
    expect(plan.inputs).toMatchObject({
      'dry-run': 'false',
      wait: 'false',
      force: 'false',
      'smoke-test': 'true',
      description: 'deploy || ship',
    });
    expect(plan.unresolved).toEqual([]);
  });

  it('names what it cannot evaluate, with the option that supplies it', () => {
    const plan = planTry(
      workflow(
        [
          '          api-token: ${{ secrets.NF }}',
          '          project-id: ${{ vars.PROJECT }}',
          '          deployment-id: ${{ needs.setup.outputs.id }}',
          "          name: ${{ format('{0}', 'x') }}",
        ].join('\n'),
      ),
      {},
      context,
    );
    expect(plan.unresolved.map((u) => `${u.input}: ${u.reason}`)).toEqual([
      'project-id: a repository variable (give --var PROJECT=…)',
      'deployment-id: needs.* is not known outside a workflow run',
      'name: only literals, context properties, ==, !=, !, && and || are evaluated here (no functions or parentheses)',
    ]);
    const given = planTry(
      workflow('          api-token: ${{ secrets.NF }}\n          project-id: ${{ vars.PROJECT }}'),
      { vars: { PROJECT: 'p' }, set: { 'deployment-id': 'd' } },
      context,
    );
    expect(given.inputs).toMatchObject({ 'project-id': 'p', 'deployment-id': 'd' });
  });

  it("takes the event from the job's if:, and --event over both", () => {
    const text = workflow('          api-token: x', "    if: github.event_name == 'pull_request'");
    expect(planTry(text, {}, context)).toMatchObject({
      event: 'pull_request',
      eventFrom: "the job's if:",
    });
    expect(planTry(text, { event: 'push' }, context).event).toBe('push');
  });

  it('finds the step by repository name at any ref, ./, or its inputs (a renamed fork); --step by id, name or position', () => {
    expect(usesThisAction({ uses: 'me/northflank-llm-deploy-action@0123abc' })).toBe(true);
    expect(usesThisAction({ uses: './' })).toBe(true);
    expect(
      usesThisAction({
        uses: 'me/renamed@v1',
        with: { 'api-token': 'x', 'project-id': 'p', 'deployment-id': 'd' },
      }),
    ).toBe(true);
    expect(usesThisAction({ uses: 'actions/checkout@v5' })).toBe(false);
    const text = workflow('          api-token: x');
    expect(planTry(text, { step: '2' }, context).step).toBe('step 2 (id nf)');
    expect(planTry(text, { step: 'nf' }, context).step).toBe('step 2 (id nf)');
    expect(() => planTry(text, { step: '9' }, context)).toThrow(TryError);
    expect(() => planTry(text, { job: 'nope' }, context)).toThrow(
      /no job "nope"; its jobs: deploy/,
    );
    expect(() => planTry('on: push\njobs:\n  a:\n    steps: []\n', {}, context)).toThrow(
      /No job of the workflow uses/,
    );
  });
});

describe("planTry: the event and a pull request event's type", () => {
  const onTypes = (on: string): string =>
    [
      on,
      'jobs:',
      '  preview:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - uses: acme/northflank-llm-deploy-action@v1',
      '        with:',
      '          api-token: ${{ secrets.NF }}',
      '          mode: preview',
    ].join('\n');

  it('rejects --event pull_request.opened (an event is a word) and says to use --type', () => {
    const text = onTypes('on: pull_request');
    expect(() => planTry(text, { event: 'pull_request.opened' }, context)).toThrow(
      /--event takes an event's name, a word: give --event pull_request --type opened \(got "pull_request\.opened"\)/,
    );
    expect(() => planTry(text, { event: 'pull request' }, context)).toThrow(TryError);
    expect(() => planTry(text, { event: 'Push' }, context)).toThrow(TryError);
    expect(planTry(text, { event: 'pull_request_target' }, context).event).toBe(
      'pull_request_target',
    );
  });

  it('types a pull request event: the first of on.<event>.types, else opened; --type over both', () => {
    const listed = onTypes('on:\n  pull_request:\n    types: [closed, opened]');
    expect(planTry(listed, {}, context)).toMatchObject({
      event: 'pull_request',
      type: 'closed',
      typeFrom: 'the first of on.pull_request.types',
      warnings: [],
    });
    expect(planTry(onTypes('on: [pull_request, push]'), {}, context)).toMatchObject({
      type: 'opened',
      typeFrom: 'a default: on.pull_request lists no types',
    });
    const target = onTypes('on:\n  pull_request_target:\n    types: synchronize');
    expect(planTry(target, {}, context).type).toBe('synchronize');
    expect(planTry(listed, { type: 'opened' }, context)).toMatchObject({
      type: 'opened',
      typeFrom: '--type',
    });
    // A type the workflow does not list is tried, with the warning that GitHub never runs it.
    expect(planTry(listed, { type: 'edited' }, context).warnings).toEqual([
      'GitHub does not run this workflow on a pull_request event of type edited: on.pull_request.types lists closed, opened. Tried anyway.',
    ]);
    expect(() => planTry(listed, { type: 'opened,closed' }, context)).toThrow(/--type takes/);
  });

  it('gives the type to github.event.action, and no type to other events (--type refused there)', () => {
    const text = onTypes('on: [push, pull_request]').replace(
      'mode: preview',
      'description: ${{ github.event.action }}',
    );
    expect(
      planTry(text, { event: 'pull_request', type: 'reopened' }, context).inputs,
    ).toMatchObject({ description: 'reopened' });
    expect(planTry(text, {}, context)).toMatchObject({ event: 'push', type: undefined });
    expect(() => planTry(text, { type: 'opened' }, context)).toThrow(
      /--type is the type of a pull_request or pull_request_target event; this run's event is push/,
    );
  });

  it('takes the first event on: lists, as --help says (workflow_dispatch before push)', () => {
    const text = onTypes('on:\n  workflow_dispatch:\n  push:\n    tags: [v*]');
    expect(planTry(text, {}, context)).toMatchObject({
      event: 'workflow_dispatch',
      eventFrom: "the workflow's first on: event",
    });
  });

  it('names the inputs the command line gave: --set, and a --secret the expression reads', () => {
    const text = workflow(
      '          api-token: ${{ secrets.NF }}\n          name: ${{ secrets.N }}',
    );
    expect(planTry(text, {}, context).given).toEqual([]);
    expect(planTry(text, { secrets: { NF: 'nf-x' } }, context)).toMatchObject({
      given: ['api-token'],
      inputs: { 'api-token': 'nf-x' },
    });
    expect(planTry(text, { set: { name: 'n' } }, context).given).toEqual(['name']);
  });
});

describe('localModelUrl (try points smoke-url at the local model server)', () => {
  const local = 'http://127.0.0.1:9';
  it('points an accepted URL at the local server, keeping a trailing /v1', () => {
    expect(localModelUrl('smoke-url', undefined, local, 'x').value).toBe(local);
    expect(localModelUrl('smoke-url', 'https://llm.acme.internal/mistral', local, 'x').value).toBe(
      local,
    );
    expect(localModelUrl('smoke-url', 'https://llm.acme.internal/v1/', local, 'x')).toMatchObject({
      value: `${local}/v1`,
      change: expect.stringContaining('its /v1 kept') as unknown,
    });
  });

  it("leaves what the action's own check rejects as given, with the action's reason", () => {
    for (const given of [
      'llm.acme.internal/mistral',
      'http://llm.acme.internal',
      'https://h/?k=1',
    ]) {
      const { value, change } = localModelUrl('preview-smoke-url', given, local, 'x');
      expect(value).toBe(given);
      expect(change).toMatch(
        /^preview-smoke-url left as given: the action rejects it, as on GitHub \(Input "preview-smoke-url" is invalid: /,
      );
    }
  });

  it('--help says what happens to api-token, --type and the event', () => {
    const help = USAGE.replace(/\s+/g, ' ');
    expect(help).not.toContain('always gets');
    expect(help).toContain(
      'api-token from --set (or a --secret it reads) is sent as given: the emulator answers 401 to any other than its own token',
    );
    expect(help).toContain("first event the workflow's on: lists");
    expect(help).toContain('--type <type>');
  });

  it('counts in the singular for one', () => {
    expect([count(1, 'update'), count(0, 'update'), count(2, 'request')]).toEqual([
      '1 update',
      '0 updates',
      '2 requests',
    ]);
  });
});

describe('nearNames', () => {
  it('suggests another case or the other YAML extension, nothing unrelated', () => {
    expect(nearNames('spec.yml', ['spec.yaml', 'other.yaml', 'README.md'])).toEqual(['spec.yaml']);
    expect(nearNames('Spec.yaml', ['spec.yaml'])).toEqual(['spec.yaml']);
    expect(nearNames('spec.json', ['spec.YAML'])).toEqual(['spec.YAML']);
    expect(nearNames('spec.yaml', ['specs.yaml'])).toEqual([]);
  });
});
