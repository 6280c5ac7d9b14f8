/** The step outputs for a report, pure: every output action.yml declares, empty when unknown. */
import { boundedJson } from '../json.js';
import type { FieldChange } from '../rollout/compare.js';
import { publicUrl } from '../rollout/status.js';
import type { OutputSink } from '../runner/deps.js';
import type { BenchmarkReport, RunReport } from './report.js';

/** Past this many characters of JSON, a value in the `changes` output is shortened. */
export const MAX_CHANGE_VALUE_CHARS = 2048;

/** What a shortened value ends with, so that no one takes it for the value. */
export const SHORTENED_MARKER = '[shortened:';

/** A value as the output shows it: itself, or the start of its JSON with a marker when long. */
function bounded(value: unknown): unknown {
  const json = boundedJson(value);
  if (json.length <= MAX_CHANGE_VALUE_CHARS) return value;
  return `${json.slice(0, MAX_CHANGE_VALUE_CHARS)}… ${SHORTENED_MARKER} ${json.length} characters of JSON in all]`;
}

/**
 * The `changes` output: a JSON list of {path, from, to}, where a leaf that is not set has no
 * `from` (or `to`) rather than a null, and a value past a few KB is shortened with a marker.
 */
export function changesOutput(changes: readonly FieldChange[]): string {
  return boundedJson(
    changes.map((c) => ({
      path: c.path,
      ...(c.from === undefined || c.from === null ? {} : { from: bounded(c.from) }),
      ...(c.to === undefined || c.to === null ? {} : { to: bounded(c.to) }),
    })),
  );
}

/**
 * The `benchmark` output: `before` (without a baseline, absent), `after`, `changes` (each
 * metric's change with its interval), `limits` (each fail-if verdict), `gate`, `failed`.
 */
export function benchmarkOutput(report: BenchmarkReport): string {
  return JSON.stringify({
    ...(report.skipped ? { skipped: report.skipped } : {}),
    ...(report.before ? { before: report.before } : {}),
    ...(report.after ? { after: report.after } : {}),
    ...(report.changes ? { changes: report.changes.map(roundChange) } : {}),
    limits: report.verdicts.map((v) => ({
      metric: v.metric,
      limit: v.limit,
      verdict: v.status,
      ...(v.before === undefined ? {} : { before: v.before }),
      after: v.after,
      ...(v.bound === undefined ? {} : { bound: round4(v.bound) }),
      ...(v.interval ? { interval: v.interval.map(round4), of: v.of } : {}),
      ...(v.confidence === undefined ? {} : { confidence: round4(v.confidence) }),
      ...(v.settleRequests === undefined ? {} : { settleRequests: v.settleRequests }),
      ...(v.reason === undefined ? {} : { reason: v.reason }),
    })),
    ...(report.gate
      ? {
          gate: {
            confidence: report.settings.confidence,
            looks: report.gate.looks,
            lookConfidence: round4(report.gate.lookConfidence),
          },
        }
      : {}),
    failed: report.failed.map((f) => (f.interval ? { ...f, interval: f.interval.map(round4) } : f)),
  });
}

function round4(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

function roundChange(c: NonNullable<BenchmarkReport['changes']>[number]): object {
  return {
    metric: c.metric,
    before: c.before,
    after: c.after,
    change: c.change === null ? null : round4(c.change),
    ...(c.interval ? { interval: c.interval.map(round4) } : {}),
  };
}

/** The step outputs for a report. Pure; every output is set, empty when unknown. */
export function outputsFor(report: RunReport): Record<string, string> {
  // Gone (404): Northflank shows nothing now, so no status; the message names the last one seen.
  const d = report.outcome === 'deleted' ? undefined : report.deployment;
  return {
    outcome: report.outcome,
    id: d?.id ?? report.deployment?.id ?? report.target.deploymentId ?? '',
    name: d?.name ?? '',
    status: d?.status ?? '',
    dns: d?.dns?.base ?? '',
    url: d ? publicUrl(d) : '',
    ports: d?.ports ? boundedJson(d.ports) : '',
    'deployment-configuration-id': d?.deploymentConfiguration?.id ?? '',
    deployment: d ? boundedJson(d) : '',
    'elapsed-seconds': String(Math.round(report.elapsedMs / 1000)),
    // Empty, not [], when there was no smoke test: nothing was listed.
    models: report.models ? JSON.stringify(report.models) : '',
    // Empty when the run failed before its plan: nothing was planned.
    changes: report.changes ? changesOutput(report.changes) : '',
    'previous-configuration-id': report.previousConfigurationId ?? '',
    benchmark: report.benchmark ? benchmarkOutput(report.benchmark) : '',
    reason: report.reason ?? '',
    'preview-id': report.preview?.id ?? '',
    'preview-url': report.preview?.action === 'deleted' ? '' : (report.preview?.url ?? ''),
    'preview-outcome': report.preview?.action ?? '',
  };
}

/** Sets every output. */
export function setOutputs(sink: OutputSink, report: RunReport): void {
  for (const [name, value] of Object.entries(outputsFor(report))) sink.setOutput(name, value);
}
