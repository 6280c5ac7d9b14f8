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
    deleteMs: 300,
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
    expect(run.printed).toMatch(/\(1 update\); the model server \d+ requests?\.\n$/);
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
    // A dry run with the emulator's token and no smoke test: nothing changed, so no list.
    expect(run.printed).not.toContain('Changed to run locally');
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
    // on: lists workflow_dispatch first: the event --help promises.
    expect(run.printed).toContain(
      "event workflow_dispatch (from the workflow's first on: event; --event to change)\n",
    );
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

  // The recipe's benchmark is 32+ requests of 128 tokens each side (about a minute on the model
  // server): a small one here, the same gate path.
  const SMALL_BENCHMARK = 'benchmark=requests: 4\nconcurrency: 4\nmax-tokens: 8';

  it('preview.yml opened: the preview is created from production, benchmarked beside it, and the comment printed', async () => {
    const { file, root } = repository('preview.yml');
    const run = await tryIt([file, '--job', 'preview', '--set', SMALL_BENCHMARK], root);
    expect(run.printed).toContain(
      "event pull_request (from the job's if:; --event to change), type opened (from the first of on.pull_request.types; --type to change)",
    );
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({
      outcome: 'running',
      'preview-id': 'qwen-chat-pr-1',
      'preview-outcome': 'created',
    });
    expect(run.log).toContain('/deployments/qwen-chat-pr-1/v1/models: Qwen/Qwen3-8B');
    expect(run.log).toContain('Benchmarked beside production');
    expect(run.held).toEqual(['qwen-chat', 'qwen-chat-pr-1']);
    expect(run.comments).toHaveLength(1);
    expect(run.comments[0]).toContain('| This run | created |');
    expect(run.printed).toContain(run.comments[0]);
  });

  it('preview.yml --type closed: created first (a try run starts with none), then deleted; the comment says so', async () => {
    const { file, root } = repository('preview.yml');
    const run = await tryIt(
      [file, '--job', 'preview', '--type', 'closed', '--set', SMALL_BENCHMARK],
      root,
    );
    expect(run.printed).toContain('type closed (from --type; --type to change)');
    expect(run.printed).toContain(
      "--- the action's log, first as pull_request opened: it creates the preview that closed deletes",
    );
    expect(run.printed).toContain(
      '--- opened: exit code 0, outcome running, preview qwen-chat-pr-1 created ---',
    );
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ outcome: 'preview-deleted', 'preview-outcome': 'deleted' });
    expect(run.held).toEqual(['qwen-chat']);
    expect(run.comments).toHaveLength(1);
    expect(run.comments[0]).toContain('Preview deleted');
    expect(run.printed).toContain(run.comments[0]);
  });

  it('preview.yml --job sweep: the schedule event, the sweep runs and finds no preview', async () => {
    const { file, root } = repository('preview.yml');
    const run = await tryIt([file, '--job', 'sweep'], root);
    expect(run.printed).toContain("event schedule (from the job's if:; --event to change)\n");
    expect(run.code).toBe(0);
    expect(run.outputs.outcome).toBe('swept');
    await expect(tryIt([file, '--job', 'sweep', '--type', 'opened'], root)).rejects.toThrow(
      /--type is the type of a pull_request or pull_request_target event; this run's event is schedule/,
    );
    await expect(
      tryIt([file, '--job', 'preview', '--event', 'pull_request.opened'], root),
    ).rejects.toThrow(/give --event pull_request --type opened/);
  });

  it("smoke-url the action rejects is left as given, so the action's own error shows, as on GitHub", async () => {
    const { file, root } = repository('chain-outputs.yml');
    const run = await tryIt([file, '--set', 'smoke-url=llm.acme.internal/mistral'], root);
    expect(run.code).toBe(1);
    expect(run.outputs.outcome).toBe('error');
    expect(run.log).toContain(
      'Input "smoke-url" is invalid: must be an absolute URL such as https://model.example.com (got "llm.acme.internal/mistral")',
    );
    expect(run.printed).toContain('  smoke-url left as given: the action rejects it, as on GitHub');
    expect(run.updates).toBe(0);
  });

  it('smoke-url ending in /v1 keeps its /v1 locally: the smoke test fails on .../v1/v1/models, as on GitHub', async () => {
    const { file, root } = repository('chain-outputs.yml');
    const run = await tryIt(
      [file, '--set', 'smoke-url=https://llm.acme.internal/v1', '--set', 'smoke-timeout=1s'],
      root,
    );
    expect(run.printed).toContain(
      'smoke-url https://llm.acme.internal/v1 -> the local model server, its /v1 kept',
    );
    expect(run.code).toBe(1);
    expect(run.outputs.outcome).toBe('smoke-failed');
    expect(run.log).toMatch(/\/v1\/v1\/models.*it ends in \/v1: give the base URL without it/);
  });

  it('--set api-token=<wrong> is sent as given: the emulator answers 401 and the action says the token was refused', async () => {
    const { file, root } = repository('deploy-on-push.yml');
    const run = await tryIt([file, '--set', 'api-token=nf-wrong-token'], root);
    expect(run.printed).toContain("api-token kept as given (not the emulator's token");
    expect(run.printed).not.toContain("api-token -> the emulator's token");
    expect(run.code).toBe(1);
    expect(run.outputs.outcome).toBe('error');
    expect(run.log).toContain('HTTP 401');
    expect(run.log).toContain('The API token was refused');
    // Masked as soon as read (the runner's ::add-mask::), never shown otherwise.
    expect(run.log.replace(/^::add-mask::.*$/gm, '')).not.toContain('nf-wrong-token');
    expect(run.updates).toBe(0);
  });

  it('a with: key the action does not have is passed on, as the runner does: the action fails the step, naming the input it means', async () => {
    const { file, root } = repository('deploy-on-push.yml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('spec-file:', 'spec_file:'));
    const run = await tryIt([file], root);
    expect(run.printed).toContain(
      "Warning: Unexpected input 'spec_file': action.yml declares no such input (the runner warns, and passes it on; the action fails the step on it).",
    );
    expect(run.code).toBe(1);
    expect(run.outputs.outcome).toBe('error');
    expect(run.log).toMatch(/spec_file.*did you mean spec-file\?/);
    expect(run.updates).toBe(0);
  });
});
