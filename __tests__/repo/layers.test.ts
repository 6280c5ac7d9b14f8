import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../../scripts/local-runner.js';

const SRC = path.join(ROOT, 'src');

/** Every TypeScript module under src/, as a path relative to src/ with `/` separators. */
function modules(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return modules(full);
    return entry.name.endsWith('.ts') ? [path.relative(SRC, full).split(path.sep).join('/')] : [];
  });
}

/** The src/-relative modules that `source` (the text of `file`) imports, statically or not. */
function localImports(file: string, source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
    const spec = match[1] ?? '';
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
    found.push(resolved.replace(/\.js$/, '.ts'));
  }
  return found;
}

/** The top-level folder of a module ('' for src/*.ts). */
const folderOf = (file: string): string => (file.includes('/') ? (file.split('/')[0] ?? '') : '');

/** The rooms each room must not import: every arrow points down (see ../shared/STYLE.md). */
function forbidden(file: string): string[] {
  const top = ['action', 'steps', 'main.ts', 'index.ts'];
  switch (folderOf(file)) {
    case 'northflank':
    case 'rollout':
      return [...top, 'github'];
    case 'model':
      return top;
    case 'github':
      return ['steps', 'main.ts', 'index.ts'];
    case 'action':
      return ['steps', 'main.ts', 'index.ts'];
    case 'steps':
      return ['main.ts', 'index.ts'];
    default:
      // The entry and run() sit on top; every other file at the top level is a helper below all.
      return file === 'main.ts' || file === 'index.ts' ? [] : top;
  }
}

/** `importer -> imported` for each import that points up, or sideways into a forbidden room. */
function layerViolations(sources: ReadonlyMap<string, string>): string[] {
  const violations: string[] = [];
  for (const [file, source] of sources) {
    const rooms = forbidden(file);
    for (const imported of localImports(file, source)) {
      const room = folderOf(imported) || imported;
      if (rooms.includes(room)) violations.push(`${file} -> ${imported}`);
    }
  }
  return violations;
}

describe('the layers of src/', () => {
  const files = modules();
  const sources = new Map(files.map((file) => [file, readFileSync(path.join(SRC, file), 'utf8')]));

  it('finds the modules and their imports', () => {
    expect(files).toEqual(expect.arrayContaining(['main.ts', 'log.ts', 'rollout/wait-loop.ts']));
    expect(localImports('rollout/wait-loop.ts', sources.get('rollout/wait-loop.ts') ?? '')).toEqual(
      expect.arrayContaining(['log.ts', 'rollout/judge.ts', 'northflank/schema.ts']),
    );
  });

  it('has no import from a lower room up to action/, steps/, main or github/', () => {
    expect(layerViolations(sources)).toEqual([]);
  });

  it('catches an import that points up, static or dynamic', () => {
    const planted = new Map([
      ['rollout/judge.ts', "import type { Logger } from '../action/core-logger.js';"],
      ['northflank/client.ts', "const m = await import('../github/deployments.js');"],
      ['model/probe.ts', "import { run } from '../main.js';"],
      ['json.ts', "export { x } from './steps/send-update.js';"],
      ['action/report.ts', "import { a } from '../steps/smoke-test.js';"],
      [
        'steps/smoke-test.ts',
        "import { b } from '../model/probe.js';\nimport { c } from '../log.js';",
      ],
    ]);
    expect(layerViolations(planted)).toEqual([
      'rollout/judge.ts -> action/core-logger.ts',
      'northflank/client.ts -> github/deployments.ts',
      'model/probe.ts -> main.ts',
      'json.ts -> steps/send-update.ts',
      'action/report.ts -> steps/smoke-test.ts',
    ]);
  });

  it('gives each module a name of its own', () => {
    const byName = new Map<string, string[]>();
    for (const file of files) {
      const name = path.posix.basename(file).replace(/(\.d)?\.ts$/, '');
      byName.set(name, [...(byName.get(name) ?? []), file]);
    }
    const shared = [...byName.values()].filter((paths) => paths.length > 1);
    expect(shared).toEqual([]);
  });
});
