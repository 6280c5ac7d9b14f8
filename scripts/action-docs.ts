/**
 * What README and docs/inputs.md say of action.yml's inputs and outputs, pure: README gets one
 * short line per input (the first sentence of its description), docs/inputs.md the whole text. The
 * first sentence is kept short by a budget, so README's table rows stay readable in an editor and
 * on GitHub (each row is padded to the widest, so one long cell widens all of them).
 */

export interface ActionDoc {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
}

/** The longest line README may have, tables included. */
export const README_MAX_LINE = 200;
/** The longest first sentence an input's or an output's description may have (README's cell). */
export const SUMMARY_BUDGET = { inputs: 130, outputs: 160 } as const;

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ').trim();

/** Text for Markdown: a `<name>` placeholder would otherwise be read as an HTML tag and vanish. */
const markdown = (text: string): string => text.replace(/</g, '\\<');

/** docs/x.md named in a description, as a link from a page in docs/. */
const linked = (text: string): string =>
  text.replace(/\bdocs\/([a-z-]+\.md)\b/g, (_, file: string) => `[docs/${file}](${file})`);

const cell = (text: string): string => markdown(oneLine(text)).replace(/\|/g, '\\|');

/**
 * A description's first sentence: up to the first full stop that ends a sentence, outside
 * parentheses and brackets, and not the stop of "e.g." or "i.e.".
 */
export function summaryOf(description: string): string {
  const text = oneLine(description);
  let depth = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth += 1;
    else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
    else if (c === '.' && depth === 0 && (i === text.length - 1 || text[i + 1] === ' ')) {
      if (!/\b(e\.g|i\.e)$/.test(text.slice(0, i))) return text.slice(0, i + 1);
    }
  }
  return text;
}

/** Each first sentence over its budget, as a message that says what to shorten. */
export function overBudget(action: ActionDoc): string[] {
  return (['inputs', 'outputs'] as const).flatMap((kind) =>
    Object.entries(action[kind])
      .map(([name, entry]) => ({ name, summary: summaryOf(entry.description) }))
      .filter(({ summary }) => summary.length > SUMMARY_BUDGET[kind])
      .map(
        ({ name, summary }) =>
          `action.yml: the first sentence of ${kind.slice(0, -1)} "${name}" has ${String(summary.length)} characters; README's table takes at most ${String(SUMMARY_BUDGET[kind])}. Shorten it and move the rest after it (docs/inputs.md shows the whole description).`,
      ),
  );
}

/** README's two tables: one line per input and output, with the default and the first sentence. */
export function renderTables(action: ActionDoc): { inputs: string; outputs: string } {
  const inputs = [
    '| Input | Default | Description |',
    '| --- | --- | --- |',
    ...Object.entries(action.inputs).map(
      ([name, i]) =>
        `| \`${name}\` | ${i.default === undefined ? '' : `\`${cell(i.default)}\``} | ${i.required ? '**Required.** ' : ''}${cell(summaryOf(i.description))} |`,
    ),
  ].join('\n');
  const outputs = [
    '| Output | Description |',
    '| --- | --- |',
    ...Object.entries(action.outputs).map(
      ([name, o]) => `| \`${name}\` | ${cell(summaryOf(o.description))} |`,
    ),
  ].join('\n');
  return { inputs, outputs };
}

/** Words wrapped to `width` columns; a word that Markdown would read as a list item or a heading
 * at the start of a line is kept on the line before it. */
export function wrap(text: string, width = 100): string {
  const lines: string[] = [];
  let line = '';
  for (const word of oneLine(text).split(' ')) {
    const startsBlock = /^([-+*>#|]|\d+[.)])$/.test(word) || /^[#>|]/.test(word);
    if (line !== '' && `${line} ${word}`.length > width && !startsBlock) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines.join('\n');
}

/** docs/inputs.md: every input and output with its whole description. */
export function renderInputsPage(action: ActionDoc): string {
  const entry = (name: string, facts: string[], description: string): string =>
    [
      `### \`${name}\``,
      '',
      ...(facts.length > 0 ? [facts.join(' '), ''] : []),
      wrap(linked(markdown(description))),
    ].join('\n');
  return [
    '# Inputs and outputs',
    '',
    wrap(
      "Every input and output of the action, with action.yml's whole description. README's tables give the first sentence of each. Generated from action.yml by `npm run docs`: edit action.yml, not this page.",
    ),
    '',
    '## Inputs',
    '',
    ...Object.entries(action.inputs)
      .map(([name, i]) =>
        entry(
          name,
          [
            ...(i.required ? ['**Required.**'] : []),
            ...(i.default === undefined ? [] : [`Default: \`${oneLine(i.default)}\`.`]),
          ],
          i.description,
        ),
      )
      .flatMap((e) => [e, '']),
    '## Outputs',
    '',
    ...Object.entries(action.outputs)
      .map(([name, o]) => entry(name, [], o.description))
      .flatMap((e) => [e, '']),
  ].join('\n');
}
