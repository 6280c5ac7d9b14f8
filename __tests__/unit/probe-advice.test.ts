/** The smoke probe's advice names the input and what failed, and a 429's Retry-After is honoured. */
import { describe, expect, it } from '@jest/globals';
import { probeAdvice, retryAfter } from '../../src/model/probe.js';

const BASE = 'https://qwen.example.com';

describe('probeAdvice', () => {
  it.each([
    [
      { status: 0, code: 'ENOTFOUND' },
      /^DNS: qwen\.example\.com does not resolve \(ENOTFOUND\); check "smoke-url"/,
    ],
    [{ status: 0, code: 'EAI_AGAIN' }, /^DNS: .*\(EAI_AGAIN\)/],
    [
      { status: 0, code: 'ECONNREFUSED' },
      /^Connection refused at qwen\.example\.com: .*"smoke-url"/,
    ],
    [{ status: 401 }, /^HTTP 401: the model server refuses the key; check "smoke-api-key"/],
    [{ status: 403 }, /^HTTP 403: .*"smoke-api-key"/],
    [
      { status: 404 },
      /^HTTP 404: nothing at https:\/\/qwen\.example\.com\/v1\/models; check the path in "smoke-url"\.$/,
    ],
    [{ status: 503 }, /does not serve yet: check its logs in Northflank.*"smoke-timeout"/],
  ])('%j', (answer, advice) => {
    expect(probeAdvice(answer, BASE)).toMatch(advice);
  });

  it('a smoke-url ending in /v1 is named as the likely cause of a 404', () => {
    expect(probeAdvice({ status: 404 }, `${BASE}/v1`)).toContain('give the base URL without it');
  });
});

describe('retryAfter', () => {
  it('reads seconds or an HTTP date, capped at a minute; nothing else', () => {
    expect(retryAfter('3')).toBe(3000);
    expect(retryAfter('600')).toBe(60_000);
    expect(retryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfter(undefined)).toBeUndefined();
    expect(retryAfter('soon')).toBeUndefined();
    expect(retryAfter('-1')).toBeUndefined();
  });
});
