/**
 * The preview benchmarked beside production: the same load sent to both at once, production as
 * the baseline of the fail-if limits, each served by the model server at its own configuration's
 * speed (scaled clock: the streams run for real while the run's deadlines are pending).
 */
import { describe, expect, it } from '@jest/globals';
import * as path from 'node:path';
import { latencyOf } from '../../emulator/latency.js';
import { planOfDuration } from '../../emulator/model.js';
import { startWorld, type RunExtras } from '../helpers/harness.js';

const REPO = 'acme/models';

function opened(number: number): RunExtras {
  return {
    env: (workspace) => ({
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: path.join(workspace, 'event.json'),
      GITHUB_REPOSITORY: REPO,
    }),
    files: {
      'event.json': JSON.stringify({
        action: 'opened',
        pull_request: {
          number,
          head: { sha: 'b'.repeat(40), repo: { full_name: REPO } },
          base: { repo: { full_name: REPO } },
        },
      }),
    },
  };
}

async function previewWorld() {
  return startWorld({
    time: 'scaled',
    emulator: { existingTags: ['preview'], plan: planOfDuration(3000) },
    model: (emu) => ({
      model: () => emu.deployment().configuration.name ?? '',
      latency: () => latencyOf(emu.deployment().configuration, { ttftMs: 20, itlMs: 10 }),
      deployments: (id) => {
        const d = emu.all().find((k) => k.id === id);
        return d
          ? {
              model: d.configuration.name ?? '',
              latency: latencyOf(d.configuration, { ttftMs: 20, itlMs: 10 }),
            }
          : undefined;
      },
    }),
  });
}

const BENCH = 'requests: 6\nconcurrency: 2\nwarmup: 0\nmax-tokens: 8\nfail-if:\n  itl-p50: "+30%"';

describe('the preview benchmarked beside production', () => {
  it('a slower configuration (enforceEager) is judged regressed against production, with the table in the summary', async () => {
    const w = await previewWorld();
    const base = w.model?.url ?? '';
    const ran = await w.run(
      {
        mode: 'preview',
        'poll-interval': '1s',
        'smoke-url': base,
        'preview-smoke-url': `${base}/deployments/llama-chat-pr-3`,
        benchmark: BENCH,
        spec: '{"configuration": {"architecture": {"workerConfig": {"enforceEager": true}}}}',
      },
      opened(3),
    );
    expect(ran.report.outcome).toBe('regressed');
    expect(ran.report.message).toContain('Beside production');
    const comparison = ran.report.preview?.comparison;
    // Decided at a look (6 requests on a quiet machine; a busy one's timer jitter can take a
    // second look), with the same number of requests on both sides.
    const requests = comparison?.preview.requests ?? 0;
    expect([6, 12, 24]).toContain(requests);
    expect(comparison?.production.requests).toBe(requests);
    expect(comparison?.failed.map((f) => f.metric)).toEqual(['itl-p50']);
    // Both sides got the same load, at the same time.
    const streams = w.model?.streams ?? [];
    expect(streams).toHaveLength(2 * requests);
    expect(ran.summary).toContain('Benchmark: preview beside production');
    expect(ran.summary).toContain('| itl-p50 |');
    // No errors and no limit on them: no error-rate row.
    expect(ran.summary).not.toContain('| error-rate |');
    // Production is only read.
    expect(
      w.emu.requests.filter((r) => r.method !== 'GET' && r.path.endsWith('/llama-chat')),
    ).toEqual([]);
  }, 30_000);

  it('the same configuration holds every limit', async () => {
    const w = await previewWorld();
    const base = w.model?.url ?? '';
    const ran = await w.run(
      {
        mode: 'preview',
        'poll-interval': '1s',
        'smoke-url': base,
        'preview-smoke-url': `${base}/deployments/llama-chat-pr-4`,
        benchmark:
          'requests: 6\nconcurrency: 2\nwarmup: 0\nmax-tokens: 8\nfail-if:\n  itl-p50: "+200%"\n  error-rate: 50%',
      },
      opened(4),
    );
    expect(ran.report.outcome).toBe('running');
    expect(ran.report.message).toContain('every limit held');
    // A limit on the error rate shows its row, with no errors too.
    expect(ran.summary).toMatch(/\| error-rate \| 0\.0% .*\| ✅ 50% held \|/);
  }, 30_000);
});
