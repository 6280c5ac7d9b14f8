/**
 * `npm run docs`: writes README's inputs and outputs tables from action.yml.
 * `npm run docs -- --check` fails when README differs, so the docs cannot drift (CI runs it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as prettier from 'prettier';
import { parse } from 'yaml';
import { ROOT } from './local-runner.js';

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
// Formatted as `npm run format` would, so the docs check and the format check agree.
const generated = replaceBetween(
  replaceBetween(readme, 'inputs', tables.inputs),
  'outputs',
  tables.outputs,
);
const next = await prettier.format(generated, {
  ...(await prettier.resolveConfig(readmePath)),
  filepath: readmePath,
});
if (process.argv.includes('--check')) {
  if (next !== readme) {
    console.error(
      'README.md inputs/outputs tables differ from action.yml: run `npm run docs` and commit README.md.',
    );
    process.exit(1);
  }
  console.log('README.md tables match action.yml.');
} else {
  writeFileSync(readmePath, next);
  console.log('README.md tables written from action.yml.');
}
