/**
 * The workflows users copy (README's and examples/workflows/) stay idempotent: their inputs, run
 * twice against the emulator as two pushes of the same configuration would (a new commit sha and
 * run number each time), send nothing the second time and end `unchanged`. And each records one
 * GitHub deployment per run: never a job-level `environment:` and the action's `environment`
 * input together. `run()` runs in-process on the real clock against rollouts of 0.3 s.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Emulator } from '../../emulator/server.js';
import { actionYml, ROOT } from '../../scripts/local-runner.js';
import { startWorld, type World } from '../helpers/harness.js';
import {
  hasJobEnvironment,
  recipes,
  resolveExpressions,
  userWorkflows,
  type Recipe,
  type Workflow,
} from '../helpers/workflow-recipes.js';

const SPEC = readFileSync(path.join(ROOT, 'examples', 'model-spec.yaml'), 'utf8');
const MODEL = 'Qwen/Qwen3-8B';
const MODEL_KEY = 'model-key-for-tests';

/** What a push's expressions resolve to; the commit and run differ from one push to the next. */
function context(emulator: Emulator, push: number, recipe: Recipe): Record<string, string> {
  return {
    'secrets.NORTHFLANK_API_TOKEN': emulator.token,
    'secrets.NORTHFLANK_READ_TOKEN': emulator.token,
    'secrets.MODEL_API_KEY': MODEL_KEY,
    'github.token': 'ghs_token_for_tests',
    'github.sha': `${String(push).repeat(7)}0c0ffee0c0ffee0c0ffee0c0ffee0c0ffee`.slice(0, 40),
    'github.run_number': String(100 + push),
    'github.run_id': String(9_000_000 + push),
    "github.event_name == 'pull_request'": 'false',
    ...Object.fromEntries(Object.entries(recipe.matrix).map(([k, v]) => [`matrix.${k}`, v])),
  };
}

interface Push {
  outcome: string;
  posts: number;
  outputs: Record<string, string>;
  lines: string[];
}

async function push(recipe: Recipe, world: World, n: number): Promise<Push> {
  const emulator = world.emu;
  const values: Record<string, string> = {};
  // As the runner does: action.yml's defaults for the inputs not given, then the workflow's.
  for (const [name, input] of Object.entries(actionYml().inputs)) {
    if (input.default !== undefined) {
      values[name] = resolveExpressions(input.default, context(emulator, n, recipe));
    }
  }
  for (const [name, value] of Object.entries(recipe.with)) {
    values[name] = resolveExpressions(value, context(emulator, n, recipe));
  }
  // Pointed at the emulator, and polled fast; everything else as the workflow gives it.
  Object.assign(values, {
    'api-url': emulator.url,
    'poll-interval': '100ms',
    'rollout-start-grace': '2s',
    // A failure shows in seconds rather than at the workflow's own deadlines.
    timeout: '20s',
    'smoke-timeout': '5s',
  });
  if (world.model) values['smoke-url'] = world.model.url;
  const specFile = values['spec-file'];
  const before = emulator.requests.filter((r) => r.method === 'POST').length;
  const ran = await world.run(values, { files: specFile ? { [specFile]: SPEC } : {} });
  return {
    outcome: ran.report.outcome,
    posts: emulator.requests.filter((r) => r.method === 'POST').length - before,
    outputs: ran.outputs,
    lines: ran.lines,
  };
}

// The deploy recipes; a preview's (mode preview or sweep) are run in preview.scenario.test.ts.
const all = recipes().filter((r) => (r.with.mode ?? 'deploy') === 'deploy');

describe('every README and example workflow, run twice', () => {
  it('finds the recipes (every example, README blocks that are not one, each matrix row)', () => {
    const sources = new Set(all.map((r) => r.workflow.source));
    expect([...sources].filter((s) => s.startsWith('examples/')).length).toBe(8);
    expect(all.filter((r) => r.workflow.source.endsWith('matrix.yml'))).toHaveLength(3);
  });

  it.each(all.map((r) => [r.name, r] as const))(
    '%s: the second push sends nothing and ends unchanged',
    async (_, recipe) => {
      const world = await startWorld({
        time: 'real',
        emulator: {
          plan: { pendingMs: 100, provisioningMs: 100, startingMs: 100 },
          deployments: [
            {
              projectId: recipe.with['project-id'] ?? '',
              id: resolveExpressions(
                recipe.with['deployment-id'] ?? '',
                recipe.matrix.deployment ? { 'matrix.deployment': recipe.matrix.deployment } : {},
              ),
              ...(recipe.with['team-id'] ? { teamId: recipe.with['team-id'] } : {}),
            },
          ],
        },
        ...(recipe.with['smoke-test'] === 'true' || (recipe.with.benchmark ?? 'false') !== 'false'
          ? {
              model: {
                model: MODEL,
                // Quick tokens, so a recipe's benchmark (before, and after the first push) takes
                // a few seconds as the workflow gives it; a push that sends nothing measures nothing.
                latency: { ttftMs: 2, itlMs: 1 },
                ...(recipe.with['smoke-api-key'] ? { apiKey: MODEL_KEY } : {}),
              },
            }
          : {}),
      });

      const first = await push(recipe, world, 1);
      const second = await push(recipe, world, 2);

      if (recipe.with['dry-run'] === 'true') {
        // A plan never sends; its second run is a plan too.
        expect([first.outcome, first.posts, second.outcome, second.posts]).toEqual([
          'dry-run',
          0,
          'dry-run',
          0,
        ]);
        return;
      }
      expect({ outcome: first.outcome, lines: first.lines }).toMatchObject({
        outcome: expect.stringMatching(/^(running|updated)$/),
      });
      expect(first.posts).toBe(1);
      expect({
        outcome: second.outcome,
        posts: second.posts,
        changes: second.outputs.changes,
      }).toEqual({
        outcome: 'unchanged',
        posts: 0,
        changes: '[]',
      });
    },
  );
});

describe('one GitHub deployment per run', () => {
  /** The recipes that set both a job-level environment and the action's `environment` input. */
  const both = (workflows: Workflow[]): string[] =>
    recipes(workflows)
      .filter((r) => hasJobEnvironment(r.job) && (r.with.environment ?? '') !== '')
      .map((r) => r.name);

  it('no README or example workflow sets a job-level environment and the environment input', () => {
    expect(both(userWorkflows())).toEqual([]);
  });

  it('the check can fail', () => {
    const text = [
      'on: push',
      'jobs:',
      '  deploy:',
      '    runs-on: ubuntu-latest',
      '    environment: production',
      '    steps:',
      '      - uses: your-org/northflank-llm-deploy-action@v1',
      '        with: { environment: production }',
    ].join('\n');
    const workflow = userWorkflows()[0];
    expect(workflow).toBeDefined();
    const bad = { ...workflow!, source: 'bad.yml', text, jobs: {} };
    bad.jobs = {
      deploy: {
        environment: 'production',
        steps: [
          {
            uses: 'your-org/northflank-llm-deploy-action@v1',
            with: { environment: 'production' },
          },
        ],
      },
    };
    expect(both([bad])).toEqual(['bad.yml deploy']);
  });

  it('every workflow that deploys has a concurrency group', () => {
    const deploys = all.filter((r) => r.with['dry-run'] !== 'true');
    expect(
      deploys
        .filter((r) => r.workflow.concurrency === undefined && r.job.concurrency === undefined)
        .map((r) => r.name),
    ).toEqual([]);
  });

  it('no workflow builds an input from the commit or the run (it would defeat unchanged)', () => {
    expect(
      all
        .filter((r) =>
          Object.values(r.with).some((v) => /github\.(sha|run_id|run_number|run_attempt)/.test(v)),
        )
        .map((r) => r.name),
    ).toEqual([]);
  });
});
