/**
 * The benchmark's section of the job summary, pure: before | after | change per metric with each
 * `fail-if` verdict, text bars of the TTFT and ITL percentiles, and the definitions. The job
 * summary and the pull request comment both show it. Its text is the action's own (numbers and
 * fixed words) except the reasons a baseline or a limit is missing, which can quote the model
 * server's answer: those are escaped like any API text.
 */
import type { BenchmarkReport } from './report.js';
import { escapeCell } from './markdown.js';
import { effectiveConcurrency } from '../model/benchmark-settings.js';
import {
  formatChange,
  formatInterval,
  formatMetric,
  formatRatio,
  percentText,
  withinNoise,
  type LimitVerdict,
  type MetricChange,
} from '../model/gate.js';
import {
  higherIsBetter,
  metricValue,
  P99_MIN_REQUESTS,
  type Measurement,
  METRICS,
  type Metric,
} from '../model/stats.js';

const LABELS: Record<Metric, string> = {
  'ttft-p50': 'TTFT p50',
  'ttft-p90': 'TTFT p90',
  'ttft-p99': 'TTFT p99',
  'itl-p50': 'ITL p50',
  'itl-p90': 'ITL p90',
  'itl-p99': 'ITL p99',
  'e2e-p50': 'E2E p50',
  'e2e-p90': 'E2E p90',
  'e2e-p99': 'E2E p99',
  'tokens-per-second': 'Tokens per second',
  'error-rate': 'Error rate',
};

const BAR_CHARS = 24;

/**
 * `+21.1% worse (+12.0% to +30.2%)`, `no change within noise (-4.1% to +6.0%)`, or without an
 * interval the plain change; empty when there is nothing to compare.
 */
export function changeCell(
  metric: Metric,
  before: number | null | undefined,
  after: number | null,
  c: MetricChange | undefined,
): string {
  const text = formatChange(before, after);
  if (!text || before === null || before === undefined || after === null) return '';
  if (!c?.interval) return after === before ? `${text} (same)` : text;
  const range = formatInterval(metric, c.interval, 'change');
  if (withinNoise(c.interval)) return `no change within noise (${range})`;
  const better = higherIsBetter(metric) ? after > before : after < before;
  return `${formatRatio(c.change ?? 0)} ${better ? 'better' : 'worse'} (${range})`;
}

/** A limit's verdict as a table cell: held, exceeded (interval), inconclusive, not judged. */
export function verdictCell(v: LimitVerdict | undefined): string {
  if (!v) return '';
  const limit = escapeCell(v.limit);
  const range =
    v.interval && v.of
      ? ` (${v.of === 'value' ? 'value ' : ''}${formatInterval(v.metric, v.interval, v.of)})`
      : '';
  if (v.status === 'held') return `✅ ${limit} held`;
  if (v.status === 'exceeded') return `❌ ${limit} exceeded${range}`;
  if (v.status === 'inconclusive') return `❔ ${limit} inconclusive, not gated${range}`;
  return `➖ ${limit} not judged (${escapeCell(v.reason ?? 'no baseline')})`;
}

function value(metric: Metric, m: Measurement | undefined): string {
  if (!m) return '-';
  if (metric === 'error-rate') {
    return `${formatMetric(metric, metricValue(m, metric))} (${m.errors}/${m.requests + (m.cutOff ?? 0)})`;
  }
  return formatMetric(metric, metricValue(m, metric));
}

function bar(v: number | null | undefined, max: number): string {
  if (v === null || v === undefined || max <= 0) return '';
  const filled = Math.max(v > 0 ? 1 : 0, Math.round((v / max) * BAR_CHARS));
  return `<code>${'█'.repeat(filled)}${'░'.repeat(BAR_CHARS - filled)}</code> ${v.toFixed(1)} ms`;
}

/** The benchmark's section, under `heading`, for the job summary and the pull request comment. */
export function benchmarkMarkdown(
  report: BenchmarkReport,
  heading = '### Model benchmark',
): string {
  const { before, after } = report;
  const fewest = Math.min(before?.requests ?? Infinity, after?.requests ?? Infinity);
  return [
    heading,
    '',
    ...howMeasured(report),
    ...metricsTable(report),
    ...percentileBars(before, after),
    ...definitions(fewest),
  ].join('\n');
}

/** What was measured, and how a run cut short counts. */
function howMeasured(report: BenchmarkReport): string[] {
  const { before, after, settings } = report;
  const baseline = !before
    ? `after the rollout only: ${escapeCell(report.noBaseline ?? 'no baseline')}`
    : after
      ? 'before the update (the model that served) and after the rollout, with the same load'
      : 'before the update only (the model that served): the run ended before the rollout was measured';
  const counts =
    before && after && before.requests !== after.requests
      ? `${before.requests} and ${after.requests}`
      : String((after ?? before)?.requests ?? settings.requests);
  const lines = [
    `Measured ${baseline}: ${counts} streamed chat completions at concurrency ${effectiveConcurrency(settings.concurrency, settings.requests)}, max_tokens ${settings.maxTokens}${report.ignoreEos ? ' with ignore_eos' : ' without ignore_eos (the server refused it)'}, after ${settings.warmup} warm-up request(s) not counted.`,
    '',
  ];
  if (report.gate && report.gate.looks.length > 1) {
    lines.push(
      `Measured until each limit was decided: looks at ${report.gate.looks.join(', ')} requests per side, ${percentText(settings.confidence)} confidence split over them (each look's intervals at ${percentText(report.gate.lookConfidence)}). A limit is exceeded only when its whole interval is past it; the step fails on that only.`,
      '',
    );
  }
  for (const [which, quotes] of Object.entries(report.errors ?? {})) {
    if (quotes.length === 0) continue;
    lines.push(
      `> Errors ${which === 'before' ? 'before the update' : 'after the rollout'}: ${quotes.map((q) => `"${escapeCell(q)}"`).join('; ')}`,
      '',
    );
  }
  if (report.stopped) {
    lines.push(
      `> The benchmark ${report.stopped.which === 'before' ? 'before the update' : 'after the rollout'} was cut short (${report.stopped.why === 'deadline' ? 'the step ran out of its timeout' : 'cancelled'}); its numbers are of the requests that finished${report.stopped.why === 'deadline' ? ', except tokens per second (every token received until the stop) and the error rate (the requests cut off count as successes). What finished can show that serving got worse, not that a limit holds' : ''}.`,
      '',
    );
  }
  return lines;
}

/** Before | after | change | fail-if, metric by metric, and the tokens. */
function metricsTable({ before, after, verdicts, changes, gate }: BenchmarkReport): string[] {
  const byMetric = new Map(verdicts.map((v) => [v.metric, v]));
  const changeOf = new Map((changes ?? []).map((c) => [c.metric, c]));
  const confidence = gate ? ` (${percentText(gate.lookConfidence)} interval)` : '';
  const lines = [
    `| Metric | Before | After | Change${confidence} | fail-if |`,
    '| --- | --- | --- | --- | --- |',
  ];
  for (const metric of METRICS) {
    const b = before ? metricValue(before, metric) : undefined;
    const a = after ? metricValue(after, metric) : null;
    lines.push(
      `| ${LABELS[metric]} | ${value(metric, before)} | ${value(metric, after)} | ${changeCell(metric, b, a, changeOf.get(metric))} | ${verdictCell(byMetric.get(metric))} |`,
    );
  }
  const tokens = (m: Measurement | undefined): string =>
    m ? `${m.outputTokens} (${m.tokensFrom === 'usage' ? 'usage' : 'counted chunks'})` : '-';
  lines.push(`| Output tokens | ${tokens(before)} | ${tokens(after)} | | |`);
  // A reasoning model's replies: how many of the tokens were thinking, how many the answer.
  const reasoned = (m: Measurement | undefined): boolean =>
    m !== undefined && (m.reasoningTokens > 0 || m.reasoningChunks > 0);
  if (reasoned(before) || reasoned(after)) {
    const split = (m: Measurement | undefined): string =>
      m ? `${m.reasoningTokens} / ${m.answerTokens}` : '-';
    lines.push(`| Reasoning / answer tokens | ${split(before)} | ${split(after)} | | |`);
  }
  lines.push('');
  return lines;
}

/** Text bars of the TTFT and ITL percentiles, before and after, on one scale per latency. */
function percentileBars(before: Measurement | undefined, after: Measurement | undefined): string[] {
  const rows: [string, number | null | undefined, number | null | undefined][] = [];
  for (const kind of ['ttft', 'itl'] as const) {
    for (const p of ['p50', 'p90', 'p99'] as const) {
      const key = kind === 'ttft' ? 'ttftMs' : 'itlMs';
      rows.push([`${kind.toUpperCase()} ${p}`, before?.[key][p], after?.[key][p]]);
    }
  }
  const maxOf = (prefix: string): number =>
    Math.max(
      0,
      ...rows.filter(([l]) => l.startsWith(prefix)).flatMap(([, b, a]) => [b ?? 0, a ?? 0]),
    );
  const lines = ['| Percentile | Before | After |', '| --- | --- | --- |'];
  for (const [label, b, a] of rows) {
    const max = maxOf(label.split(' ')[0] ?? '');
    lines.push(`| ${label} | ${bar(b, max) || '-'} | ${bar(a, max) || '-'} |`);
  }
  lines.push('');
  return lines;
}

/** How each figure is measured; `fewest` is the smaller run's measured requests. */
function definitions(fewest: number): string[] {
  return [
    '<details><summary>How these are measured</summary>',
    '',
    "- **TTFT** (time to first token): from sending the request to the first chunk with a token, of the answer (`delta.content`) or of a reasoning model's thinking (`delta.reasoning_content`, `delta.reasoning`), as GenAI-Perf, llmperf and GuideLLM count it (vLLM's own benchmark counts the role-only first chunk, which comes earlier).",
    '- **ITL** (inter-token latency): (last token chunk − first token chunk) / (output tokens − 1), per request, thinking and answer alike.',
    '- **E2E**: from sending the request to the last token chunk.',
    '- **Output tokens**: `usage.completion_tokens` of the final usage chunk (reasoning included); without it, the number of token chunks. Of them, reasoning tokens are `usage.completion_tokens_details.reasoning_tokens` where the server reports it, else the reasoning chunks; the answer is the rest.',
    '- **Tokens per second**: all measured output tokens / the wall time from the first measured request sent to the last finished.',
    '- **Error rate**: errors / requests; an error is a non-2xx answer, an error sent inside the stream, a stream that breaks off before its finish chunk or `[DONE]`, an answer that is not a stream, or no token within request-timeout (the first, or the next one).',
    "- Percentiles interpolate linearly between the nearest ranks (numpy's default).",
    ...(fewest < P99_MIN_REQUESTS
      ? [`- With fewer than ${P99_MIN_REQUESTS} requests, p99 is close to the slowest request.`]
      : []),
    '',
    '</details>',
    '',
  ];
}
