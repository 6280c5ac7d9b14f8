/**
 * `npm run docs`: writes README's inputs and outputs tables and docs/inputs.md from action.yml,
 * and docs/spec-reference.md from the spec schema. `npm run docs -- --check` fails when any
 * differs, so the docs cannot drift (CI runs it).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as prettier from 'prettier';
import { parse } from 'yaml';
import { ROOT } from './local-runner.js';
import {
  overBudget,
  renderInputsPage,
  renderTables,
  README_MAX_LINE,
  type ActionDoc,
} from './action-docs.js';
import {
  jsClientTypes,
  northflankSpecDescriptions,
  renderSpecReference,
} from './spec-reference.js';

function replaceBetween(text: string, marker: string, content: string): string {
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md has no ${start} … ${end} block`);
  return `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`;
}

const readmePath = path.join(ROOT, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const action = parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as ActionDoc;
// A first sentence too long for README's table is action.yml's to fix, not the table's to cut.
const tooLong = overBudget(action);
if (tooLong.length > 0) {
  for (const message of tooLong) console.error(message);
  process.exit(1);
}
const tables = renderTables(action);
const generated = replaceBetween(
  replaceBetween(readme, 'inputs', tables.inputs),
  'outputs',
  tables.outputs,
);
/** Text formatted as `npm run format` would, so the docs check and the format check agree. */
async function formatted(text: string, file: string): Promise<string> {
  return prettier.format(text, { ...(await prettier.resolveConfig(file)), filepath: file });
}

const referencePath = path.join(ROOT, 'docs', 'spec-reference.md');
const inputsPath = path.join(ROOT, 'docs', 'inputs.md');
const files: { file: string; now: string; next: string; fix: string }[] = [
  {
    file: readmePath,
    now: readme,
    next: await formatted(generated, readmePath),
    fix: 'README.md inputs/outputs tables differ from action.yml',
  },
  {
    file: inputsPath,
    now: existsSync(inputsPath) ? readFileSync(inputsPath, 'utf8') : '',
    next: await formatted(renderInputsPage(action), inputsPath),
    fix: 'docs/inputs.md differs from action.yml',
  },
  {
    file: referencePath,
    now: existsSync(referencePath) ? readFileSync(referencePath, 'utf8') : '',
    next: await formatted(
      renderSpecReference(northflankSpecDescriptions(jsClientTypes())),
      referencePath,
    ),
    fix: 'docs/spec-reference.md differs from the spec schema',
  },
];
if (process.argv.includes('--check')) {
  const stale = files.filter((f) => f.next !== f.now);
  for (const f of stale) console.error(`${f.fix}: run \`npm run docs\` and commit it.`);
  if (stale.length > 0) process.exit(1);
  console.log(
    'README.md tables and docs/inputs.md match action.yml; docs/spec-reference.md matches the schema.',
  );
} else {
  mkdirSync(path.dirname(referencePath), { recursive: true });
  for (const f of files) writeFileSync(f.file, f.next);
  const long = files[0]?.next.split('\n').filter((line) => line.length > README_MAX_LINE) ?? [];
  if (long.length > 0) {
    console.error(
      `README.md has ${String(long.length)} line(s) over ${String(README_MAX_LINE)} characters.`,
    );
  }
  console.log(
    'README.md tables and docs/inputs.md written from action.yml; docs/spec-reference.md from the schema.',
  );
}
