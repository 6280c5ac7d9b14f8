/** The preview's and the sweep's sections of the job summary and the pull request comment. Pure. */
import { formatMetric, percentText } from '../model/gate.js';
import { changeCell, verdictCell } from './benchmark-summary.js';
import { METRICS, metricValue } from '../model/stats.js';
import { code, escapeCell } from './markdown.js';
import type { PreviewComparison, PreviewRecord, SweepRecord } from './report.js';

/** The preview: its id, URL, status, expiry and cost; then the benchmark beside production. */
export function previewMarkdown(preview: PreviewRecord, heading = '### Preview'): string[] {
  const rows: [string, string][] = [
    ['Preview', code(preview.id)],
    ['Of production', code(preview.production)],
  ];
  if (preview.pullRequest !== undefined) rows.push(['Pull request', `#${preview.pullRequest}`]);
  if (preview.action) rows.push(['This run', preview.action]);
  if (preview.status) rows.push(['Status', escapeCell(preview.status)]);
  if (preview.url && preview.action !== 'deleted') rows.push(['URL', escapeCell(preview.url)]);
  if (preview.expiresAt && preview.action !== 'deleted') rows.push(['Expires', preview.expiresAt]);
  if (preview.gpu?.count) {
    rows.push(['GPU', `${preview.gpu.count} × ${code(preview.gpu.type ?? 'unknown type')}`]);
  }
  if (preview.gpuHours !== undefined) {
    rows.push(['Cost so far', `${preview.gpuHours.toFixed(2)} GPU-hours since it was created`]);
  }
  const lines = [
    heading,
    '',
    '| | |',
    '| --- | --- |',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
  ];
  const level = `${heading.split(' ')[0] ?? '###'}#`;
  if (preview.comparison) lines.push(...comparisonMarkdown(preview.comparison, level));
  return lines;
}

/** The benchmark table, preview against production, with each limit's verdict. */
export function comparisonMarkdown(c: PreviewComparison, heading: string): string[] {
  const verdict = new Map(c.verdicts.map((v) => [v.metric, v]));
  // The error rate when there were errors, or when a limit holds it (it may be why more was measured).
  const shown = METRICS.filter(
    (m) =>
      m !== 'error-rate' || c.preview.errors + c.production.errors > 0 || verdict.has('error-rate'),
  );
  const change = new Map(c.changes.map((x) => [x.metric, x]));
  return [
    `${heading} Benchmark: preview beside production`,
    '',
    `${c.requests} request(s) each, sent to both at once at concurrency ${c.concurrency}; intervals at ${percentText(c.confidence)}.`,
    '',
    '| Metric | Production | Preview | Change (interval) | Limit |',
    '| --- | --- | --- | --- | --- |',
    ...shown.map((metric) => {
      const before = metricValue(c.production, metric);
      const after = metricValue(c.preview, metric);
      return `| ${metric} | ${formatMetric(metric, before)} | ${formatMetric(metric, after)} | ${changeCell(metric, before, after, change.get(metric))} | ${verdictCell(verdict.get(metric))} |`;
    }),
    '',
  ];
}

/** The sweep: one row per preview of this repository (deleted or kept, and why), then the count left alone. */
export function sweepMarkdown(sweep: SweepRecord): string[] {
  const ours = sweep.decisions.filter((d) => d.action !== 'ignore');
  const others = sweep.decisions.length - ours.length;
  const lines = ['### Sweep', ''];
  if (ours.length === 0) lines.push('No previews of this repository in the project.', '');
  else {
    lines.push(
      '| Preview | Pull request | Action | Why |',
      '| --- | --- | --- | --- |',
      ...ours.map(
        (d) =>
          `| ${code(d.id)} | ${d.pullRequest === undefined ? '' : `#${d.pullRequest}`} | ${escapeCell(d.result ?? d.action)} | ${escapeCell(d.reason)} |`,
      ),
      '',
    );
  }
  lines.push(
    `${others} other deployment(s) in the project are not previews of this repository and were left alone.`,
    '',
  );
  return lines;
}
