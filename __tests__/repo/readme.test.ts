/**
 * README is the user's page: no line too long to read, one short line per input and output (the
 * whole descriptions are in docs/inputs.md), both generated from action.yml.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../../scripts/local-runner.js';
import {
  overBudget,
  README_MAX_LINE,
  renderInputsPage,
  renderTables,
  summaryOf,
  wrap,
  type ActionDoc,
} from '../../scripts/action-docs.js';

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const inputsPage = readFileSync(path.join(ROOT, 'docs', 'inputs.md'), 'utf8');
const action = parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as ActionDoc;

/** A Markdown table's rows as trimmed cells, padding and the separator row left out. */
function rows(table: string): string[][] {
  return table
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|[\s|:-]+\|$/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
}

function between(text: string, marker: string): string {
  const from = text.indexOf(`<!-- ${marker}:start -->`);
  const to = text.indexOf(`<!-- ${marker}:end -->`);
  expect(from).toBeGreaterThanOrEqual(0);
  return text.slice(from, to);
}

describe('README.md', () => {
  it(`has no line over ${String(README_MAX_LINE)} characters`, () => {
    const long = readme
      .split('\n')
      .map((line, i) => ({ line: i + 1, length: line.length }))
      .filter((l) => l.length > README_MAX_LINE);
    expect(long).toEqual([]);
  });

  it('has the inputs and outputs tables action.yml gives, one short line each', () => {
    const tables = renderTables(action);
    expect(rows(between(readme, 'inputs'))).toEqual(rows(tables.inputs));
    expect(rows(between(readme, 'outputs'))).toEqual(rows(tables.outputs));
    expect(rows(tables.inputs).map((r) => r[0])).toEqual([
      'Input',
      ...Object.keys(action.inputs).map((n) => `\`${n}\``),
    ]);
  });

  it('links the page with every whole description', () => {
    expect(readme).toContain('(docs/inputs.md)');
  });
});

describe('docs/inputs.md', () => {
  it('is what action.yml gives, each input and output under its own heading', () => {
    const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();
    expect(squash(inputsPage)).toBe(squash(renderInputsPage(action)));
    for (const name of [...Object.keys(action.inputs), ...Object.keys(action.outputs)]) {
      expect(inputsPage).toContain(`### \`${name}\``);
    }
  });

  it('keeps the whole description, not only the first sentence', () => {
    const squash = (text: string): string => text.replace(/\s+/g, ' ');
    expect(squash(inputsPage)).toContain('the step ends updated once the values have shown');
  });
});

describe('first sentences', () => {
  it('stop at the first full stop outside parentheses, not at "e.g."', () => {
    expect(summaryOf('With mode preview: how long (e.g. 24h, 3d). The sweep deletes it.')).toBe(
      'With mode preview: how long (e.g. 24h, 3d).',
    );
    expect(summaryOf('A list, e.g. [{"a": 1.5}]. Empty leaves it.')).toBe(
      'A list, e.g. [{"a": 1.5}].',
    );
    expect(summaryOf('Path (a.b. c) of a file. More.')).toBe('Path (a.b. c) of a file.');
    expect(summaryOf('No stop at all')).toBe('No stop at all');
  });

  it("fit README's table for every input and output of action.yml", () => {
    expect(overBudget(action)).toEqual([]);
  });

  it('that are too long are refused, naming the input', () => {
    const long = { inputs: { x: { description: `${'word '.repeat(40)}end.` } }, outputs: {} };
    expect(overBudget(long)).toEqual([expect.stringMatching(/input "x" has 204 characters/)]);
  });
});

describe('wrapping a description for docs/inputs.md', () => {
  it('keeps lines to the width and never starts one with a list marker or a heading', () => {
    const text = `${'abc '.repeat(24)}- ${'abc '.repeat(24)}1. ${'abc '.repeat(24)}# x`;
    const lines = wrap(text, 40).split('\n');
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.filter((l) => /^([-+*#>]|\d+\.)( |$)/.test(l))).toEqual([]);
    expect(lines.filter((l) => l.length > 43)).toEqual([]);
    expect(lines.join(' ')).toBe(text);
  });
});
