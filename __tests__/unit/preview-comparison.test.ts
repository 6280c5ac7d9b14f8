/** The preview judged beside production with the fail-if limits, production as the baseline. */
import { describe, expect, it } from '@jest/globals';
import { parseBenchmark } from '../../src/config/benchmark-input.js';
import { comparePreviewWithProduction } from '../../src/model/preview-comparison.js';
import { measuredOf } from '../../src/model/benchmark.js';
import { mulberry32 } from '../../src/model/intervals.js';
import type { RequestRecord } from '../../src/model/stream-request.js';

/** `n` requests whose tokens come `itlMs` apart after `ttftMs`. */
function side(n: number, ttftMs: number, itlMs: number, noise = 0, seed = 1) {
  const random = mulberry32(seed);
  const records: RequestRecord[] = Array.from({ length: n }, (_, i) => {
    const sentMs = i * 1000;
    const spread = (v: number): number => v * (1 + noise * (random() * 2 - 1));
    const first = sentMs + spread(ttftMs);
    const itl = spread(itlMs);
    return {
      sentMs,
      endMs: first + 7 * itl,
      firstTokenMs: first,
      lastTokenMs: first + 7 * itl,
      answerChunks: 8,
      reasoningChunks: 0,
      usageTokens: 8,
      usageReasoningTokens: undefined,
      error: undefined,
      ignoreEosRefused: false,
      aborted: false,
    };
  });
  return measuredOf(records, n * 1000, undefined, 0, 8);
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
      { looks: [8, 16], confidence: 0.95, alpha: 0.025 },
    );
    expect(judged.failed.map((f) => f.metric)).toEqual(['itl-p50']);
    expect(judged.verdicts.find((v) => v.metric === 'ttft-p50')?.status).toBe('held');
  });

  it('asks for the next look while a limit is inconclusive, and for none past the last look', () => {
    const failIf = limits({ 'itl-p50': '+10%' });
    // +10 % slower ITL in 40 % noise on 8 requests: the interval spans the limit.
    const first = comparePreviewWithProduction(
      side(8, 100, 11, 0.4, 2),
      side(8, 100, 10, 0.4, 3),
      failIf,
      {
        looks: [8, 16],
        confidence: 0.95,
        alpha: 0.025,
      },
    );
    expect(first.verdicts[0]?.status).toBe('inconclusive');
    expect(first.more).toBe(8);
    const last = comparePreviewWithProduction(
      side(16, 100, 11, 0.4, 2),
      side(16, 100, 10, 0.4, 3),
      failIf,
      {
        looks: [8, 16],
        confidence: 0.95,
        alpha: 0.025,
      },
    );
    expect(last.more).toBe(0);
    expect(last.changes.find((c) => c.metric === 'itl-p50')?.interval).toHaveLength(2);
  });
});
