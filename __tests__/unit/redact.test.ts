import { describe, expect, it } from '@jest/globals';
import { Redactor } from '../../src/runner/redact.js';
import { rateLimitDelayMs } from '../../src/http/retry.js';
import { recordingLogger } from '../helpers/recording-logger.js';

describe('Redactor', () => {
  it('redacts a secret and its URL- and JSON-encoded forms from every logger call', () => {
    const redactor = new Redactor();
    redactor.add('nf/tok+en"1');
    const { log, lines } = recordingLogger();
    const redacted = redactor.logger(log);
    redacted.info('plain nf/tok+en"1');
    redacted.warning('url nf%2Ftok%2Ben%221', { title: 'title nf/tok+en"1' });
    redacted.error('json nf/tok+en\\"1');
    expect(lines).toEqual(['plain ***', 'warning: [title ***] url ***', 'error: json ***']);
  });

  it('redacts outputs and the summary', async () => {
    const redactor = new Redactor();
    redactor.add('s3cret-token');
    const outputs: Record<string, string> = {};
    redactor.outputs({ setOutput: (n, v) => (outputs[n] = v) }).setOutput('x', 'a s3cret-token b');
    let summary = '';
    await redactor
      .summary({ write: (m) => Promise.resolve(void (summary = m)) })
      .write('| s3cret-token |');
    expect(outputs).toEqual({ x: 'a *** b' });
    expect(summary).toBe('| *** |');
  });

  it('leaves text alone for a secret of one or two characters', () => {
    const redactor = new Redactor();
    redactor.add('a');
    expect(redactor.redact('a cat')).toBe('a cat');
  });
});

describe('rateLimitDelayMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    [{ 'x-ratelimit-reset': '0' }, 1000],
    [{ 'x-ratelimit-reset': '1700000000' }, 1000],
    [{ 'retry-after': '0' }, 1000],
    [{ 'retry-after': 'Wed, 01 Jan 2025 00:00:00 GMT' }, 1000],
    [{ 'x-ratelimit-reset': `1${'0'.repeat(400)}` }, 3_600_000],
    [{ 'retry-after': '999999999' }, 3_600_000],
    [{ 'x-ratelimit-reset': '30' }, 30_000],
  ])('%j waits %i ms', (headers, ms) => {
    expect(rateLimitDelayMs(headers, now)).toBe(ms);
  });
});
