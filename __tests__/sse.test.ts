/** The SSE parser and the chat stream's meaning: whole events out, however the stream is cut. */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { SseParser, type SseEvent } from '../src/model/sse.js';
import { applyEvent, incompleteReason, newStreamState } from '../src/model/chat-stream.js';

function parseAll(pieces: readonly string[]): SseEvent[] {
  const parser = new SseParser();
  const events = pieces.flatMap((piece) => parser.push(piece));
  return [...events, ...parser.end()];
}

/** A stream as vLLM writes it, with a choice of line ending, `data:` spacing and comments. */
function vllmStream(eol: string, space: boolean, ping: boolean, tokens: number): string {
  const data = (d: string): string =>
    `${ping ? `: ping${eol}` : ''}data:${space ? ' ' : ''}${d}${eol}${eol}`;
  const chunk = (delta: object, finish: string | null = null): string =>
    data(
      JSON.stringify({
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta, finish_reason: finish }],
      }),
    );
  let text = chunk({ role: 'assistant', content: '' });
  for (let i = 0; i < tokens; i++) text += chunk({ content: ` t${i}` });
  text += chunk({ content: '' }, 'length');
  text += data(JSON.stringify({ choices: [], usage: { completion_tokens: tokens } }));
  return text + data('[DONE]');
}

describe('SseParser', () => {
  it('splits events on blank lines, joins multi-line data, skips comments and unknown fields', () => {
    expect(
      parseAll([
        ': ping\n',
        'data: a\ndata:b\n\n',
        'event: x\nid: 3\nretry: 10\ndata: c\n\n',
        'data\n\n',
      ]),
    ).toEqual([{ data: 'a\nb' }, { data: 'c', event: 'x' }, { data: '' }]);
  });

  it('takes CR, LF and CRLF as line ends, even with the CRLF split between reads', () => {
    expect(parseAll(['data: a\r', '\n\r', '\ndata: b\r\rdata: c\n\n'])).toEqual([
      { data: 'a' },
      { data: 'b' },
      { data: 'c' },
    ]);
  });

  it('keeps only one leading space of a value', () => {
    expect(parseAll(['data:  two spaces\n\n'])).toEqual([{ data: ' two spaces' }]);
  });

  it('returns an event left without its blank line when the stream ends', () => {
    expect(parseAll(['data: [DONE]'])).toEqual([{ data: '[DONE]' }]);
    expect(parseAll(['data: x\n'])).toEqual([{ data: 'x' }]);
  });

  it('gives the same events wherever the stream is cut (every split point, any number of cuts)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (eol, space, ping, tokens, cuts) => {
          const text = vllmStream(eol, space, ping, tokens);
          const whole = parseAll([text]);
          expect(whole).toHaveLength(tokens + 4);
          // Every single cut point (compared as JSON: expect() per point is slow), then random multi-cuts.
          const expected = JSON.stringify(whole);
          const wrong: number[] = [];
          for (let i = 0; i <= text.length; i++) {
            if (JSON.stringify(parseAll([text.slice(0, i), text.slice(i)])) !== expected)
              wrong.push(i);
          }
          expect(wrong).toEqual([]);
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const pieces = [0, ...points, text.length]
            .slice(1)
            .map((end, k, ends) => text.slice(k === 0 ? 0 : ends[k - 1], end));
          expect(parseAll([text.slice(0, points[0] ?? text.length), ...pieces.slice(1)])).toEqual(
            whole,
          );
        },
      ),
      { numRuns: 10 },
    );
  });

  it('gives the same events fed one character at a time', () => {
    const text = vllmStream('\r\n', false, true, 3);
    expect(parseAll(text.split(''))).toEqual(parseAll([text]));
  });
});

describe('the chat stream', () => {
  const fold = (text: string): ReturnType<typeof newStreamState> => {
    const state = newStreamState();
    const parser = new SseParser();
    const events = parser.push(text);
    events.forEach((event, i) => {
      applyEvent(state, event, i * 10);
    });
    for (const event of parser.end()) applyEvent(state, event, events.length * 10, true);
    return state;
  };

  it('times the first and last content chunk, not the role chunk, and reads usage', () => {
    const state = fold(vllmStream('\n', true, false, 3));
    // Event 0 is the role chunk; tokens are events 1-3.
    expect(state).toMatchObject({
      firstContentMs: 10,
      lastContentMs: 30,
      contentChunks: 3,
      usageTokens: 3,
      finished: true,
      done: true,
    });
    expect(incompleteReason(state)).toBeUndefined();
  });

  it('is complete without usage or without [DONE], but not without both the finish chunk and [DONE]', () => {
    const full = vllmStream('\n', true, false, 2);
    const noUsage = full.replace(/data: \{"choices":\[\],"usage".*\n\n/, '');
    expect(fold(noUsage).usageTokens).toBeUndefined();
    expect(incompleteReason(fold(noUsage))).toBeUndefined();
    expect(incompleteReason(fold(full.replace('data: [DONE]\n\n', '')))).toBeUndefined();
    const broken = full.slice(0, full.indexOf('"finish_reason":"length"') - 60);
    expect(incompleteReason(fold(broken))).toMatch(/broke off after \d content chunk/);
  });

  it('counts an error event or a chunk that is not JSON as an error', () => {
    expect(incompleteReason(fold('data: {"error": {"message": "overloaded"}}\n\n'))).toMatch(
      /error in the stream: overloaded/,
    );
    expect(incompleteReason(fold('data: <html>\n\n'))).toMatch(/not JSON/);
    expect(incompleteReason(fold('data: [DONE]\n\n'))).toMatch(/without any content/);
  });
});
