import { describe, expect, it } from '@jest/globals';
import { gzipSync } from 'node:zlib';
import { bodyEncoding, looksBinary, quoteBody } from '../../src/http/body-text.js';
import { SseParser, SseTooLargeError } from '../../src/model/sse.js';

describe('bodies that cannot be quoted', () => {
  it('names an encoded body by its content-encoding, and a binary one as not text', () => {
    expect(bodyEncoding('gzip')).toBe('gzip');
    expect(bodyEncoding(' Identity ')).toBeUndefined();
    expect(bodyEncoding(undefined)).toBeUndefined();
    const gz = gzipSync('data: hello\n\n').toString('utf8');
    expect(looksBinary(gz)).toBe(true);
    expect(quoteBody(gz, 'br', 100)).toMatch(/^a br-encoded body \(content-encoding: br;/);
    expect(quoteBody(gz, undefined, 100)).toBe(
      'a body that is not text (binary bytes), not quoted',
    );
    expect(quoteBody('Bad gateway\n', undefined, 100)).toBe('Bad gateway');
    expect(looksBinary('plain text with a tab\tand é')).toBe(false);
  });
});

describe('the SSE cap', () => {
  it('throws past the cap on one line (across pieces) or one event (across lines), not below it', () => {
    const small = new SseParser(10);
    expect(small.push('data: 1234\n\n')).toEqual([{ data: '1234' }]);
    expect(() => new SseParser(10).push('data: 12345')).toThrow(SseTooLargeError);
    const pieces = new SseParser(10);
    pieces.push('data:');
    expect(() => pieces.push('123456')).toThrow(/passed 10 characters/);
    const lines = new SseParser(10);
    expect(() => lines.push('data: 12345\ndata: 67890\n')).toThrow(SseTooLargeError);
    expect(new SseTooLargeError(1024 * 1024).message).toMatch(/passed 1 MiB/);
  });
});
