// The bundle GitHub runs loads only what a run needs: start-up is paid on every push. A dependency
// upgrade that pulls more into it fails here, with what to check, rather than at install time.
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { BUNDLE, ROOT } from '../../scripts/local-runner.js';

const DIST = path.join(ROOT, 'dist');
const main = readFileSync(BUNDLE, 'utf8');
const chunks = readdirSync(DIST).filter((f) => /^\d+\.index\.js$/.test(f));
const everything = [main, ...chunks.map((f) => readFileSync(path.join(DIST, f), 'utf8'))];

/** 557 KiB when this was written (undici's client parts, zod/mini, our code); @actions/core
 * unpatched added about 480 KiB. The headroom absorbs routine upgrades and features. */
const MAX_BUNDLE_KIB = 700;

const ADVICE =
  'Run `npm run build`, then see which packages dist/index.js.map lists under node_modules/ ' +
  '(`sources`), and what the upgrade made the code in src/ import. Keep rarely needed code ' +
  'behind a dynamic import() (its own chunk), import a smaller entry of the package, or, if the ' +
  'growth is worth it, raise the limit here with the reason and `npm run bench` figures.';

/** The packages the start-up bundle is built from, from its source map. */
function bundledPackages(): string[] {
  const map = JSON.parse(readFileSync(`${BUNDLE}.map`, 'utf8')) as { sources: string[] };
  const names = map.sources.map((s) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(s)?.[1]);
  return [...new Set(names.filter((n): n is string => n !== undefined))].sort();
}

function explain(ok: boolean, problem: string): void {
  if (!ok) throw new Error(`${problem}\n${ADVICE}`);
}

describe('dist/index.js', () => {
  it(`stays under ${String(MAX_BUNDLE_KIB)} KiB`, () => {
    const kib = statSync(BUNDLE).size / 1024;
    explain(
      kib <= MAX_BUNDLE_KIB,
      `dist/index.js is ${kib.toFixed(0)} KiB, over the ${String(MAX_BUNDLE_KIB)} KiB ceiling: ` +
        'every run of the action loads and compiles it before its first request.',
    );
  });

  it('is built from our code, undici and zod only', () => {
    const packages = bundledPackages();
    explain(
      packages.join(' ') === 'undici zod',
      `dist/index.js bundles ${packages.join(', ')}; expected undici and zod only.`,
    );
  });

  it('holds one undici, and no OIDC client, @actions/http-client or @actions/exec anywhere', () => {
    // llhttp's binding, once per copy of undici's client.
    const parsers = main.split('wasm_on_message_begin').length - 1;
    explain(parsers === 1, `dist/index.js holds ${String(parsers)} copies of undici's client.`);
    // @actions/core's index imports these; the action speaks the runner's protocol itself.
    expect(everything.some((code) => code.includes('ACTIONS_ID_TOKEN_REQUEST_URL'))).toBe(false);
    expect(everything.some((code) => /class ToolRunner\b/.test(code))).toBe(false);
    expect(main).not.toMatch(/class HttpClient\b/);
  });

  it('keeps @actions/github in a chunk of its own, loaded only for GitHub deployments', () => {
    expect(main).not.toMatch(/class Octokit\b/);
    const github = chunks.filter((f) =>
      /class Octokit\b/.test(readFileSync(path.join(DIST, f), 'utf8')),
    );
    expect(github).toHaveLength(1);
  });
});
