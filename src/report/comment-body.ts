/**
 * The pull-request comment: what merging changes (a dry run) or how the deploy went, for a
 * reviewer. Pure. Everything from the API or the inputs goes through the job summary's escaping.
 */
import { previewMarkdown } from './preview-summary.js';
import { boundedJson } from '../json.js';
import { shorten } from '../shorten.js';
import type { FieldChange } from '../rollout/plan.js';
import { code as summaryCode, escapeCell, safeLink } from './markdown.js';
import { benchmarkMarkdown } from './benchmark-summary.js';
import { type RunReport } from './report.js';
import { outcomeHeadline, timelineMarkdown } from './summary.js';
import { verdictLine } from '../rollout/plan-verdict.js';
import { commentMarker, type CommentTarget } from '../github/pr-comment.js';

/** GitHub refuses a comment body longer than this. */
export const MAX_COMMENT_CHARS = 65_536;
/** What we aim under, so a count in code points or bytes by GitHub still fits. */
const COMMENT_BUDGET_CHARS = 60_000;
/** A screenful of changes; the rest are in the job summary and the `changes` output. */
export const MAX_CHANGE_ROWS = 20;
/** A value longer than this is shortened in the table. */
const MAX_VALUE_CHARS = 100;
const MAX_PATH_CHARS = 120;
const MAX_MESSAGE_CHARS = 1500;
const MAX_TIMELINE_ROWS = 30;

// U+200B after `@` and `#` keeps the text readable while GitHub no longer sees a mention (which
// would notify a person or team) or an issue reference (which would post in that issue).
const BREAK_REFERENCES = (html: string): string =>
  html.replace(/@/g, '@\u200B').replace(/&#35;/g, '&#35;\u200B');

/** API or input text, escaped as in the job summary, with no mention or reference. */
function text(value: string, maxChars?: number): string {
  return BREAK_REFERENCES(escapeCell(value, maxChars));
}

/** The same, as inline code. */
function code(value: string): string {
  return BREAK_REFERENCES(summaryCode(value));
}

/** What the comment shows besides the report. */
export interface CommentContext {
  target: CommentTarget;
  /** Whether the run was a dry run (a plan), rather than a deploy. */
  dryRun: boolean;
  /** The deployment as read before the update: the configuration the plan was made against. */
  plannedAgainst?: { configurationId: string | undefined; status: string } | undefined;
  /** The pull request's head commit. */
  headSha?: string | undefined;
  runUrl?: string | undefined;
}

/** The comment's Markdown, marker first, never longer than GitHub allows. */
export function commentMarkdown(report: RunReport, context: CommentContext): string {
  const d = report.deployment;
  const name = d?.name ?? context.target.deploymentId;
  const where = [
    `deployment ${code(context.target.deploymentId)}`,
    `project ${code(context.target.projectId)}`,
    ...(context.target.teamId ? [`team ${code(context.target.teamId)}`] : []),
  ].join(', ');
  const planned = context.dryRun && report.outcome === 'dry-run';
  const head: string[] = [
    commentMarker(context.target),
    `### Northflank ${context.dryRun ? 'plan' : 'deploy'}: ${text(name, 200)}`,
    '',
    `<sub>${where}</sub>`,
    '',
  ];
  // Shown in this order; when the body is too long, the changes and then the timeline give way
  // first, so the verdict, the outcome and the benchmark always stay.
  let changes: string[] = [];
  let benchmark: string[] = [];
  let timeline: string[] = [];
  if (planned) {
    // The plan's verdict, from what it will send (as the log and the summary say it).
    if (report.verdict) head.push(`**${verdictLine(report.verdict, 'Merging')}**`, '');
    if (report.changes?.length) changes = [...changesTable(report.changes, 'Now'), ''];
  } else {
    head.push(`**${outcomeHeadline(report.outcome)}**`, '');
    if (report.outcome !== 'dry-run' && report.outcome !== 'running') {
      head.push(`> ${text(report.message, MAX_MESSAGE_CHARS)}`, '');
    }
    if (report.replanned) head.push(`> ⚠️ ${text(report.replanned, MAX_MESSAGE_CHARS)}`, '');
    if (report.changes?.length) changes = [...changesTable(report.changes, 'Before'), ''];
    if (report.benchmark && (report.benchmark.before || report.benchmark.after)) {
      // The job summary's renderer, one heading down, so both show the same table.
      benchmark = benchmarkMarkdown(report.benchmark, '#### Model benchmark')
        .split('\n')
        .map(BREAK_REFERENCES);
    }
    timeline = timelineMarkdown(report, '#### Rollout timeline', MAX_TIMELINE_ROWS).map(
      BREAK_REFERENCES,
    );
  }
  if (report.preview) {
    // The preview's URL, status and cost, and the table beside production, stay whatever is cut.
    benchmark = [
      ...previewMarkdown(report.preview, '#### Preview').map(BREAK_REFERENCES),
      ...benchmark,
    ];
  }
  const foot = footer(report, context, planned);
  const fixed = [...head, ...benchmark, ...foot].reduce((n, line) => n + line.length + 1, 0);
  let room = COMMENT_BUDGET_CHARS - fixed - CUT_NOTE.length - 2;
  const fit = (lines: string[]): string[] => {
    const kept = upTo(lines, room);
    room -= kept.reduce((n, line) => n + line.length + 1, 0);
    if (kept.length === lines.length) return kept;
    room -= CUT_NOTE.length + 3;
    return [...kept, '', CUT_NOTE, ''];
  };
  const shownChanges = fit(changes);
  const shownTimeline = fit(timeline);
  return bounded([...head, ...shownChanges, ...benchmark, ...shownTimeline, ...foot]);
}

/** The first of `lines` that fit in `chars` characters, newlines counted. */
function upTo(lines: readonly string[], chars: number): string[] {
  const kept: string[] = [];
  let length = 0;
  for (const line of lines) {
    if (length + line.length + 1 > chars) break;
    kept.push(line);
    length += line.length + 1;
  }
  return kept;
}

/** A value as the table shows it: JSON, shortened. */
function showValue(value: unknown): string {
  if (value === undefined) return '(not set)';
  return shorten(boundedJson(value), MAX_VALUE_CHARS);
}

function changesTable(changes: readonly FieldChange[], fromLabel: string): string[] {
  const shown = changes.slice(0, MAX_CHANGE_ROWS);
  const rows = shown.map(
    (c) =>
      `| ${code(shorten(c.path, MAX_PATH_CHARS))} | ${code(showValue(c.from))} | ${code(showValue(c.to))} |`,
  );
  const more = changes.length - shown.length;
  return [
    `| Field | ${fromLabel} | After |`,
    '| --- | --- | --- |',
    ...rows,
    ...(more > 0
      ? [
          '',
          `…and ${more} more change${more === 1 ? '' : 's'}: all ${changes.length} are in the job summary and the \`changes\` output.`,
        ]
      : []),
  ];
}

function footer(report: RunReport, context: CommentContext, planned: boolean): string[] {
  const facts: string[] = [];
  const basis = context.plannedAgainst;
  if (basis) {
    const configuration = basis.configurationId
      ? `configuration ${code(basis.configurationId)}`
      : 'a deployment with no configuration id';
    facts.push(
      `${planned ? 'Planned' : 'Updated'} against ${configuration} (status ${code(basis.status)}).`,
    );
  }
  const now = report.deployment?.deploymentConfiguration?.id;
  if (!planned && now && now !== basis?.configurationId) {
    facts.push(`Configuration now: ${code(now)}.`);
  }
  const commit = context.headSha ? `Commit ${code(context.headSha.slice(0, 7))}` : undefined;
  const run = safeLink(context.runUrl);
  const origin = [commit, run ? `[workflow run](${run})` : undefined].filter(
    (part): part is string => part !== undefined,
  );
  if (origin.length > 0) facts.push(`${origin.join(' · ')}.`);
  return facts.map((fact) => `<sub>${fact}</sub><br>`);
}

const CUT_NOTE =
  '_The rest is cut: GitHub takes at most 65,536 characters in a comment. The job summary and the `changes` output have it all._';

/** Joins the lines, dropping whole lines from the end until the body fits (the marker stays). */
function bounded(lines: string[]): string {
  const body = lines.join('\n');
  if (body.length <= COMMENT_BUDGET_CHARS) return body;
  return [...upTo(lines, COMMENT_BUDGET_CHARS - CUT_NOTE.length - 2), '', CUT_NOTE].join('\n');
}
