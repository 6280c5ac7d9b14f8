/** The SSE parser and the chat stream's meaning: whole events out, however the stream is cut. */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { SseParser, type SseEvent } from '../../src/model/sse.js';
import {
  applyEvent,
  errorText,
  incompleteReason,
  newStreamState,
} from '../../src/model/chat-stream.js';

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
      firstTokenMs: 10,
      lastTokenMs: 30,
      answerChunks: 3,
      reasoningChunks: 0,
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
    expect(incompleteReason(fold(broken))).toMatch(/broke off after \d token chunk/);
  });

  it('counts an error event or a chunk that is not JSON as an error', () => {
    expect(incompleteReason(fold('data: {"error": {"message": "overloaded"}}\n\n'))).toMatch(
      /error in the stream: overloaded/,
    );
    expect(incompleteReason(fold('data: <html>\n\n'))).toMatch(/not JSON/);
    expect(incompleteReason(fold('data: [DONE]\n\n'))).toMatch(/without any token/);
  });
});

describe('the chat stream as real servers and gateways send it', () => {
  const fold = (events: SseEvent[]): ReturnType<typeof newStreamState> => {
    const state = newStreamState();
    events.forEach((event, i) => {
      applyEvent(state, event, i * 10);
    });
    return state;
  };
  const data = (value: unknown): SseEvent => ({ data: JSON.stringify(value) });
  const delta = (d: unknown, finish: string | null = null): SseEvent =>
    data({
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta: d, finish_reason: finish }],
    });

  it("counts a reasoning model's thinking as tokens, under either of vLLM's names, apart from the answer", () => {
    for (const field of ['reasoning_content', 'reasoning']) {
      const state = fold([
        delta({ role: 'assistant', content: '' }),
        delta({ [field]: 'Let', content: null }),
        delta({ [field]: ' me think' }),
        delta({ content: 'Hi' }),
        delta({}, 'length'),
        data({
          choices: [],
          usage: { completion_tokens: 3, completion_tokens_details: { reasoning_tokens: 2 } },
        }),
        { data: '[DONE]' },
      ]);
      expect(state).toMatchObject({
        firstTokenMs: 10,
        lastTokenMs: 30,
        reasoningChunks: 2,
        answerChunks: 1,
        usageTokens: 3,
        usageReasoningTokens: 2,
      });
      expect(incompleteReason(state)).toBeUndefined();
    }
  });

  it('takes a reply that is all thinking as a whole reply', () => {
    const state = fold([
      delta({ role: 'assistant', content: null }),
      delta({ reasoning_content: 'Hmm', content: null }),
      delta({ reasoning_content: ' well', content: null }),
      delta(null, 'length'),
      { data: '[DONE]' },
    ]);
    expect(state).toMatchObject({ reasoningChunks: 2, answerChunks: 0, firstTokenMs: 10 });
    expect(incompleteReason(state)).toBeUndefined();
  });

  it('accepts null where a value carries nothing: delta, choices, content, finish_reason, usage', () => {
    const state = fold([
      delta({ role: 'assistant', content: null }, null),
      delta({ content: 'a' }),
      delta(null, 'stop'),
      data({ choices: null, usage: { completion_tokens: 1, completion_tokens_details: null } }),
      data({ choices: [{ index: 0, delta: { content: null, reasoning: null } }], usage: null }),
      { data: '[DONE]' },
    ]);
    expect(state).toMatchObject({
      answerChunks: 1,
      usageTokens: 1,
      finished: true,
      error: undefined,
    });
    expect(incompleteReason(state)).toBeUndefined();
  });

  it("takes vLLM's top-level ErrorResponse, an {error} chunk and an SSE error event as errors, with the server's message", () => {
    const vllm = fold([
      delta({ content: 'a' }),
      data({
        object: 'error',
        message: 'CUDA error: an illegal memory access',
        type: 'InternalServerError',
        param: null,
        code: 500,
      }),
      { data: '[DONE]' },
    ]);
    expect(incompleteReason(vllm)).toBe(
      'the server reported an error in the stream: CUDA error: an illegal memory access (code 500)',
    );
    expect(incompleteReason(fold([data({ error: { message: 'overloaded', code: 503 } })]))).toBe(
      'the server reported an error in the stream: overloaded (code 503)',
    );
    expect(incompleteReason(fold([data({ error: 'overloaded' })]))).toBe(
      'the server reported an error in the stream: overloaded',
    );
    // An error event, whatever its data: JSON with a message, or plain text.
    expect(
      incompleteReason(
        fold([
          delta({ content: 'a' }),
          { event: 'error', data: '{"message":"upstream reset"}' },
          { data: '[DONE]' },
        ]),
      ),
    ).toBe('the server sent an error event in the stream: upstream reset');
    expect(incompleteReason(fold([{ event: 'error', data: 'gateway timeout' }]))).toBe(
      'the server sent an error event in the stream: gateway timeout',
    );
    // `"error": null` in an ordinary chunk reports nothing.
    expect(
      fold(
        [data({ choices: [{ delta: { content: 'a' } }], error: null })].concat([
          { data: '[DONE]' },
        ]),
      ).error,
    ).toBeUndefined();
  });

  it("keeps the server's message to one bounded line that cannot be a workflow command", () => {
    const state = fold([
      {
        event: 'error',
        data: JSON.stringify({
          message: `::error::owned\n::set-output name=x::y ${'z'.repeat(500)}`,
        }),
      },
    ]);
    const reason = incompleteReason(state) ?? '';
    expect(reason).not.toContain('\n');
    expect(reason.length).toBeLessThan(320);
    // Quoted alone (as the step's message may start with it), it is no workflow command either.
    const quoted = errorText({ message: '::error::owned' });
    expect(quoted.startsWith('::')).toBe(false);
    expect(quoted).toContain('error::owned');
  });

  it('says what in a chunk is not a chat completion chunk', () => {
    expect(incompleteReason(fold([data({ choices: [{ delta: { content: 5 } }] })]))).toMatch(
      /^a stream event is not a chat completion chunk at choices\.0\.delta\.content \(.*string.*, got 5\)/,
    );
    expect(incompleteReason(fold([data(['a'])]))).toMatch(/not a chat completion chunk/);
  });
});
