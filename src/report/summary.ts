/** The job summary as Markdown, pure, and the parts of it the pull request comment shares. */
import { previewMarkdown, sweepMarkdown } from './preview-summary.js';
import { describeChange } from '../rollout/plan.js';
import { verdictLine } from '../rollout/plan-verdict.js';
import { formatDuration } from '../duration.js';
import { code, escapeCell, safeLink } from './markdown.js';
import { sentencesOf } from '../sentences.js';
import { publicUrl } from '../rollout/status.js';
import { formatSeconds, offsetSeconds } from '../rollout/timeline.js';
import { describeEntry } from '../rollout/tracker.js';
import { SUCCESSFUL_OUTCOMES, type Outcome } from '../rollout/outcome.js';
import { benchmarkMarkdown } from './benchmark-summary.js';
import type { PullRequestCommentNote, RunReport } from './report.js';

const MAX_SUMMARY_MESSAGE_CHARS = 3000;

const RESENT_WHY = 'they give domains, which a GET never reports, so they cannot be confirmed';

const OUTCOME_HEADLINE: Record<Outcome, string> = {
  running: '✅ Rolled out: the new rollout is running',
  updated: '✅ Updated: the new values show on the configuration that runs; no rollout followed',
  unchanged: '✅ Unchanged: the configuration was already in place; nothing sent',
  'no-rollout': '⚠️ Updated, but no new rollout was observed',
  'not-waited': '☑️ Update sent (not waited for)',
  'dry-run': '🔍 Dry run: no update sent',
  'smoke-failed': '❌ Running, but the model does not answer',
  regressed: '📉 Running, but it serves worse than the fail-if limits allow',
  crashed: '❌ The rollout crashed',
  paused: '❌ The deployment was paused',
  deleting: '❌ The deployment is being deleted',
  deleted: '❌ The deployment was deleted',
  'rolled-back': '↩️ Rolled back: the deployment is on its previous configuration',
  superseded: '⏭️ Superseded: another update replaced this rollout',
  timeout: '⏱️ Timed out waiting for the rollout',
  cancelled: '🛑 Cancelled',
  reverted: '↩️ The rollout failed and was reverted to the previous values',
  'revert-failed': '❌ The rollout failed, and so did the revert',
  error: '❌ Failed',
  skipped: '⏭️ Skipped: no api-token on a pull request event (a fork gets no secrets)',
  'preview-deleted': '🧹 Preview deleted: Northflank no longer shows it',
  swept: '🧹 Sweep done: expired and closed previews deleted',
};

/** The one line that says how the step ended, for the summary and the pull request comment. */
export function outcomeHeadline(outcome: Outcome): string {
  return OUTCOME_HEADLINE[outcome];
}

/** The job summary as Markdown. Pure. */
export function summaryMarkdown(report: RunReport): string {
  const lines = summaryHead(report);
  const table = (rows: [string, string][]): string[] => [
    '| | |',
    '| --- | --- |',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
  ];
  if (report.outcome === 'skipped') {
    // Nothing was read or sent: the deployment named, and what became of the comment.
    const rows = targetRows(report);
    if (report.prComment) rows.push(['Pull request comment', commentCell(report.prComment)]);
    return [...lines, ...table(rows)].join('\n');
  }
  lines.push(...table([...targetRows(report), ...deploymentRows(report)]));
  if (report.replanned) lines.push(`> ⚠️ ${escapeCell(report.replanned)}`, '');
  if (report.preview) lines.push(...previewMarkdown(report.preview));
  if (report.sweep) lines.push(...sweepMarkdown(report.sweep));
  if (report.changes) {
    lines.push(
      report.outcome === 'dry-run' ? '### Changes the update would make' : '### Changes',
      '',
    );
    if (report.changes.length === 0) lines.push(noChangesText(report), '');
    else lines.push(...report.changes.map((c) => `- ${code(describeChange(c))}`), '');
  }
  if (report.notReverted?.length) {
    lines.push(
      '### Not reverted',
      '',
      'The failed update added these spec settings, which the previous spec did not have; Northflank merges a spec, so an update cannot remove them. Remove them in Northflank, or set them explicitly in your spec.',
      '',
      ...report.notReverted.map((c) => `- ${code(describeChange(c))}`),
      '',
    );
  }
  if (report.models) {
    lines.push(
      '### Smoke test',
      '',
      `Models listed: ${report.models.map((m) => code(m)).join(', ') || 'none'}`,
    );
    if (report.reply !== undefined)
      lines.push('', `Reply to the prompt: ${escapeCell(report.reply)}`);
    lines.push('');
  }
  if (report.benchmark && (report.benchmark.before || report.benchmark.after)) {
    lines.push(benchmarkMarkdown(report.benchmark));
  }
  lines.push(...timelineMarkdown(report));
  return lines.join('\n');
}

/** After a revert that could not remove what the update added: the headline says so. */
function revertedExcept(report: RunReport): string {
  const added = report.notReverted?.length ?? 0;
  if (report.outcome !== 'reverted' || added === 0) return '';
  return `, except ${String(added)} spec setting(s) the update added (see Not reverted)`;
}

/** The heading, the outcome's headline, the plan's verdict (a dry run) and the message. */
function summaryHead(report: RunReport): string[] {
  const title = report.deployment?.name ?? report.target.deploymentId ?? 'LLM model deployment';
  const lines = [
    `## Northflank: ${escapeCell(title)}`,
    '',
    `**${OUTCOME_HEADLINE[report.outcome]}${revertedExcept(report)}**`,
    '',
  ];
  if (report.outcome === 'dry-run' && report.verdict) {
    lines.push(`**${verdictLine(report.verdict, 'The plan')}**`, '');
  }
  if (report.outcome === 'skipped') {
    // Nothing was read or sent: the notice is the whole story, one sentence a paragraph.
    for (const sentence of sentencesOf(report.message)) lines.push(escapeCell(sentence), '');
  } else if (!SUCCESSFUL_OUTCOMES.has(report.outcome) || report.outcome === 'no-rollout') {
    // The message ends with what to do: long enough to keep it (a revert's message is long).
    lines.push(`> ${escapeCell(report.message, MAX_SUMMARY_MESSAGE_CHARS)}`, '');
  }
  return lines;
}

/** The table's rows that name the deployment. */
function targetRows(report: RunReport): [string, string][] {
  const rows: [string, string][] = [
    ['Deployment', code(report.deployment?.id ?? report.target.deploymentId ?? '')],
    ['Project', code(report.target.projectId ?? '')],
  ];
  if (report.target.teamId) rows.push(['Team', code(report.target.teamId)]);
  return rows;
}

/** The table's rows of how the deployment was left and what the run did to it. */
function deploymentRows(report: RunReport): [string, string][] {
  const d = report.deployment;
  const url = d ? publicUrl(d) : '';
  const rows: [string, string][] = [['Status', d ? code(d.status) : 'unknown']];
  if (url) rows.push(['URL', escapeCell(url)]);
  if (d?.dns?.base) rows.push(['DNS', code(d.dns.base)]);
  if (d?.deploymentConfiguration?.id) {
    rows.push(['Configuration', code(d.deploymentConfiguration.id)]);
  }
  if (report.previousConfigurationId) {
    rows.push(['Previous configuration', code(report.previousConfigurationId)]);
  }
  const resent = report.resent ?? [];
  const updated = report.updatedFields.filter((field) => !resent.includes(field));
  // A created preview was sent whole (production's configuration with the given fields), not updated.
  if (report.preview?.action === 'created') {
    rows.push(['Created', `from ${code(report.preview.production)}'s configuration`]);
  } else rows.push(['Fields updated', updated.length ? updated.join(', ') : 'none']);
  if (resent.length) rows.push(['Re-sent', `${resent.join(', ')} (${RESENT_WHY})`]);
  if (report.inPlace?.length) rows.push(['Already in place', report.inPlace.join(', ')]);
  if (report.prComment) rows.push(['Pull request comment', commentCell(report.prComment)]);
  rows.push(['Elapsed', formatDuration(report.elapsedMs)]);
  rows.push(['API requests', String(report.requestCount)]);
  return rows;
}

/** The pull request comment as a table cell: a link to it, or why there is none. */
function commentCell(note: PullRequestCommentNote): string {
  if (note.written === false) return `not written: ${escapeCell(note.reason)}`;
  const link = safeLink(note.url);
  return link ? `[${note.written}](${link})` : note.written;
}

/** What the summary says when no value GET shows changes: fields sent anyway are not "nothing". */
function noChangesText(report: Pick<RunReport, 'verdict' | 'outcome'>): string {
  const verdict = report.verdict;
  if (!verdict || verdict.kind === 'nothing') return 'None: the deployment already matches.';
  const tense = report.outcome === 'dry-run' ? 'would be' : 'were';
  // With force nothing is unreadable: the plan sends every given field anyway.
  return verdict.unreadable.length > 0
    ? `None that GET can show; ${verdict.unreadable.join(', ')} ${tense} re-sent because ${RESENT_WHY}.`
    : `None that GET can show; ${verdict.forced.join(', ')} ${tense} re-sent because force is true.`;
}

/**
 * The rollout timeline as a table under `heading`, for the summary and the pull request comment;
 * after `maxRows` rows, the count of the rest. No lines when nothing was seen.
 */
export function timelineMarkdown(
  report: Pick<RunReport, 'timeline' | 'timelineOriginMs'>,
  heading = '### Rollout timeline',
  maxRows = Number.POSITIVE_INFINITY,
): string[] {
  if (report.timeline.length === 0) return [];
  const lines: string[] = [];
  const origin = report.timelineOriginMs ?? report.timeline[0]?.startMs ?? 0;
  const from = (ms: number): number => offsetSeconds(ms, origin);
  lines.push(heading, '', '| Status | From | Lasted |', '| --- | --- | --- |');
  for (const entry of report.timeline.slice(0, maxRows)) {
    // Lengths are differences of rounded offsets, so each row's from + lasted is the next from.
    const lasted =
      entry.endMs === undefined
        ? 'last seen'
        : formatSeconds(from(entry.endMs) - from(entry.startMs));
    lines.push(
      `| ${code(describeEntry(entry))} | +${formatSeconds(from(entry.startMs))} | ${lasted} |`,
    );
  }
  const more = report.timeline.length - maxRows;
  if (more > 0) lines.push('', `…and ${more} more status${more === 1 ? '' : 'es'}.`);
  lines.push('');
  return lines;
}
