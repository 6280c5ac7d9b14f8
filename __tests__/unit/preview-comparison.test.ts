/** The preview judged beside production with the fail-if limits, production as the baseline. */
import { describe, expect, it } from '@jest/globals';
import { parseBenchmark } from '../../src/config/benchmark-input.js';
import { comparePreviewWithProduction } from '../../src/model/preview-comparison.js';
import { summarise } from '../../src/model/stats.js';
import type { RequestRecord } from '../../src/model/stream-request.js';

/** `n` requests whose tokens come `itlMs` apart after `ttftMs`. */
function side(n: number, ttftMs: number, itlMs: number) {
  const records: RequestRecord[] = Array.from({ length: n }, (_, i) => {
    const sentMs = i * 1000;
    const first = sentMs + ttftMs;
    return {
      sentMs,
      endMs: first + 7 * itlMs,
      firstTokenMs: first,
      lastTokenMs: first + 7 * itlMs,
      answerChunks: 8,
      reasoningChunks: 0,
      usageTokens: 8,
      usageReasoningTokens: undefined,
      error: undefined,
      ignoreEosRefused: false,
      aborted: false,
    };
  });
  return { measurement: summarise(records), records };
}

const limits = (failIf: Record<string, string>) =>
  parseBenchmark({
    getInput: (name) => (name === 'benchmark' ? JSON.stringify({ 'fail-if': failIf }) : ''),
    setSecret: () => undefined,
    readFile: () => '',
    workspace: '',
  })?.failIf ?? {};

describe('comparePreviewWithProduction', () => {
  it('breaches a relative limit the preview exceeds against production, and holds one it keeps', () => {
    const judged = comparePreviewWithProduction(
      side(8, 100, 20),
      side(8, 100, 10),
      limits({ 'itl-p50': '+30%', 'ttft-p50': '+30%' }),
    );
    expect(judged.failed.map((f) => f.metric)).toEqual(['itl-p50']);
    expect(judged.verdicts.find((v) => v.metric === 'ttft-p50')?.status).toBe('held');
  });
});
