import { describe, expect, it } from '@jest/globals';
import { MAX_LOG_MESSAGE_CHARS, neutralise } from '../../src/log.js';
import { recordingLogger } from '../helpers/recording-logger.js';

const ZWSP = '\u200B';

describe('neutralise', () => {
  it.each([
    ['::add-mask::x', `:${ZWSP}:add-mask::x`],
    ['  ::warning::forged', `  :${ZWSP}:warning::forged`],
    ['\t::stop-commands::y', `\t:${ZWSP}:stop-commands::y`],
    ['##[set-output name=status;]running', `#${ZWSP}#[set-output name=status;]running`],
    ['ok ##[error]a ##[warning]b', `ok #${ZWSP}#[error]a #${ZWSP}#[warning]b`],
    ['a\n::add-mask::x', 'a ::add-mask::x'],
    ['a\r\nb\rc\u2028d\u2029e\u0085f', 'a b c d e f'],
    ['plain text: with :: inside', 'plain text: with :: inside'],
  ])('%j becomes %j', (input, output) => {
    expect(neutralise(input)).toBe(output);
  });

  it('leaves one line that no runner parser takes for a command', () => {
    const line = neutralise('\n\n  ::error::x\n##[group]y');
    expect(line).not.toMatch(/[\r\n]/);
    expect(line).not.toMatch(/^\s*::/);
    expect(line).not.toContain('##[');
  });

  it('caps the length and says how much it cut', () => {
    const line = neutralise('x'.repeat(MAX_LOG_MESSAGE_CHARS + 10));
    expect(line).toMatch(/… \(10 more characters cut\)$/);
  });

  it('is applied by every method of the logger, titles included', async () => {
    const { log, lines } = recordingLogger();
    log.info('::a');
    log.debug('::b');
    log.warning('::c', { title: '##[d' });
    log.error('::e');
    log.notice('::f');
    await log.group('::g', () => Promise.resolve());
    expect(lines).toContain(`warning: [#${ZWSP}#[d] :${ZWSP}:c`);
    expect(lines.every((l) => !/^(\w+: )?::/.test(l) && !l.includes('##['))).toBe(true);
  });
});
