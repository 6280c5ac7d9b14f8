/**
 * Writes dist/: the bundle GitHub runs. ncc's command line emits ES modules for a `"type":
 * "module"` package; its API takes `esm: false`, and CommonJS loads faster (no module graph to
 * link, and V8 compiles a minified script lazily). Minified, with a source map beside every file
 * so that stack traces and audits lead back to src/.
 */
import ncc from '@vercel/ncc';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { toAscii } from './ascii.js';
import { ROOT } from './local-runner.js';

const DIST = path.join(ROOT, 'dist');

const { code, map, assets } = await ncc(path.join(ROOT, 'src', 'index.ts'), {
  // A cache could carry a previous build's output into this one; CI diffs dist/ against a rebuild.
  cache: false,
  esm: false,
  minify: true,
  sourceMap: true,
  // Maps name sources relative to dist/ (`../src/main.ts`), not by this machine's paths.
  sourceMapBasePrefix: '../',
  // src/index.ts turns Node's own source-map support on; no 32 kB source-map-support in the bundle.
  sourceMapRegister: false,
  quiet: true,
});

// Only what this build writes: a chunk that a previous build split off must not linger.
for (const name of readdirSync(DIST)) {
  if (name !== 'licenses.txt') rmSync(path.join(DIST, name), { recursive: true });
}
mkdirSync(DIST, { recursive: true });
const files = new Map<string, string | Uint8Array>([['index.js', code]]);
if (map) files.set('index.js.map', map);
for (const [name, asset] of Object.entries(assets)) files.set(name, asset.source);
const text = (name: string): string | undefined => {
  const content = files.get(name);
  return content === undefined ? undefined : Buffer.from(content).toString('utf8');
};
// ASCII-only: see scripts/ascii.ts (each chunk's map moves with it).
for (const name of files.keys()) {
  if (!name.endsWith('.js')) continue;
  const mapText = text(`${name}.map`);
  const payload = mapText ? (JSON.parse(mapText) as { mappings: string }) : undefined;
  const ascii = toAscii(text(name) ?? '', payload?.mappings ?? '');
  files.set(name, ascii.code);
  if (payload) files.set(`${name}.map`, JSON.stringify({ ...payload, mappings: ascii.mappings }));
}
for (const [name, content] of files) {
  mkdirSync(path.dirname(path.join(DIST, name)), { recursive: true });
  writeFileSync(path.join(DIST, name), content);
}
// The repository's package.json says "type": "module"; this one makes Node read dist/ as CommonJS.
writeFileSync(
  path.join(DIST, 'package.json'),
  `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`,
);
console.log(
  `dist/: ${['index.js', ...Object.keys(assets)].filter((n) => n.endsWith('.js')).join(', ')}`,
);
