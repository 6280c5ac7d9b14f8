// The runner's protocol as the action speaks it (src/runner/protocol.ts): the formats the runner
// parses, in the bytes @actions/core 3.0.1 wrote before this module replaced it.
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  appendSummary,
  inputValue,
  outputEntry,
  runnerLog,
  setOutput,
  setSecret,
  workflowCommand,
} from '../../src/runner/protocol.js';
import { parseOutputFile } from '../../scripts/local-runner.js';

function recorder(): { write: (text: string) => void; text: () => string } {
  let written = '';
  return { write: (text) => (written += text), text: () => written };
}

const scratch = (): string => mkdtempSync(path.join(tmpdir(), 'nf-runner-'));

describe('inputValue', () => {
  it('reads INPUT_<NAME> as the runner sets it: upper case, spaces as _, dashes kept', () => {
    const env = { 'INPUT_API-TOKEN': ' t ', INPUT_MY_INPUT: 'x' };
    expect(inputValue(env, 'api-token')).toBe(' t ');
    expect(inputValue(env, 'my input')).toBe('x');
    expect(inputValue(env, 'missing')).toBe('');
  });
});

describe('workflowCommand', () => {
  it('escapes %, CR and LF in the message, and also : and , in properties', () => {
    expect(workflowCommand('warning', '50%\r\nnext', { title: 'a:b,c' })).toBe(
      '::warning title=a%3Ab%2Cc::50%25%0D%0Anext',
    );
  });

  it('leaves out empty properties', () => {
    expect(workflowCommand('error', 'm', { title: undefined })).toBe('::error::m');
    expect(workflowCommand('error', 'm', { title: '' })).toBe('::error::m');
  });
});

describe('runnerLog', () => {
  it('writes plain lines, annotations, groups and debug as the runner reads them', () => {
    const out = recorder();
    const log = runnerLog(out.write);
    log.info('plain % text');
    log.debug('d\ne');
    log.warning('w', { title: 'T' });
    log.error('e');
    log.notice('n', {});
    log.startGroup('G');
    log.endGroup();
    expect(out.text().split('\n')).toEqual([
      'plain % text',
      '::debug::d%0Ae',
      '::warning title=T::w',
      '::error::e',
      '::notice::n',
      '::group::G',
      '::endgroup::',
      '',
    ]);
  });
});

describe('setSecret', () => {
  it('asks the runner to mask the value, a multi-line one as one value', () => {
    const out = recorder();
    setSecret('line1\nline2', out.write);
    expect(out.text()).toBe('::add-mask::line1%0Aline2\n');
  });
});

describe('setOutput', () => {
  it('appends a heredoc entry to GITHUB_OUTPUT that survives newlines and lookalike lines', () => {
    const file = path.join(scratch(), 'output');
    writeFileSync(file, '');
    const out = recorder();
    const value = 'first\nforged<<EOF\nEOF\nlast';
    setOutput('message', value, { GITHUB_OUTPUT: file }, out.write);
    setOutput('outcome', 'running', { GITHUB_OUTPUT: file }, out.write);
    expect(parseOutputFile(readFileSync(file, 'utf8'))).toEqual({
      message: value,
      outcome: 'running',
    });
    expect(out.text()).toBe('');
  });

  it('refuses a value that holds its delimiter, which would end the entry early', () => {
    expect(() => outputEntry('x', 'a\nDELIM\nb', 'DELIM')).toThrow(/contains the delimiter/);
    expect(outputEntry('x', 'v', 'DELIM')).toBe('x<<DELIM\nv\nDELIM');
  });

  it('without GITHUB_OUTPUT, prints ::set-output on a line of its own, escaped', () => {
    const out = recorder();
    setOutput('outcome', 'a\nb', {}, out.write);
    expect(out.text()).toBe('\n::set-output name=outcome::a%0Ab\n');
  });
});

describe('appendSummary', () => {
  it('appends the markdown and a line end to GITHUB_STEP_SUMMARY', async () => {
    const file = path.join(scratch(), 'summary');
    writeFileSync(file, 'before\n');
    await appendSummary('## Rollout', { GITHUB_STEP_SUMMARY: file });
    expect(readFileSync(file, 'utf8')).toBe('before\n## Rollout\n');
  });

  it('does nothing without GITHUB_STEP_SUMMARY', async () => {
    await expect(appendSummary('x', {})).resolves.toBeUndefined();
  });
});
