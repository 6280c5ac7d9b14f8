/**
 * `npm run docs`: writes README's inputs and outputs tables from action.yml, and
 * docs/spec-reference.md from the spec schema. `npm run docs -- --check` fails when either
 * differs, so the docs cannot drift (CI runs it).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as prettier from 'prettier';
import { parse } from 'yaml';
import { ROOT } from './local-runner.js';
import {
  jsClientTypes,
  northflankSpecDescriptions,
  renderSpecReference,
} from './spec-reference.js';

interface ActionDoc {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
}

const cell = (text: string): string =>
  text
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ')
    .trim();

/** The two Markdown tables for an action.yml. */
export function renderTables(action: ActionDoc): { inputs: string; outputs: string } {
  const inputs = [
    '| Input | Required | Default | Description |',
    '| --- | --- | --- | --- |',
    ...Object.entries(action.inputs).map(
      ([name, i]) =>
        `| \`${name}\` | ${i.required ? 'yes' : 'no'} | ${i.default === undefined ? '' : `\`${cell(i.default)}\``} | ${cell(i.description)} |`,
    ),
  ].join('\n');
  const outputs = [
    '| Output | Description |',
    '| --- | --- |',
    ...Object.entries(action.outputs).map(
      ([name, o]) => `| \`${name}\` | ${cell(o.description)} |`,
    ),
  ].join('\n');
  return { inputs, outputs };
}

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
const tables = renderTables(
  parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as ActionDoc,
);
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
const files: { file: string; now: string; next: string; fix: string }[] = [
  {
    file: readmePath,
    now: readme,
    next: await formatted(generated, readmePath),
    fix: 'README.md inputs/outputs tables differ from action.yml',
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
  console.log('README.md tables match action.yml; docs/spec-reference.md matches the schema.');
} else {
  mkdirSync(path.dirname(referencePath), { recursive: true });
  for (const f of files) writeFileSync(f.file, f.next);
  console.log('README.md tables written from action.yml; docs/spec-reference.md from the schema.');
}
