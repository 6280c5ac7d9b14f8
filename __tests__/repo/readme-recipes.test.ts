/**
 * README's recipes are the example files: each workflow README shows is the file its text links,
 * as it is in examples/workflows/, its opening comments too, so a user who copies either gets the
 * same workflow, and the tests that run the files cover README's too.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../../scripts/local-runner.js';
import { readmeBlocks, type ReadmeBlock } from '../helpers/workflow-recipes.js';

/** Why a README block is not its file: empty when it is. */
function mismatch(block: ReadmeBlock): string {
  if (!/northflank-llm-deploy-action@/.test(block.text)) return '';
  if (!/^jobs:/m.test(block.text)) {
    return `${block.source} uses the action but is not a whole workflow (no jobs:): show the file`;
  }
  if (block.linked === undefined) {
    return `${block.source} links no examples/workflows/*.yml in the text before it`;
  }
  const file = path.join(ROOT, block.linked);
  if (!existsSync(file)) return `${block.source} links ${block.linked}, which does not exist`;
  const want = readFileSync(file, 'utf8').split('\n');
  const got = block.text.split('\n');
  const at = want.findIndex((line, i) => got[i] !== line);
  if (at < 0 && got.length === want.length) return '';
  const line = at < 0 ? want.length : at;
  return `${block.source} differs from ${block.linked} at its line ${String(line + 1)}: README has ${JSON.stringify(got[line] ?? '(end)')}, the file ${JSON.stringify(want[line] ?? '(end)')}`;
}

describe("README's recipes", () => {
  const blocks = readmeBlocks();

  it('are the example files they link, line for line', () => {
    expect(blocks.map(mismatch).filter((m) => m !== '')).toEqual([]);
  });

  it('cover the workflows a user starts from, the benchmark gate with its plan among them', () => {
    expect(blocks.map((b) => b.linked)).toEqual([
      'examples/workflows/deploy-on-push.yml',
      'examples/workflows/plan-on-pull-request.yml',
      'examples/workflows/preview.yml',
      'examples/workflows/benchmark-gate.yml',
      'examples/workflows/protect-serving.yml',
      'examples/workflows/chain-outputs.yml',
    ]);
  });

  it('the check finds a recipe edited in README only, a step shown alone, a missing link', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const edited = readme.replace('timeout: 45m', 'timeout: 40m');
    expect(
      readmeBlocks(edited)
        .map(mismatch)
        .filter((m) => m !== ''),
    ).toEqual([
      expect.stringMatching(
        /^README\.md yaml block 1 differs from examples\/workflows\/deploy-on-push\.yml at its line \d+: README has "\s+timeout: 40m", the file "\s+timeout: 45m"$/,
      ),
    ]);
    const step = '```yaml\n- uses: your-org/northflank-llm-deploy-action@v1\n```\n';
    expect(readmeBlocks(step).map(mismatch)).toEqual([
      'README.md yaml block 1 uses the action but is not a whole workflow (no jobs:): show the file',
    ]);
    const unlinked =
      '```yaml\njobs:\n  a:\n    steps:\n      - uses: x/northflank-llm-deploy-action@v1\n```\n';
    expect(readmeBlocks(unlinked).map(mismatch)).toEqual([
      'README.md yaml block 1 links no examples/workflows/*.yml in the text before it',
    ]);
  });

  it('the benchmark gate workflow shows the inputs it is there to show', () => {
    const text = readFileSync(path.join(ROOT, 'examples/workflows/benchmark-gate.yml'), 'utf8');
    for (const input of ['dry-run: true', 'pr-comment: true', 'revert-on-failure: true']) {
      expect(text).toContain(input);
    }
    for (const input of [
      'smoke-test:',
      'smoke-url:',
      'smoke-api-key:',
      'benchmark: |',
      'fail-if:',
    ]) {
      expect(text).toContain(input);
    }
    expect(text).toMatch(/concurrency:\n\s+group: deploy-qwen-chat/);
  });
});
