/**
 * `npm run try` on the example workflows, as a user runs it on their own repository: each example
 * copied into a repository of its own (in .github/workflows/, with its spec files), tried with the
 * bundle against the emulator, its model server and the GitHub stand-in, and each ends as README
 * documents it. Rollouts of 0.8 s on the real clock.
 */
import { describe, expect, it } from '@jest/globals';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { ROOT } from '../../scripts/local-runner.js';
import { parseTryOptions, runTry, TryUsageError, type TryResult } from '../../scripts/try.js';

const SPEC = path.join(ROOT, 'examples', 'model-spec.yaml');
const ROLLOUT = { pendingMs: 200, provisioningMs: 300, startingMs: 300 };

/** A repository of a user's with the example in .github/workflows/ and every spec file it names. */
function repository(example: string): { file: string; root: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'try-repo-'));
  mkdirSync(path.join(root, '.github', 'workflows'), { recursive: true });
  const text = readFileSync(path.join(ROOT, 'examples', 'workflows', example), 'utf8');
  const file = path.join(root, '.github', 'workflows', example);
  writeFileSync(file, text);
  for (const [, spec] of text.matchAll(/^\s+(?:spec-file|spec): (\S+\.ya?ml)$/gm)) {
    mkdirSync(path.dirname(path.join(root, spec ?? '')), { recursive: true });
    copyFileSync(SPEC, path.join(root, spec ?? ''));
  }
  return { file, root };
}

async function tryIt(
  argv: string[],
  cwd: string,
): Promise<TryResult & { printed: string; log: string }> {
  let printed = '';
  let log = '';
  const echo = new Writable({
    write(chunk: Buffer, _encoding, done): void {
      log += chunk.toString();
      done();
    },
  });
  const result = await runTry(parseTryOptions(argv, cwd), {
    print: (text) => (printed += `${text}\n`),
    echo,
    rollout: ROLLOUT,
  });
  return { ...result, printed, log };
}

describe('npm run try on the examples, each in a repository of its own', () => {
  it.each([
    ['deploy-on-push.yml', [], 'running'],
    ['plan-on-pull-request.yml', ['--job', 'deploy'], 'running'],
    ['protect-serving.yml', [], 'running'],
    ['spec-file.yml', ['--job', 'rollout'], 'running'],
    [
      'matrix.yml',
      ['--matrix', 'deployment=llama-embed', '--matrix', 'spec=models/llama-embed.yaml'],
      'running',
    ],
  ])('%s %j ends %s, one update sent', async (example, options, outcome) => {
    const { file, root } = repository(example);
    const run = await tryIt([path.relative(root, file), ...options], root);
    expect(run.outputs.outcome).toBe(outcome);
    expect(run.code).toBe(0);
    expect(run.updates).toBe(1);
    expect(run.printed).toContain(`Workspace (GITHUB_WORKSPACE, where spec-file is read): ${root}`);
    expect(run.summary).toContain('Rolled out');
  });

  it('the plan on a pull request: a dry run, and the sticky comment on the GitHub stand-in', async () => {
    const { file, root } = repository('plan-on-pull-request.yml');
    const run = await tryIt([file, '--job', 'plan'], root);
    expect(run.printed).toMatch(/event pull_request \(from the job's if:/);
    expect(run.outputs.outcome).toBe('dry-run');
    expect(run.updates).toBe(0);
    expect(run.comments).toHaveLength(1);
    expect(run.comments[0]).toContain('Merging rolls out a new configuration');
    expect(run.printed).toContain('--- pull request comment');
    expect(run.printed).toContain(run.comments[0]);
  });

  it('chain-outputs.yml smoke-tests the model on the local model server: models is set', async () => {
    const { file, root } = repository('chain-outputs.yml');
    const run = await tryIt([file], root);
    expect(run.outputs.outcome).toBe('running');
    expect(JSON.parse(run.outputs.models ?? '[]')).toEqual(['Qwen/Qwen3-8B']);
    expect(run.printed).toMatch(
      /smoke-url \(the deployment's public URL\) -> the local model server/,
    );
  });

  it('environment.yml: team-scoped paths, the smoke-api-key the model server wants, the job environment', async () => {
    const { file, root } = repository('environment.yml');
    const run = await tryIt([file], root);
    expect(run.outputs.outcome).toBe('running');
    expect(run.printed).toContain('(team acme)');
    expect(run.printed).toContain('smoke-api-key: local-placeholder-for-MODEL_API_KEY');
    // The job records the deployment itself (environment: production): the action records none.
    expect(run.deployments).toEqual([]);
  });

  it('protect-serving.yml --crash: the rollout crashes and is reverted, exit 1', async () => {
    const { file, root } = repository('protect-serving.yml');
    const run = await tryIt([file, '--crash'], root);
    expect(run.outputs.outcome).toBe('reverted');
    expect(run.code).toBe(1);
    expect(run.updates).toBe(2);
  });

  it('a missing spec file: the action names the path it looked in, the workspace, and a near name', async () => {
    const { file, root } = repository('deploy-on-push.yml');
    const elsewhere = path.join(root, 'elsewhere');
    mkdirSync(path.join(elsewhere, 'model'), { recursive: true });
    copyFileSync(SPEC, path.join(elsewhere, 'model', 'spec.yml'));
    const run = await tryIt([file, '--workspace', elsewhere], root);
    expect(run.outputs.outcome).toBe('error');
    expect(run.code).toBe(1);
    expect(run.log).toContain(
      `"model/spec.yaml" does not exist: looked for ${path.join(elsewhere, 'model', 'spec.yaml')} (spec-file is relative to the workspace, GITHUB_WORKSPACE ${elsewhere}); did you mean "model/spec.yml"?`,
    );
    await expect(tryIt([file, '--workspace', path.join(root, 'nowhere')], root)).rejects.toThrow(
      /is not a folder \(--workspace\)/,
    );
  });

  it('names what it cannot evaluate, and takes it from --set', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'try-repo-'));
    mkdirSync(path.join(root, '.github', 'workflows'), { recursive: true });
    const file = path.join(root, '.github', 'workflows', 'chained.yml');
    writeFileSync(
      file,
      [
        'on: push',
        'jobs:',
        '  deploy:',
        '    runs-on: ubuntu-latest',
        '    steps:',
        '      - id: ids',
        '        run: echo "project=ml-serving" >> "$GITHUB_OUTPUT"',
        '      - uses: your-fork/northflank-llm-deploy-action@0123456789abcdef0123456789abcdef01234567',
        '        with:',
        '          api-token: ${{ secrets.NF_TOKEN }}',
        '          project-id: ${{ steps.ids.outputs.project }}',
        '          deployment-id: qwen-chat',
        '          spec: \'{"configuration": {"name": "Qwen/Qwen3-8B"}}\'',
      ].join('\n'),
    );
    await expect(tryIt([file], root)).rejects.toThrow(
      /project-id: \$\{\{ steps\.ids\.outputs\.project \}\} \(steps\.\* is not known outside a workflow run\); give it with --set project-id=<value>/,
    );
    await expect(tryIt([file], root)).rejects.toBeInstanceOf(TryUsageError);
    const run = await tryIt([file, '--set', 'project-id=ml-serving'], root);
    expect(run.outputs.outcome).toBe('running');
  });
});
