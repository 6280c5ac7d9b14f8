/**
 * action.yml, the example workflows and the project's own workflows, checked with GitHub's own
 * parser (@actions/workflow-parser), and cross-checked against action.yml: every input they pass
 * and every output they read exists.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/index';
import { parse } from 'yaml';
import { actionYml } from '../helpers/action.js';
import { ROOT } from '../../scripts/local-runner.js';

const EXAMPLES = path.join(ROOT, 'examples', 'workflows');
const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yml'));
const WORKFLOWS = path.join(ROOT, '.github', 'workflows');
const workflows = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
const trace = new NoOperationTraceWriter();

function errorsOf(result: {
  context: { errors: { getErrors(): { message: string }[] } };
}): string[] {
  return result.context.errors.getErrors().map((e) => e.message);
}

describe("GitHub's parser", () => {
  it('accepts action.yml', () => {
    const content = readFileSync(path.join(ROOT, 'action.yml'), 'utf8');
    expect(errorsOf(parseAction({ name: 'action.yml', content }, trace))).toEqual([]);
  });

  it('rejects a broken action.yml (the check can fail)', () => {
    const content = 'name: x\ndescription: y\nruns:\n  using: node24\n  mian: dist/index.js\n';
    expect(errorsOf(parseAction({ name: 'action.yml', content }, trace)).length).toBeGreaterThan(0);
  });

  it('rejects a broken workflow (the check can fail)', () => {
    const content = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n';
    expect(errorsOf(parseWorkflow({ name: 'bad.yml', content }, trace)).length).toBeGreaterThan(0);
  });

  it('there are examples for each use the README promises', () => {
    expect(files.sort()).toEqual([
      'benchmark-gate.yml',
      'chain-outputs.yml',
      'deploy-on-push.yml',
      'environment.yml',
      'matrix.yml',
      'plan-on-pull-request.yml',
      'preview.yml',
      'protect-serving.yml',
      'spec-file.yml',
    ]);
  });

  it.each(files)('accepts examples/workflows/%s', (file) => {
    const content = readFileSync(path.join(EXAMPLES, file), 'utf8');
    expect(errorsOf(parseWorkflow({ name: file, content }, trace))).toEqual([]);
  });

  it("finds the project's own workflows", () => {
    expect(workflows.sort()).toEqual(['ci.yml', 'release.yml', 'self-test.yml']);
  });

  it.each(workflows)("accepts the project's own .github/workflows/%s", (file) => {
    const content = readFileSync(path.join(WORKFLOWS, file), 'utf8');
    expect(errorsOf(parseWorkflow({ name: file, content }, trace))).toEqual([]);
  });
});

interface WorkflowStep {
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  'continue-on-error'?: boolean;
}

function stepsOf(text: string): WorkflowStep[] {
  const workflow = parse(text) as { jobs: Record<string, { steps: WorkflowStep[] }> };
  return Object.values(workflow.jobs).flatMap((job) => job.steps);
}

describe("the project's own workflows", () => {
  const { inputs, outputs } = actionYml();

  it.each(workflows)(
    '%s passes step outputs and inputs to scripts through env, never ${{ }} inside run',
    (file) => {
      const steps = stepsOf(readFileSync(path.join(WORKFLOWS, file), 'utf8'));
      expect(steps.filter((step) => step.run?.includes('${{')).map((step) => step.run)).toEqual([]);
    },
  );

  it.each(workflows)(
    '%s uses actions/checkout and actions/setup-node v5 or later (node24)',
    (file) => {
      const uses = stepsOf(readFileSync(path.join(WORKFLOWS, file), 'utf8'))
        .map((step) => step.uses ?? '')
        .filter((u) => /^actions\/(checkout|setup-node)@/.test(u));
      expect(uses.length).toBeGreaterThan(0);
      expect(uses.filter((u) => !/@v([5-9]|\d{2,})\b/.test(u))).toEqual([]);
    },
  );

  it('the self-test runs the action itself against the emulator, and checks a run and a crash', () => {
    const text = readFileSync(path.join(WORKFLOWS, 'self-test.yml'), 'utf8');
    const steps = stepsOf(text);
    const ours = steps.filter((step) => step.uses === './');
    expect(ours.map((step) => step.id)).toEqual(['deploy', 'crash']);
    for (const step of ours) {
      const given = Object.keys(step.with ?? {});
      expect(given.filter((name) => !(name in inputs))).toEqual([]);
      expect(step.with?.['api-url']).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    }
    expect(ours[1]?.['continue-on-error']).toBe(true);
    // The emulators start in an earlier step of the same job, in the background, with a time limit.
    const start = steps.findIndex((step) =>
      /build\/emulator\/cli\.js .*--for .*&/.test(step.run ?? ''),
    );
    expect(start).toBeGreaterThanOrEqual(0);
    expect(start).toBeLessThan(steps.findIndex((step) => step.uses === './'));
    expect(steps[start]?.run).toMatch(/--ending crashed/);
    const read = [...text.matchAll(/steps\.(?:deploy|crash)\.outputs\.([a-z-]+)/g)].map(
      (m) => m[1] ?? '',
    );
    expect(read).toEqual(
      expect.arrayContaining(['outcome', 'status', 'url', 'deployment-configuration-id']),
    );
    expect(read.filter((name) => !(name in outputs))).toEqual([]);
    expect(text).toMatch(/steps\.crash\.outcome/);
  });
});

interface Step {
  id?: string;
  uses?: string;
  with?: Record<string, unknown>;
}

describe('the examples against action.yml', () => {
  const { inputs, outputs } = actionYml();

  it.each(files)(
    '%s passes only declared inputs, all required ones, and reads only declared outputs',
    (file) => {
      const text = readFileSync(path.join(EXAMPLES, file), 'utf8');
      const workflow = parse(text) as { jobs: Record<string, { steps: Step[] }> };
      const ours = Object.values(workflow.jobs)
        .flatMap((job) => job.steps)
        .filter((step) => step.uses?.includes('northflank-llm-deploy-action'));
      expect(ours.length).toBeGreaterThan(0);
      for (const step of ours) {
        const given = Object.keys(step.with ?? {});
        expect(given.filter((name) => !(name in inputs))).toEqual([]);
        const required = Object.entries(inputs)
          .filter(([, i]) => i.required)
          .map(([name]) => name);
        expect(required.filter((name) => !given.includes(name))).toEqual([]);
      }
      // Outputs reach scripts through env:; `${{ }}` inside run: would make API text code.
      const scripts = Object.values(workflow.jobs)
        .flatMap((job) => job.steps as (Step & { run?: string })[])
        .map((step) => step.run ?? '');
      expect(scripts.filter((script) => script.includes('${{'))).toEqual([]);
      const read = [...text.matchAll(/steps\.deploy\.outputs\.([a-z-]+)/g)].map((m) => m[1] ?? '');
      expect(read.filter((name) => !(name in outputs))).toEqual([]);
    },
  );
});

describe("README's workflow examples", () => {
  it('pass outputs to scripts through env:, never ${{ }} inside run:', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```ya?ml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    const runs = blocks.flatMap((block) =>
      [...block.matchAll(/^(\s*)(?:- )?run: ?(.*)\n((?:\1\s+.*\n)*)/gm)].map(
        (m) => `${m[2]}\n${m[3]}`,
      ),
    );
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.filter((script) => script.includes('${{'))).toEqual([]);
  });
});
