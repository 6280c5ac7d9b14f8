/**
 * The pull request comment's Markdown: the marker first, a verdict, the changes table (shortened,
 * a screenful), what it was planned against, the commit and the run; escaped like the job
 * summary; never over GitHub's 65,536 characters.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { RunReport } from '../src/action/report.js';
import {
  commentMarkdown,
  MAX_CHANGE_ROWS,
  MAX_COMMENT_CHARS,
  verdictOf,
  type CommentContext,
} from '../src/github/comment-body.js';
import type { FieldChange } from '../src/rollout/plan.js';

const TARGET = { projectId: 'ml-serving', deploymentId: 'qwen-chat' };
const CONTEXT: CommentContext = {
  target: TARGET,
  dryRun: true,
  plannedAgainst: { configurationId: 'cfg-0001', status: 'running' },
  headSha: 'c0ffee1234567890c0ffee1234567890c0ffee12',
  runUrl: 'https://github.com/acme/models/actions/runs/77',
};

function plan(changes: FieldChange[], more: Partial<RunReport> = {}): RunReport {
  return {
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
    expect(tags).toContain('Merging only updates name, description or tags (no rollout).');
    const nothing = commentMarkdown(plan([]), CONTEXT);
    expect(nothing).toContain('Merging changes nothing');
    expect(nothing).not.toContain('| Field |');
    expect(verdictOf([{ path: 'ports', from: [], to: [] }])).toBe('rollout');
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
