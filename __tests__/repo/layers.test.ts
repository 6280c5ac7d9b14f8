import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../../scripts/local-runner.js';

const SRC = path.join(ROOT, 'src');

/**
 * The floors of src/, bottom first (see docs/development.md and ../shared/STYLE.md). A module may
 * import its own room and any room on a floor below; never a room on its own floor (siblings
 * stay apart) or above. `''` is the bottom floor's shared helpers, src/*.ts.
 */
const FLOORS: readonly (readonly string[])[] = [
  [''],
  ['runner', 'http'],
  ['northflank', 'github'],
  ['rollout', 'model'],
  ['config', 'report'],
  ['steps'],
  ['main.ts'],
  ['index.ts'],
];

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

/** The room of a module: its top-level folder, the entry or run() by name, '' for a helper. */
function roomOf(file: string): string {
  if (file.includes('/')) return file.split('/')[0] ?? '';
  return file === 'main.ts' || file === 'index.ts' ? file : '';
}

/** The floor of a room; a room no floor lists is an error, so a new folder must be placed. */
function floorOf(room: string): number {
  const floor = FLOORS.findIndex((rooms) => rooms.includes(room));
  if (floor < 0) throw new Error(`src/${room}/ is on no floor: add it to FLOORS in layers.test.ts`);
  return floor;
}

/** `importer -> imported` for each import that points up, or sideways into a sibling room. */
function layerViolations(sources: ReadonlyMap<string, string>): string[] {
  const violations: string[] = [];
  for (const [file, source] of sources) {
    const room = roomOf(file);
    for (const imported of localImports(file, source)) {
      const target = roomOf(imported);
      if (target === room) continue;
      if (floorOf(target) >= floorOf(room)) violations.push(`${file} -> ${imported}`);
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
      expect.arrayContaining(['log.ts', 'northflank/schema.ts']),
    );
  });

  it('puts every folder of src/ on a floor', () => {
    const rooms = [...new Set(files.map(roomOf))];
    expect(rooms.filter((room) => !FLOORS.some((floor) => floor.includes(room)))).toEqual([]);
  });

  it('has no import that points up a floor, or across to a sibling room', () => {
    expect(layerViolations(sources)).toEqual([]);
  });

  it('catches an import that points up or sideways, static or dynamic', () => {
    const planted = new Map([
      ['rollout/judge.ts', "import type { GateVerdict } from '../model/gate.js';"],
      ['northflank/schema.ts', "import { planUpdate } from '../rollout/plan.js';"],
      ['northflank/client.ts', "const m = await import('../github/deployments.js');"],
      ['model/probe.ts', "import { run } from '../main.js';"],
      ['json.ts', "export { x } from './steps/send-update.js';"],
      ['report/summary.ts', "import { a } from '../steps/smoke-test.js';"],
      ['github/pr-comment.ts', "import { commentMarkdown } from '../report/comment-body.js';"],
      ['report/outputs.ts', "import { parseSettings } from '../config/read-settings.js';"],
      ['http/request.ts', "import { createLogger } from '../runner/logger.js';"],
      ['runner/deps.ts', "import type { Settings } from '../config/settings.js';"],
      ['steps/context.ts', "import { run } from '../main.js';"],
      ['main.ts', "import { cancel } from './index.js';"],
      [
        'steps/smoke-test.ts',
        "import { b } from '../model/probe.js';\nimport { c } from '../log.js';\nimport { d } from '../report/summary.js';",
      ],
      [
        'rollout/plan.ts',
        "import { e } from './compare.js';\nimport { f } from '../http/retry.js';",
      ],
    ]);
    expect(layerViolations(planted)).toEqual([
      'rollout/judge.ts -> model/gate.ts',
      'northflank/schema.ts -> rollout/plan.ts',
      'northflank/client.ts -> github/deployments.ts',
      'model/probe.ts -> main.ts',
      'json.ts -> steps/send-update.ts',
      'report/summary.ts -> steps/smoke-test.ts',
      'github/pr-comment.ts -> report/comment-body.ts',
      'report/outputs.ts -> config/read-settings.ts',
      'http/request.ts -> runner/logger.ts',
      'runner/deps.ts -> config/settings.ts',
      'steps/context.ts -> main.ts',
      'main.ts -> index.ts',
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
