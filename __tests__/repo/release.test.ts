/** The release workflow's tags: what a pushed tag releases, and that the first release moves v1. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../../scripts/local-runner.js';
import { releaseTags } from '../../scripts/release-tags.js';

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
};

describe('release tags', () => {
  it.each([
    ['v1.0.0', '1.0.0', 'v1'],
    ['v1.4.2', '1.4.2', 'v1'],
    ['v2.0.0', '2.0.0', 'v2'],
    ['v10.1.0', '10.1.0', 'v10'],
  ])('%s with package.json %s moves %s', (tag, version, major) => {
    expect(releaseTags(tag, version)).toEqual({ version, major });
  });

  it.each([
    ['v0.1.0', '0.1.0', /major tag v0.*the first release is v1\.0\.0/],
    ['v1.0.1', '1.0.0', /does not match package\.json's version 1\.0\.0/],
    ['v1.0', '1.0.0', /not a release tag/],
    ['1.0.0', '1.0.0', /not a release tag/],
  ])('refuses %s with package.json %s', (tag, version, message) => {
    const result = releaseTags(tag, version);
    expect('error' in result && result.error).toMatch(message);
  });

  it("package.json's version releases as what README tells users to write (@v1)", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(releaseTags(`v${pkg.version}`, pkg.version)).toMatchObject({ major: 'v1' });
    expect(readme).toContain('northflank-llm-deploy-action@v1');
    const changelog = readFileSync(path.join(ROOT, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toMatch(
      new RegExp(
        `^## (Unreleased \\(${pkg.version.replace(/\./g, '\\.')}\\)|\\[?${pkg.version.replace(/\./g, '\\.')})`,
        'm',
      ),
    );
  });

  it('the release workflow derives the tags with that script and moves the major tag it names', () => {
    const workflow = parse(
      readFileSync(path.join(ROOT, '.github', 'workflows', 'release.yml'), 'utf8'),
    ) as {
      jobs: { release: { steps: { id?: string; run?: string; env?: Record<string, string> }[] } };
    };
    const steps = workflow.jobs.release.steps;
    const tags = steps.find((s) => s.run?.includes('build/scripts/release-tags.js'));
    expect(tags?.id).toBe('tags');
    expect(tags?.run).toContain('"$GITHUB_OUTPUT"');
    const move = steps.find((s) => s.run?.includes('git tag -f'));
    expect(move?.env?.MAJOR).toBe('${{ steps.tags.outputs.major }}');
    expect(move?.run).toContain('git push -f origin "refs/tags/$MAJOR"');
  });
});
