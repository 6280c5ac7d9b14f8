// A workflow copied from README or examples/ should work like the project's own: every GitHub
// action they use is on one major version (examples/workflows/protect-serving.yml once kept
// actions/checkout@v4 after the rest had moved to v5).
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../../scripts/local-runner.js';

/** README.md, and every workflow under examples/ and .github/workflows/. */
function filesWithUses(): string[] {
  const yaml = (dir: string): string[] =>
    readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((name) => /\.ya?ml$/.test(name))
      .map((name) => path.join(dir, name));
  return ['README.md', ...yaml('examples'), ...yaml('.github/workflows')];
}

describe('uses: of GitHub actions', () => {
  it('is on one major version per action across README, examples/ and .github/workflows/', () => {
    const majors = new Map<string, Set<string>>();
    const where = new Map<string, string[]>();
    for (const file of filesWithUses()) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      for (const [, action = '', ref = ''] of text.matchAll(
        /\buses:\s*['"]?([\w.-]+\/[\w./-]+)@([\w.-]+)/g,
      )) {
        const major = ref.split('.')[0] ?? ref;
        majors.set(action, (majors.get(action) ?? new Set()).add(major));
        where.set(action, [...(where.get(action) ?? []), `${file}: @${ref}`]);
      }
    }
    expect(majors.get('actions/checkout')?.size).toBeGreaterThan(0);
    const mixed = [...majors]
      .filter(([, set]) => set.size > 1)
      .map(([action]) => `${action} (${(where.get(action) ?? []).join(', ')})`);
    expect(mixed).toEqual([]);
  });
});
