// The bundle GitHub runs loads only what a run needs: start-up is paid on every push.
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { BUNDLE, ROOT } from '../scripts/local-runner.js';

const main = readFileSync(BUNDLE, 'utf8');

describe('dist/index.js', () => {
  it("leaves out @actions/core's OIDC client, its HTTP stack and @actions/exec", () => {
    // These arrive only through @actions/core's index; scripts/postinstall.js lets ncc drop them.
    expect(main).not.toMatch(/class HttpClient\b/); // @actions/http-client
    expect(main).not.toMatch(/class MockAgent\b/); // the full undici that http-client imports
    expect(main).not.toMatch(/class ToolRunner\b/); // @actions/exec
    expect(statSync(BUNDLE).size).toBeLessThan(1.5 * 1024 * 1024);
  });

  it('keeps @actions/github in a chunk of its own, loaded only for GitHub deployments', () => {
    expect(main).not.toMatch(/class Octokit\b/);
    const chunks = readdirSync(path.join(ROOT, 'dist')).filter((f) => /^\d+\.index\.js$/.test(f));
    const github = chunks.filter((f) =>
      /class Octokit\b/.test(readFileSync(path.join(ROOT, 'dist', f), 'utf8')),
    );
    expect(github).toHaveLength(1);
  });
});
