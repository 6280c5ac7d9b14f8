/**
 * The workflows users copy: README's YAML blocks that are whole workflows and
 * examples/workflows/*.yml, with each use of this action found and its `${{ }}` expressions
 * resolved to fixed values, so a test can run exactly those inputs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../../scripts/local-runner.js';

interface Step {
  id?: string;
  uses?: string;
  with?: Record<string, unknown>;
}

interface Job {
  environment?: unknown;
  concurrency?: unknown;
  strategy?: { matrix?: { include?: Record<string, unknown>[] } };
  steps?: Step[];
}

export interface Workflow {
  /** Where it is, e.g. `README.md block 2` or `examples/workflows/matrix.yml`. */
  source: string;
  text: string;
  concurrency?: unknown;
  jobs: Record<string, Job>;
}

/** One use of the action in a workflow, for one matrix row. */
export interface Recipe {
  /** Where, e.g. `examples/workflows/matrix.yml deploy[deployment=qwen-chat]`. */
  name: string;
  workflow: Workflow;
  job: Job;
  /** The step's inputs, expressions still unresolved. */
  with: Record<string, string>;
  matrix: Record<string, string>;
}

const ACTION = /northflank-llm-deploy-action@/;

/** One of README's YAML blocks, with the example file the text just before it links. */
export interface ReadmeBlock {
  /** `README.md yaml block N`, counting every YAML block from 1. */
  source: string;
  text: string;
  /** The `examples/workflows/*.yml` the text since the previous block links last, if any. */
  linked?: string;
}

/** README's YAML blocks, in order, each with the example file its text links. */
export function readmeBlocks(
  readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8'),
): ReadmeBlock[] {
  const blocks: ReadmeBlock[] = [];
  let from = 0;
  for (const m of readme.matchAll(/```ya?ml\n([\s\S]*?)```/g)) {
    const before = readme.slice(from, m.index);
    const links = [...before.matchAll(/\]\((examples\/workflows\/[\w.-]+\.yml)\)/g)];
    const linked = links[links.length - 1]?.[1];
    blocks.push({
      source: `README.md yaml block ${String(blocks.length + 1)}`,
      text: m[1] ?? '',
      ...(linked ? { linked } : {}),
    });
    from = m.index + m[0].length;
  }
  return blocks;
}

/**
 * The example workflows, and README's YAML blocks that are workflows and not one of those files
 * (README's recipes are the files, a test keeps them so, so each is run once, from its file).
 */
export function userWorkflows(): Workflow[] {
  const dir = path.join(ROOT, 'examples', 'workflows');
  const examples = readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .map((f) => ({
      source: `examples/workflows/${f}`,
      text: readFileSync(path.join(dir, f), 'utf8'),
    }));
  const bodies = new Set(examples.map((e) => e.text));
  const blocks = readmeBlocks().filter((b) => /^jobs:/m.test(b.text) && !bodies.has(b.text));
  return [...blocks, ...examples].map((w) => ({
    ...w,
    ...(parse(w.text) as { concurrency?: unknown; jobs: Record<string, Job> }),
  }));
}

/** Every use of the action in the workflows, once per matrix row. */
export function recipes(workflows = userWorkflows()): Recipe[] {
  return workflows.flatMap((workflow) =>
    Object.entries(workflow.jobs).flatMap(([jobName, job]) => {
      const rows = job.strategy?.matrix?.include ?? [{}];
      return (job.steps ?? [])
        .filter((step) => ACTION.test(step.uses ?? ''))
        .flatMap((step) =>
          rows.map((row) => {
            const matrix = Object.fromEntries(Object.entries(row).map(([k, v]) => [k, String(v)]));
            const label = Object.entries(matrix)
              .map(([k, v]) => `${k}=${v}`)
              .join(',');
            return {
              name: `${workflow.source} ${jobName}${label ? `[${label}]` : ''}`,
              workflow,
              job,
              with: Object.fromEntries(
                Object.entries(step.with ?? {}).map(([k, v]) => [k, String(v)]),
              ),
              matrix,
            };
          }),
        );
    }),
  );
}

/**
 * `text` with every `${{ expression }}` replaced from `context` (matrix values under
 * `matrix.<name>`); throws on one it cannot resolve, so a new example cannot slip past.
 */
export function resolveExpressions(text: string, context: Record<string, string>): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expression: string) => {
    const value = context[expression];
    if (value === undefined) {
      throw new Error(
        `no value for \${{ ${expression} }}: add one to the test's context to run this example`,
      );
    }
    return value;
  });
}

/** Whether the job records a GitHub deployment itself (a job-level `environment:`). */
export function hasJobEnvironment(job: Job): boolean {
  return job.environment !== undefined && job.environment !== null && job.environment !== '';
}
