/**
 * Where a rollout's time went, phase by phase, and the per-phase deadlines. Pure: the wait passes
 * the timeline in and the time now.
 */
import { formatDuration } from '../duration.js';

/** A span of the timeline: a status held from `startMs` until `endMs` (or still). */
export interface Span {
  /** The status, or a label for time that is no status (an API outage). */
  status: string;
  startMs: number;
  endMs?: number;
}

/** The phases with a deadline of their own. */
export type Phase = 'provisioning' | 'starting';

/** The per-phase deadlines the user set (the `provisioning-timeout` and `starting-timeout` inputs). */
export interface PhaseLimits {
  provisioningMs?: number;
  startingMs?: number;
}

/** `pending` and `provisioning` both wait for a node; `starting` downloads and loads the model. */
export function phaseOf(status: string): Phase | undefined {
  if (status === 'pending' || status === 'provisioning') return 'provisioning';
  if (status === 'starting') return 'starting';
  return undefined;
}

/** Milliseconds spent in each status (or label), in the order first seen. */
export function timeByStatus(spans: readonly Span[], nowMs: number): Map<string, number> {
  const totals = new Map<string, number>();
  for (const span of spans) {
    const ms = Math.max(0, (span.endMs ?? nowMs) - span.startMs);
    totals.set(span.status, (totals.get(span.status) ?? 0) + ms);
  }
  return totals;
}

/** Milliseconds spent in a phase, summed over the spans given (those of one rollout). */
export function timeInPhase(spans: readonly Span[], phase: Phase, nowMs: number): number {
  let total = 0;
  for (const [status, ms] of timeByStatus(spans, nowMs)) {
    if (phaseOf(status) === phase) total += ms;
  }
  return total;
}

/** A phase that ran past its deadline. */
export interface PhaseOverrun {
  phase: Phase;
  spentMs: number;
  limitMs: number;
}

/**
 * The phase of the current status, if it has a deadline and has run past it. `spans` are the
 * rollout's own; time in a phase adds up across visits (a status that flaps back counts on).
 */
export function phaseOverrun(
  spans: readonly Span[],
  status: string,
  limits: PhaseLimits,
  nowMs: number,
): PhaseOverrun | undefined {
  const phase = phaseOf(status);
  if (phase === undefined) return undefined;
  const limitMs = phase === 'provisioning' ? limits.provisioningMs : limits.startingMs;
  if (limitMs === undefined) return undefined;
  const spentMs = timeInPhase(spans, phase, nowMs);
  return spentMs > limitMs ? { phase, spentMs, limitMs } : undefined;
}

/** Where the time went: `pending 10s, provisioning 12m 5s, starting 3m`. */
export function describeTimeSpent(spans: readonly Span[], nowMs: number): string {
  const parts = [...timeByStatus(spans, nowMs)].map(
    ([status, ms]) => `${status} ${formatDuration(ms)}`,
  );
  return parts.join(', ') || 'no status seen';
}

/** What a phase deadline's overrun most likely means, and what to try. */
export function phaseOverrunMessage(overrun: PhaseOverrun, gpu: string | undefined): string {
  const spent = formatDuration(overrun.spentMs);
  const limit = formatDuration(overrun.limitMs);
  if (overrun.phase === 'provisioning') {
    return `The new rollout spent ${spent} waiting for a node (pending/provisioning), past provisioning-timeout (${limit}). Northflank most likely has no capacity for the GPU in the spec${gpu ? ` (${gpu})` : ''} right now: try another GPU type or count, or raise provisioning-timeout.`;
  }
  return `The new rollout spent ${spent} starting, past starting-timeout (${limit}): the model is still downloading or loading. It may be too large to load in time on this node (check the model's size, the storage size, gpuMemoryUtilization and the parallelism settings), or raise starting-timeout.`;
}
