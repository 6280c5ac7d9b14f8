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

/** The `benchmark` output: `before` (without a baseline, absent), `after`, `failed`. */
export function benchmarkOutput(report: BenchmarkReport): string {
  return JSON.stringify({
    ...(report.before ? { before: report.before } : {}),
    ...(report.after ? { after: report.after } : {}),
    failed: report.failed,
  });
}

/** The step outputs for a report. Pure; every output is set, empty when unknown. */
export function outputsFor(report: RunReport): Record<string, string> {
  const d = report.deployment;
  return {
    outcome: report.outcome,
    id: d?.id ?? report.target.deploymentId ?? '',
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
    'preview-id': report.preview?.id ?? '',
    'preview-url': report.preview?.action === 'deleted' ? '' : (report.preview?.url ?? ''),
    'preview-outcome': report.preview?.action ?? '',
  };
}

/** Sets every output. */
export function setOutputs(sink: OutputSink, report: RunReport): void {
  for (const [name, value] of Object.entries(outputsFor(report))) sink.setOutput(name, value);
}
