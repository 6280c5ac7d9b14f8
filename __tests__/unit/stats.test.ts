/** The benchmark's statistics, by the definitions README states. */
import { describe, expect, it } from '@jest/globals';
import { metricValue, percentile, summarise } from '../../src/model/stats.js';
import type { RequestRecord } from '../../src/model/stream-request.js';

function request(over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    sentMs: 0,
    endMs: 1000,
    firstTokenMs: 200,
    lastTokenMs: 1000,
    answerChunks: 41,
    reasoningChunks: 0,
    usageTokens: 41,
    usageReasoningTokens: undefined,
    error: undefined,
    ignoreEosRefused: false,
    aborted: false,
    ...over,
  };
}

describe('percentile', () => {
  it('interpolates linearly between the nearest ranks, as numpy.percentile does', () => {
    // numpy.percentile([1, 2, 3, 4], [50, 90, 99]) = [2.5, 3.7, 3.97]
    expect(percentile([4, 1, 3, 2], 0.5)).toBeCloseTo(2.5);
    expect(percentile([4, 1, 3, 2], 0.9)).toBeCloseTo(3.7);
    expect(percentile([4, 1, 3, 2], 0.99)).toBeCloseTo(3.97);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNull();
  });
});

describe('summarise', () => {
  it('measures TTFT, ITL, E2E and throughput as defined', () => {
    const m = summarise([
      request(),
      request({
        sentMs: 100,
        firstTokenMs: 400,
        lastTokenMs: 1300,
        endMs: 1310,
        usageTokens: 10,
        answerChunks: 10,
      }),
    ]);
    // TTFT 200 and 300; ITL (1000-200)/40 = 20 and (1300-400)/9 = 100; E2E 1000 and 1200.
    expect(m.ttftMs.p50).toBe(250);
    expect(m.itlMs.p50).toBe(60);
    expect(m.e2eMs.p50).toBe(1100);
    expect(m.outputTokens).toBe(51);
    // 51 tokens from the first request sent (0) to the last finished (1310).
    expect(m.tokensPerSecond).toBeCloseTo((51 * 1000) / 1310, 1);
    expect(m).toMatchObject({ requests: 2, errors: 0, tokensFrom: 'usage' });
  });

  it('counts content chunks when a reply has no usage, and says so', () => {
    const m = summarise([request(), request({ usageTokens: undefined, answerChunks: 30 })]);
    expect(m.outputTokens).toBe(71);
    expect(m.tokensFrom).toBe('chunks');
  });

  it('leaves errors out of the latencies and tokens but counts them in requests and the error rate', () => {
    const m = summarise([
      request(),
      request({ error: 'HTTP 500', firstTokenMs: undefined, endMs: 3000 }),
    ]);
    expect(m).toMatchObject({ requests: 2, errors: 1, outputTokens: 41 });
    expect(m.ttftMs.p50).toBe(200);
    expect(metricValue(m, 'error-rate')).toBe(0.5);
    // The wall time runs to the last request finished, failed or not.
    expect(m.tokensPerSecond).toBeCloseTo(41 / 3, 1);
  });

  it('has no latencies when nothing succeeded, and an ITL only for replies of two tokens or more', () => {
    expect(summarise([request({ error: 'x' })]).ttftMs).toEqual({
      p50: null,
      p90: null,
      p99: null,
    });
    expect(summarise([]).tokensPerSecond).toBe(0);
    const one = summarise([request({ usageTokens: 1, answerChunks: 1, lastTokenMs: 200 })]);
    expect(one.itlMs.p50).toBeNull();
    expect(one.ttftMs.p50).toBe(200);
  });
});

describe('summarise: reasoning replies and runs cut short', () => {
  it("counts a reasoning model's thinking as tokens, split by the usage's reasoning_tokens or by chunks", () => {
    const m = summarise([
      request({ answerChunks: 11, reasoningChunks: 30, usageReasoningTokens: 30 }),
      request({ answerChunks: 0, reasoningChunks: 41, usageTokens: 41 }),
    ]);
    expect(m).toMatchObject({
      outputTokens: 82,
      reasoningTokens: 71,
      answerTokens: 11,
      reasoningChunks: 71,
      answerChunks: 11,
    });
  });

  it('of a run cut short, counts the tokens of the requests in flight until the stop, and them as successes in the error rate', () => {
    const finished = [request(), request({ error: 'HTTP 500', firstTokenMs: undefined })];
    const inFlight = [
      request({ endMs: 1500, answerChunks: 20, usageTokens: undefined, lastTokenMs: 1490 }),
    ];
    const m = summarise(finished, { cut: { inFlight, stoppedMs: 1500 } });
    expect(m).toMatchObject({ requests: 2, errors: 1, outputTokens: 41, cutOff: 1 });
    // 41 finished + 20 received in flight, over 1.5 s to the stop.
    expect(m.tokensPerSecond).toBeCloseTo((61 * 1000) / 1500, 1);
    expect(metricValue(m, 'error-rate')).toBeCloseTo(1 / 3);
  });
});
