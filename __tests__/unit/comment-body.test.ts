/**
 * The pull request comment's Markdown: the marker first, a verdict, the changes table (shortened,
 * a screenful), what it was planned against, the commit and the run; escaped like the job
 * summary; never over GitHub's 65,536 characters.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { RunReport } from '../../src/report/report.js';
import { summaryMarkdown } from '../../src/report/summary.js';
import {
  commentMarkdown,
  MAX_CHANGE_ROWS,
  MAX_COMMENT_CHARS,
  type CommentContext,
} from '../../src/report/comment-body.js';
import type { BenchmarkReport } from '../../src/report/report.js';
import type { Measurement } from '../../src/model/stats.js';
import { planUpdate, type FieldChange } from '../../src/rollout/plan.js';
import { planVerdict } from '../../src/rollout/plan-verdict.js';
import type { Deployment, UpdateBody } from '../../src/northflank/schema.js';

const TARGET = { projectId: 'ml-serving', deploymentId: 'qwen-chat' };
const CONTEXT: CommentContext = {
  target: TARGET,
  dryRun: true,
  plannedAgainst: { configurationId: 'cfg-0001', status: 'running' },
  headSha: 'c0ffee1234567890c0ffee1234567890c0ffee12',
  runUrl: 'https://github.com/acme/models/actions/runs/77',
};

/** The verdict of a plan that sends exactly the fields these changes touch. */
function verdictOf(changes: readonly FieldChange[]): RunReport['verdict'] {
  const body = Object.fromEntries(changes.map((c) => [c.path.split('.')[0] ?? '', {}]));
  const startsRollout = changes.some((c) => /^(spec|ports)(\.|$)/.test(c.path));
  return planVerdict({ body, changes: [...changes], unreadable: [], startsRollout });
}

function plan(changes: FieldChange[], more: Partial<RunReport> = {}): RunReport {
  return {
    verdict: verdictOf(changes),
    outcome: 'dry-run',
    message: 'Dry run',
    title: '',
    deployment: {
      id: 'qwen-chat',
      name: 'qwen chat',
      status: 'running',
      deploymentConfiguration: { id: 'cfg-0001' },
    },
    timeline: [],
    elapsedMs: 1200,
    target: TARGET,
    updatedFields: [],
    requestCount: 1,
    changes,
    ...more,
  };
}

const MODEL_CHANGE: FieldChange = {
  path: 'spec.configuration.name',
  from: 'meta-llama/Llama-3.1-8B-Instruct',
  to: 'Qwen/Qwen3-8B',
};

describe('the comment', () => {
  it('starts with the marker, names the deployment, and says merging rolls out a configuration', () => {
    const body = commentMarkdown(plan([MODEL_CHANGE]), CONTEXT);
    const lines = body.split('\n');
    expect(lines[0]).toBe('<!-- northflank-llm-deploy: ml-serving/qwen-chat -->');
    expect(lines[1]).toBe('### Northflank plan: qwen chat');
    expect(body).toContain('Merging rolls out a new configuration.');
    expect(body).toContain('| Field | Now | After |');
    expect(body).toContain(
      '| <code>spec.configuration.name</code> | <code>"meta-llama/Llama-3.1-8B-Instruct"</code> | <code>"Qwen/Qwen3-8B"</code> |',
    );
    expect(body).toContain(
      'Planned against configuration <code>cfg-0001</code> (status <code>running</code>)',
    );
    expect(body).toContain('Commit <code>c0ffee1</code>');
    expect(body).toContain('[workflow run](https://github.com/acme/models/actions/runs/77)');
  });

  it('puts the team before the project in the marker', () => {
    const body = commentMarkdown(plan([]), {
      ...CONTEXT,
      target: { ...TARGET, teamId: 'research' },
    });
    expect(body.split('\n')[0]).toBe(
      '<!-- northflank-llm-deploy: research/ml-serving/qwen-chat -->',
    );
  });

  it('says when merging only updates metadata, or changes nothing', () => {
    const tags = commentMarkdown(
      plan([{ path: 'tags', from: ['llm'], to: ['llm', 'prod'] }]),
      CONTEXT,
    );
    expect(tags).toContain(
      'Merging only updates name, description or tags; a rollout, if Northflank starts one for it, is followed.',
    );
    const nothing = commentMarkdown(plan([]), CONTEXT);
    expect(nothing).toContain('Merging changes nothing');
    expect(nothing).not.toContain('| Field |');
    expect(verdictOf([{ path: 'ports', from: [], to: [] }])?.kind).toBe('rollout');
  });

  it('shows a screenful of changes, then how many more', () => {
    const changes = Array.from({ length: 57 }, (_, i) => ({
      path: `spec.configuration.env.K${i}`,
      from: undefined,
      to: `v${i}`,
    }));
    const body = commentMarkdown(plan(changes), CONTEXT);
    expect(body.split('\n').filter((l) => l.startsWith('| <code>spec'))).toHaveLength(
      MAX_CHANGE_ROWS,
    );
    expect(body).toContain('…and 37 more changes');
    expect(body).toContain('<code>&#40;not set&#41;</code>');
  });

  it('shortens long values', () => {
    const body = commentMarkdown(
      plan([{ path: 'description', from: 'a'.repeat(5000), to: 'b' }]),
      CONTEXT,
    );
    expect(body).toContain('… &#40;5002 characters&#41;');
    expect(body).not.toContain('a'.repeat(200));
  });

  it('escapes Markdown and HTML from the API and the inputs', () => {
    const hostile =
      '</code><img src=x onerror=alert(1)> | [click](https://evil.example) **x** `y` @team #12';
    const body = commentMarkdown(
      plan(
        [{ path: `spec.configuration.${hostile}`, from: hostile, to: `${hostile}\n## Heading` }],
        {
          deployment: { id: 'qwen-chat', name: hostile, status: '<b>running</b>' },
        },
      ),
      { ...CONTEXT, plannedAgainst: { configurationId: hostile, status: hostile } },
    );
    expect(body).not.toMatch(/<img|<\/code><img|\[click\]|\*\*x\*\*|`y`|\n## Heading|<b>/);
    // A mention outside code would notify a team; a reference would link an issue.
    expect(body).not.toMatch(/@team|&#35;12/);
    // Each table row keeps its three cells: no pipe from the data splits one.
    const rows = body.split('\n').filter((l) => l.startsWith('| <code>'));
    expect(rows.map((r) => r.split('|').length)).toEqual([5]);
  });

  it('drops a run link that is not http(s), and a commit that is not given', () => {
    const body = commentMarkdown(plan([]), {
      ...CONTEXT,
      headSha: undefined,
      runUrl: 'javascript:alert(1)',
    });
    expect(body).not.toContain('javascript');
    expect(body).not.toContain('Commit');
  });

  it('after a deploy, shows the outcome, what was changed, the timeline and the configuration now', () => {
    const body = commentMarkdown(
      plan([MODEL_CHANGE], {
        outcome: 'running',
        message: 'The new rollout is running.',
        deployment: {
          id: 'qwen-chat',
          name: 'qwen chat',
          status: 'running',
          deploymentConfiguration: { id: 'cfg-0002' },
        },
        timeline: [
          { status: 'starting', previousRollout: false, startMs: 1000, endMs: 8000 },
          { status: 'running', previousRollout: false, startMs: 8000 },
        ],
        timelineOriginMs: 0,
      }),
      { ...CONTEXT, dryRun: false },
    );
    expect(body.split('\n')[1]).toBe('### Northflank deploy: qwen chat');
    expect(body).toContain('Rolled out: the new rollout is running');
    expect(body).toContain('| Field | Before | After |');
    expect(body).toContain('Rollout timeline');
    expect(body).toContain('| <code>running</code> | +8s | last seen |');
    expect(body).toContain('Configuration now: <code>cfg-0002</code>');
  });

  it('says why a plan failed, so an old plan does not stand', () => {
    const body = commentMarkdown(
      plan([], {
        outcome: 'error',
        message:
          'Northflank API GET /v1/projects/ml-serving/llm-models/qwen-chat failed with HTTP 401',
        changes: undefined,
      }),
      CONTEXT,
    );
    expect(body).toContain('Failed');
    expect(body).toContain('failed with HTTP 401');
    expect(body).not.toContain('Merging changes nothing');
  });

  it(`never exceeds ${MAX_COMMENT_CHARS} characters`, () => {
    const huge = '|<&>'.repeat(50_000);
    const changes = Array.from({ length: 5000 }, (_, i) => ({
      path: `spec.configuration.${huge}${i}`,
      from: huge,
      to: { deep: huge },
    }));
    const timeline = Array.from({ length: 5000 }, (_, i) => ({
      status: huge,
      previousRollout: false,
      startMs: i * 1000,
      endMs: i * 1000 + 1000,
    }));
    for (const dryRun of [true, false]) {
      const body = commentMarkdown(
        plan(changes, {
          outcome: dryRun ? 'dry-run' : 'crashed',
          message: huge,
          timeline,
          deployment: { id: 'qwen-chat', name: huge, status: huge },
        }),
        { ...CONTEXT, dryRun },
      );
      expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
      expect(body.startsWith('<!-- northflank-llm-deploy: ml-serving/qwen-chat -->\n')).toBe(true);
    }
  });

  it('stays within the limit and keeps its marker for any values', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            path: fc.string({ maxLength: 300 }),
            from: fc.jsonValue(),
            to: fc.jsonValue(),
          }),
          { maxLength: 60 },
        ),
        fc.string({ maxLength: 5000 }),
        (changes, name) => {
          const body = commentMarkdown(
            plan(changes, { deployment: { id: 'd', name, status: 'running' } }),
            CONTEXT,
          );
          expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
          expect(body.split('\n')[0]).toBe('<!-- northflank-llm-deploy: ml-serving/qwen-chat -->');
          expect(body).not.toMatch(/<(?!\/?(code|sub|br)>|!-- northflank)/);
        },
      ),
      { numRuns: 200 },
    );
  });
});

const RUNNING: Deployment = {
  id: 'qwen-chat',
  name: 'qwen chat',
  status: 'running',
  deploymentConfiguration: { id: 'cfg-0001' },
  spec: { configuration: { name: 'Qwen/Qwen3-8B' } },
  ports: [{ id: 'http', name: 'http', internalPort: 8000, protocol: 'HTTP', public: true }],
};

/** The report of a dry run that planned `given` against RUNNING, as run() makes it. */
function planned(given: UpdateBody, force = false): RunReport {
  const p = planUpdate(given, RUNNING, force);
  return plan(p.changes, { verdict: planVerdict(p), updatedFields: [] });
}

describe('the verdict follows what the plan sends, not only what it changes', () => {
  const PORTS: UpdateBody['ports'] = [
    {
      name: 'http',
      internalPort: 8000,
      protocol: 'HTTP',
      public: true,
      domains: ['chat.acme.dev'],
    },
  ];

  it('does not say "changes nothing" when given ports that give domains, in place, are sent again', () => {
    const report = planned({ ports: PORTS });
    expect(report.changes).toEqual([]);
    const body = commentMarkdown(report, CONTEXT);
    expect(body).not.toContain('Merging changes nothing:');
    expect(body).toContain(
      '**📨 Merging changes nothing that a GET shows, but sends ports again: they give domains, which a GET never reports, so whether those change is unknown; a rollout, if Northflank starts one for it, is followed.**',
    );
    // The job summary says the same, and does not claim the deployment already matches.
    const summary = summaryMarkdown(report);
    expect(summary).toContain(
      '**📨 The plan changes nothing that a GET shows, but sends ports again: they give domains, which a GET never reports, so whether those change is unknown; a rollout, if Northflank starts one for it, is followed.**',
    );
    expect(summary).toContain(
      'None that GET can show; ports would be re-sent because they give domains, which a GET never reports, so they cannot be confirmed.',
    );
    expect(summary).not.toContain('already matches');
  });

  it('does not say "changes nothing" for a forced re-send: it says the deployment restarts', () => {
    const body = commentMarkdown(
      planned({ spec: { configuration: { name: 'Qwen/Qwen3-8B' } } }, true),
      CONTEXT,
    );
    expect(body).not.toContain('changes nothing');
    expect(body).toContain(
      '**🔁 Merging restarts the deployment: force is true, so it sends spec again with the values already in place, which starts a new rollout.**',
    );
  });

  it('still says "changes nothing" when nothing is sent', () => {
    const report = planned({ spec: { configuration: { name: 'Qwen/Qwen3-8B' } } });
    expect(commentMarkdown(report, CONTEXT)).toContain(
      '**✅ Merging changes nothing: the deployment already matches.**',
    );
    expect(summaryMarkdown(report)).toContain('None: the deployment already matches.');
  });
});

/** A measurement with these TTFT and ITL p50s (ms). */
function measured(ttft: number, itl: number): Measurement {
  const p = (v: number) => ({ p50: v, p90: v * 1.2, p99: v * 1.5 });
  return {
    requests: 16,
    errors: 0,
    ttftMs: p(ttft),
    itlMs: p(itl),
    e2eMs: p(ttft + 127 * itl),
    tokensPerSecond: 4 * (1000 / itl),
    outputTokens: 2048,
    tokensFrom: 'usage',
    reasoningTokens: 0,
    answerTokens: 2048,
    reasoningChunks: 0,
    answerChunks: 2048,
  };
}

const BENCHMARK: BenchmarkReport = {
  settings: {
    requests: 16,
    concurrency: 4,
    warmup: 4,
    maxTokens: 128,
    maxRequests: 128,
    confidence: 0.95,
  },
  before: measured(260, 20),
  after: measured(200, 12.5),
  verdicts: [
    {
      metric: 'ttft-p50',
      limit: '+25%',
      before: 260,
      after: 200,
      bound: 325,
      status: 'held',
      interval: [-0.3, -0.15],
      of: 'change',
      confidence: 0.9875,
    },
  ],
  changes: [
    { metric: 'ttft-p50', before: 260, after: 200, change: 200 / 260 - 1, interval: [-0.3, -0.15] },
    { metric: 'itl-p50', before: 20, after: 12.5, change: -0.375, interval: [-0.4, 0.02] },
  ],
  gate: { looks: [16, 32, 64, 128], lookConfidence: 0.9875 },
  failed: [],
  ignoreEos: true,
};

const deployed = (more: Partial<RunReport> = {}): RunReport =>
  plan([MODEL_CHANGE], {
    outcome: 'running',
    message: 'The new rollout is running.',
    timeline: [
      { status: 'starting', previousRollout: false, startMs: 1000, endMs: 8000 },
      { status: 'running', previousRollout: false, startMs: 8000 },
    ],
    timelineOriginMs: 0,
    benchmark: BENCHMARK,
    ...more,
  });

describe('the comment after a deploy with benchmark', () => {
  it("shows the job summary's before/after table, from the same renderer", () => {
    const report = deployed();
    const body = commentMarkdown(report, { ...CONTEXT, dryRun: false });
    expect(body).toContain('#### Model benchmark');
    expect(body).toContain('| Metric | Before | After | Change (98.8% interval) | fail-if |');
    expect(body).toContain(
      '| TTFT p50 | 260.0 ms | 200.0 ms | -23.1% better (-30.0% to -15.0%) | ✅ +25% held |',
    );
    // A change whose interval spans zero is no change within noise, never "better".
    expect(body).toContain(
      '| ITL p50 | 20.0 ms | 12.5 ms | no change within noise (-40.0% to +2.0%) |',
    );
    expect(body).toContain('| Percentile | Before | After |');
    // Every row of the summary's benchmark tables is in the comment, as it is.
    const summaryRows = summaryMarkdown(report)
      .split('\n')
      .filter((l) => /^\| (TTFT|ITL|E2E|Tokens|Error|Output)/.test(l));
    expect(summaryRows.length).toBeGreaterThan(10);
    for (const row of summaryRows) expect(body).toContain(row);
    // Before the timeline, as in the summary.
    expect(body.indexOf('#### Model benchmark')).toBeLessThan(body.indexOf('Rollout timeline'));
  });

  it('is not shown for a plan, nor when nothing was measured', () => {
    expect(commentMarkdown(deployed({ outcome: 'dry-run' }), CONTEXT)).not.toContain('benchmark');
    const none = deployed({ benchmark: { ...BENCHMARK, before: undefined, after: undefined } });
    expect(commentMarkdown(none, { ...CONTEXT, dryRun: false })).not.toContain('Model benchmark');
  });

  it("escapes the model server's words in why there is no baseline, in the comment and the summary", () => {
    const hostile = '<img src=x onerror=alert(1)> [x](https://evil.example) @team #12 | **b**';
    const report = deployed({
      benchmark: {
        ...BENCHMARK,
        before: undefined,
        noBaseline: `the model that served before the update could not be measured: ${hostile}`,
        verdicts: [
          {
            metric: 'ttft-p50',
            limit: '+25%',
            before: undefined,
            after: 200,
            bound: undefined,
            status: 'not-judged',
            reason: `a relative limit needs a baseline, and ${hostile}`,
          },
        ],
      },
    });
    const body = commentMarkdown(report, { ...CONTEXT, dryRun: false });
    const summary = summaryMarkdown(report);
    for (const text of [body, summary]) {
      expect(text).toContain('could not be measured: &lt;img');
      expect(text).not.toMatch(/<img|\[x\]\(|\*\*b\*\*/);
      const row = text.split('\n').find((l) => l.startsWith('| TTFT p50 |')) ?? '';
      expect(row.split('|')).toHaveLength(7);
    }
    expect(body).not.toMatch(/@team|&#35;12/);
  });

  it('keeps the verdict, the outcome and the benchmark when the changes and timeline fill the body', () => {
    const huge = '|<&>@#'.repeat(20_000);
    const report = deployed({
      outcome: 'regressed',
      message: huge,
      changes: Array.from({ length: 500 }, (_, i) => ({
        path: `spec.configuration.${huge}${i}`,
        from: huge,
        to: huge,
      })),
      timeline: Array.from({ length: 500 }, (_, i) => ({
        status: huge,
        previousRollout: false,
        startMs: i * 1000,
        endMs: i * 1000 + 1000,
      })),
    });
    const body = commentMarkdown(report, { ...CONTEXT, dryRun: false });
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    // toBe(true) rather than toContain: a failure would print 60,000 characters.
    const has = (text: string): boolean => body.includes(text);
    expect(has('serves worse than the fail-if limits allow')).toBe(true);
    expect(has('| TTFT p50 | 260.0 ms | 200.0 ms |')).toBe(true);
    expect(has('</details>')).toBe(true);
    expect(has('The rest is cut')).toBe(true);
    expect(has('Commit <code>c0ffee1</code>')).toBe(true);
  });
});
