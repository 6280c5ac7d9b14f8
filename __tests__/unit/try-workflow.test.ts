/** `npm run try`'s reading of a workflow: which job, step and event, and how `with:` is evaluated. */
import { describe, expect, it } from '@jest/globals';
import { nearNames } from '../../src/runner/files.js';
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
      'name: only literals, context properties and || are evaluated here',
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

describe('nearNames', () => {
  it('suggests another case or the other YAML extension, nothing unrelated', () => {
    expect(nearNames('spec.yml', ['spec.yaml', 'other.yaml', 'README.md'])).toEqual(['spec.yaml']);
    expect(nearNames('Spec.yaml', ['spec.yaml'])).toEqual(['spec.yaml']);
    expect(nearNames('spec.json', ['spec.YAML'])).toEqual(['spec.YAML']);
    expect(nearNames('spec.yaml', ['specs.yaml'])).toEqual([]);
  });
});
