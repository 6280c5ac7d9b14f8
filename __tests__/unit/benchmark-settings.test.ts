/** The `benchmark` input: defaults, ranges and every limit rule, with errors naming key, rule and value. */
import { describe, expect, it } from '@jest/globals';
import { InputError } from '../../src/errors.js';
import { parseBenchmarkSettings } from '../../src/model/benchmark-settings.js';
import { DEFAULT_BENCHMARK_PROMPT } from '../../src/model/default-prompt.js';
import { judgeLimits } from '../../src/model/gate.js';
import { parseBenchmark } from '../../src/config/benchmark-input.js';
import type { InputSources } from '../../src/runner/deps.js';
import { loadYaml } from '../../src/config/structured.js';

function error(value: unknown): string {
  try {
    parseBenchmarkSettings(value);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).message;
  }
  throw new Error('no error');
}

describe('parseBenchmarkSettings', () => {
  it('is off for false (and an empty input), all defaults for true', () => {
    expect(parseBenchmarkSettings(false)).toBeUndefined();
    expect(parseBenchmarkSettings(undefined)).toBeUndefined();
    expect(parseBenchmarkSettings(true)).toEqual({
      requests: 16,
      concurrency: 4,
      warmup: 4,
      maxTokens: 128,
      prompt: DEFAULT_BENCHMARK_PROMPT,
      baseline: 'previous',
      maxRequests: 128,
      confidence: 0.95,
      requireBaseline: false,
      onNoRollout: 'skip',
      failIf: {},
    });
  });

  it('takes max-requests (at least requests), confidence as a percentage, require-baseline and on-no-rollout', () => {
    const s = parseBenchmarkSettings({
      requests: 8,
      'max-requests': 40,
      confidence: '99%',
      'require-baseline': true,
      'on-no-rollout': 'measure',
    });
    expect(s).toMatchObject({
      requests: 8,
      maxRequests: 40,
      confidence: 0.99,
      requireBaseline: true,
      onNoRollout: 'measure',
    });
    expect(parseBenchmarkSettings({ confidence: 0.9 })?.confidence).toBeCloseTo(0.9);
    expect(parseBenchmarkSettings({ requests: 200 })?.maxRequests).toBe(200);
    expect(error({ requests: 32, 'max-requests': 16 })).toContain(
      'at max-requests: must be at least requests (32)',
    );
    expect(error({ confidence: '40%' })).toContain(
      'at confidence: must be a percentage from 50% to 99.9%, such as 95% (got "40%")',
    );
  });

  it('takes every key, and the warm-up defaults to the concurrency', () => {
    const s = parseBenchmarkSettings({
      requests: 1000,
      concurrency: 64,
      'max-tokens': 4096,
      prompt: 'Hi',
      baseline: 'none',
      'fail-if': {
        'ttft-p50': '+25%',
        'ttft-p90': '2s',
        'itl-p50': '800ms',
        'tokens-per-second': '-15%',
        'error-rate': '5%',
      },
    });
    expect(s).toMatchObject({
      requests: 1000,
      concurrency: 64,
      warmup: 64,
      maxTokens: 4096,
      prompt: 'Hi',
      baseline: 'none',
    });
    expect(s?.failIf).toEqual({
      'ttft-p50': { kind: 'relative', percent: 25, text: '+25%' },
      'ttft-p90': { kind: 'absolute', value: 2000, text: '2s' },
      'itl-p50': { kind: 'absolute', value: 800, text: '800ms' },
      'tokens-per-second': { kind: 'relative', percent: 15, text: '-15%' },
      'error-rate': { kind: 'absolute', value: 0.05, text: '5%' },
    });
    expect(parseBenchmarkSettings({ warmup: 0 })?.warmup).toBe(0);
    expect(parseBenchmarkSettings({ 'fail-if': { 'tokens-per-second': 100 } })?.failIf).toEqual({
      'tokens-per-second': { kind: 'absolute', value: 100, text: '100' },
    });
  });

  it.each([
    [{ requests: 0 }, 'at requests: must be a whole number from 1 to 1000 (got 0)'],
    [{ requests: 1001 }, 'at requests: must be a whole number from 1 to 1000 (got 1001)'],
    [{ requests: 2.5 }, 'at requests: must be a whole number from 1 to 1000 (got 2.5)'],
    [{ concurrency: 65 }, 'at concurrency: must be a whole number from 1 to 64 (got 65)'],
    [{ warmup: 101 }, 'at warmup: must be a whole number from 0 to 100 (got 101)'],
    [{ 'max-tokens': 4097 }, 'at max-tokens: must be a whole number from 1 to 4096 (got 4097)'],
    [{ concurrency: '4' }, 'at concurrency: must be a whole number from 1 to 64 (got "4")'],
    [
      { baseline: 'last' },
      'at baseline: must be previous (also measure the serving model before the update) or none (got "last")',
    ],
    [{ prompt: '' }, 'at prompt: must not be empty'],
    [
      { request: 5 },
      'unknown key "request" (did you mean requests?); the keys are requests, max-requests, concurrency, warmup, max-tokens, prompt, baseline, require-baseline, confidence, on-no-rollout, fail-if',
    ],
    [
      { 'fail-if': { 'ttft-p95': '1s' } },
      'at fail-if: unknown key "ttft-p95" (did you mean ttft-p90 or ttft-p99?); the keys are ttft-p50',
    ],
    [
      { concurency: 4, 'fail-if': { itl: '+20%', 'ttft-p95': '1s' } },
      'unknown key "concurency" (did you mean concurrency?); the keys are requests, max-requests, concurrency, warmup, max-tokens, prompt, baseline, require-baseline, confidence, on-no-rollout, fail-if. And at fail-if: unknown key "itl" (did you mean itl-p50, itl-p90 or itl-p99?), "ttft-p95" (did you mean ttft-p90 or ttft-p99?); the keys are ttft-p50',
    ],
    [
      { 'fail-if': { 'ttft-p50': '-10%' } },
      'at fail-if.ttft-p50: ttft-p50 is a latency: its limit is a rise relative to the baseline (+N%, such as +25%) or an absolute limit (such as 800ms or 2s); a drop (-N%) is not a limit on a latency (got "-10%")',
    ],
    [{ 'fail-if': { 'itl-p90': '25%' } }, 'write the percentage with its + sign (got "25%")'],
    [
      { 'fail-if': { 'e2e-p50': '2 seconds' } },
      'at fail-if.e2e-p50: e2e-p50 is a latency: its limit is a rise relative to the baseline (+N%, such as +25%) or an absolute limit with a unit, ms or s (such as 800ms or 2s) (got "2 seconds")',
    ],
    [
      { 'fail-if': { 'e2e-p50': 800 } },
      'absolute limit with a unit, ms or s (such as 800ms or 2s) (got 800)',
    ],
    [
      { 'fail-if': { 'tokens-per-second': '+10%' } },
      'at fail-if.tokens-per-second: tokens-per-second takes a drop relative to the baseline (-N%), or an absolute minimum in tokens per second (such as 100); a rise (+N%) or an unsigned percentage is not a limit on throughput (got "+10%")',
    ],
    [
      { 'fail-if': { 'tokens-per-second': '-100%' } },
      'must be more than 0% and less than 100% (got "-100%")',
    ],
    [
      { 'fail-if': { 'tokens-per-second': 0 } },
      'absolute minimum above 0 in tokens per second (such as 100) (got 0)',
    ],
    [
      { 'fail-if': { 'error-rate': '+5%' } },
      'at fail-if.error-rate: error-rate is always absolute, never relative to the baseline',
    ],
    [
      { 'fail-if': { 'error-rate': 0.05 } },
      'error-rate is always absolute: a percentage of the measured requests, such as 5% (got 0.05)',
    ],
    [{ 'fail-if': { 'error-rate': '150%' } }, 'error-rate must be from 0% to 100% (got "150%")'],
    [{ 'fail-if': { 'ttft-p50': null } }, 'at fail-if.ttft-p50: must be a limit such as +25%'],
    [{ 'fail-if': 'ttft-p50: +25%' }, 'at fail-if: must be an object of limits'],
    [[1, 2], 'must be true, false, or an object such as'],
    ['yes', 'must be true, false, or an object such as'],
  ])('refuses %j', (value, message) => {
    const text = error(value);
    expect(text.startsWith('Input "benchmark" is invalid')).toBe(true);
    expect(text).toContain(message);
  });
});

describe('the benchmark input: what turns it off, and exact latency limits', () => {
  it('is an input error for null and YAML ~: only empty or false is off', async () => {
    await loadYaml();
    const sources = (text: string): InputSources => ({
      getInput: (name) => (name === 'benchmark' ? text : ''),
      setSecret: () => undefined,
      readFile: () => '',
      workspace: '.',
    });
    expect(parseBenchmark(sources(''))).toBeUndefined();
    expect(parseBenchmark(sources('false'))).toBeUndefined();
    for (const text of ['null', '~']) {
      expect(() => parseBenchmark(sources(text))).toThrow(
        /Input "benchmark" is invalid: must be empty or false \(off\).*does not turn it off: write false/,
      );
    }
  });

  it('keeps fractional milliseconds of an absolute latency limit', () => {
    const limit = (text: string): unknown =>
      parseBenchmarkSettings({ 'fail-if': { 'itl-p50': text } })?.failIf['itl-p50'];
    expect(limit('20.5ms')).toEqual({ kind: 'absolute', value: 20.5, text: '20.5ms' });
    expect(limit('0.4ms')).toEqual({ kind: 'absolute', value: 0.4, text: '0.4ms' });
    expect(limit('1.25s')).toEqual({ kind: 'absolute', value: 1250, text: '1.25s' });
    expect(limit('800 ms')).toEqual({ kind: 'absolute', value: 800, text: '800 ms' });
    expect(error({ 'fail-if': { 'itl-p50': '0ms' } })).toContain(
      'an absolute limit of itl-p50 must be more than 0ms',
    );
    expect(error({ 'fail-if': { 'itl-p50': '20' } })).toContain('an absolute limit with a unit');
  });

  it('judges 20.8 ms above a 20.5ms limit (it was rounded to 21)', () => {
    const s = parseBenchmarkSettings({ 'fail-if': { 'itl-p50': '20.5ms' } })!;
    const ms = { p50: 20.8, p90: 20.8, p99: 20.8 };
    const sample = { ok: true, ttftMs: 20.8, itlMs: 20.8, e2eMs: 20.8, tokens: 4, elapsedMs: 20.8 };
    const [verdict] = judgeLimits(
      s.failIf,
      {
        measurement: {
          requests: 4,
          errors: 0,
          ttftMs: ms,
          itlMs: ms,
          e2eMs: ms,
          tokensPerSecond: 10,
          outputTokens: 4,
          tokensFrom: 'usage',
          reasoningTokens: 0,
          answerTokens: 4,
          reasoningChunks: 0,
          answerChunks: 4,
        },
        samples: { requests: [sample, sample, sample, sample], wallMs: 83, tokensPerSecond: 10 },
      },
      undefined,
      0.05,
    );
    expect(verdict?.status).toBe('exceeded');
  });
});
