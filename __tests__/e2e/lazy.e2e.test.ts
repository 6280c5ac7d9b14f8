// What a run does not need stays off its start-up path: the bundle loads Octokit (@actions/github,
// its own chunk) only when `environment` asks for a GitHub deployment.
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../../scripts/local-runner.js';
import { startGitHub, startWorld, type World } from '../helpers/harness.js';

const DIST = path.join(ROOT, 'dist');
const chunkWith = (pattern: RegExp): string | undefined =>
  readdirSync(DIST).find(
    (f) => f.endsWith('.js') && pattern.test(readFileSync(path.join(DIST, f), 'utf8')),
  );
const octokitChunk = chunkWith(/class Octokit\b/);
// The yaml library's own error for a repeated key; no other code in dist/ has this text.
const yamlChunk = chunkWith(/Map keys must be unique/);

/** Runs the bundle and returns the files it loaded (dist/ is CommonJS: require.cache lists them). */
async function loadedFiles(
  world: World<'bundle'>,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nf-lazy-'));
  const preload = path.join(dir, 'loaded.cjs');
  const list = path.join(dir, 'loaded.json');
  writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(Object.keys(require.cache))));\n`,
  );
  const run = await world.run(
    // A tags-only update is confirmed in 1 s of the machine's time instead of 5 s.
    { 'poll-interval': '200ms', 'rollout-start-grace': '1s', ...inputs },
    { env: { NODE_OPTIONS: `--require=${preload}`, ...env } },
  );
  expect(run.code).toBe(0);
  return (JSON.parse(readFileSync(list, 'utf8')) as string[]).map((f) => path.relative(DIST, f));
}

/** The emulator, with rollouts of 0.3 s, for the bundle. */
const lazyWorld = (): Promise<World<'bundle'>> =>
  startWorld({
    runner: 'bundle',
    emulator: { plan: { pendingMs: 100, provisioningMs: 100, startingMs: 100 } },
  });

describe('the start-up path', () => {
  it('does not load Octokit when no environment is given', async () => {
    expect(octokitChunk).toBeDefined();
    const world = await lazyWorld();
    const loaded = await loadedFiles(world, { spec: '{"configuration": {"revision": "x"}}' });
    expect(loaded).toContain('index.js');
    expect(loaded).not.toContain(octokitChunk);
  });

  it('loads Octokit when environment asks for a GitHub deployment', async () => {
    const world = await lazyWorld();
    const github = await startGitHub();
    const loaded = await loadedFiles(
      world,
      { spec: '{"configuration": {"revision": "x"}}', environment: 'production' },
      {
        GITHUB_API_URL: github.url,
        GITHUB_SERVER_URL: 'https://github.example',
        GITHUB_REPOSITORY: 'acme/models',
        GITHUB_SHA: 'c0ffee',
        GITHUB_RUN_ID: '77',
        GITHUB_TOKEN: 'ghs_workflow_token',
      },
    );
    expect(loaded).toContain(octokitChunk);
  });

  it('does not load the YAML parser for JSON inputs', async () => {
    expect(yamlChunk).toBeDefined();
    expect(yamlChunk).not.toBe('index.js');
    const world = await lazyWorld();
    const loaded = await loadedFiles(world, {
      spec: '{"configuration": {"revision": "x"}}',
      ports: '[{"name": "http", "internalPort": 8000, "protocol": "HTTP"}]',
      tags: 'llm, production',
    });
    expect(loaded).toContain('index.js');
    expect(loaded).not.toContain(yamlChunk);
  });

  it.each([
    ['spec', { spec: 'configuration:\n  revision: x\n' }],
    ['ports', { ports: '- name: http\n  internalPort: 8000\n  protocol: HTTP\n' }],
    ['tags as a YAML list', { tags: '[llm, production]' }],
  ])('loads the YAML parser for YAML in %s', async (_what, inputs) => {
    const world = await lazyWorld();
    const loaded = await loadedFiles(world, inputs);
    expect(loaded).toContain(yamlChunk);
  });
});
