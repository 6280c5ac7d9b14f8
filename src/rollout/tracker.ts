// What has been seen of the deployment: the timeline of statuses (and outages) a wait records,
// kept outside the wait so a failure, the log and the job summary can all report it.
import type { Deployment } from '../northflank/schema.js';

/** One status the deployment held, and for how long (until `endMs`, or still). */
export interface TimelineEntry {
  status: string;
  /** Whether this was still the rollout from before the update (or, in a revert, the failed one). */
  previousRollout: boolean;
  /** Whether this was seen while reverting a failed rollout. */
  revert?: boolean;
  /** A rollout started by another update than ours. */
  foreign?: boolean;
  /** A new configuration that does not (yet) show this update: ours or not, not yet known. */
  unconfirmed?: boolean;
  /** The configuration this status was of, when the reading named one. */
  configurationId?: string;
  /** Not a status: the API did not answer during this time. */
  outage?: boolean;
  startMs: number;
  endMs?: number;
}

/** The timeline's text for a time the API did not answer. */
export const OUTAGE_LABEL = 'no answer from the API';

/** The timeline's text for a time the API refused reads with 429. */
export const RATE_LIMITED_LABEL = 'rate limited by the API';

/** What has been seen of the deployment so far; kept outside the wait so a failure can report it. */
export class RolloutTracker {
  readonly timeline: TimelineEntry[] = [];
  last: Deployment | undefined;
  /** Set once the action reverts a failed rollout: later entries belong to the revert. */
  reverting = false;
  /** When the update was sent: the log and the summary measure the timeline from it. */
  originMs: number | undefined;
  /** The configuration id of the rollout our update started, once a reading has shown it. */
  ours: string | undefined;

  /** Records a reading; returns the entry it ended when the status (or the rollout) changed. */
  observe(
    deployment: Deployment,
    nowMs: number,
    previousRollout: boolean,
    foreign = false,
    unconfirmed = false,
  ): TimelineEntry | undefined {
    this.last = deployment;
    const current = this.timeline.at(-1);
    const configurationId = deployment.deploymentConfiguration?.id;
    if (
      current &&
      !current.outage &&
      current.status === deployment.status &&
      current.previousRollout === previousRollout &&
      (current.foreign ?? false) === foreign &&
      (current.unconfirmed ?? false) === unconfirmed &&
      (current.revert ?? false) === this.reverting
    ) {
      return undefined;
    }
    if (current) current.endMs = nowMs;
    this.timeline.push({
      status: deployment.status,
      previousRollout,
      ...(this.reverting ? { revert: true } : {}),
      ...(foreign ? { foreign } : {}),
      ...(unconfirmed ? { unconfirmed } : {}),
      ...(configurationId !== undefined ? { configurationId } : {}),
      startMs: nowMs,
    });
    return current;
  }

  /**
   * A configuration shown before as not yet showing this update turned out to be ours: its
   * earlier entries are relabelled as the rollout's own (the summary's timeline then says so).
   */
  confirmOurs(configurationId: string): void {
    for (const entry of this.timeline) {
      if (entry.unconfirmed && entry.configurationId === configurationId) delete entry.unconfirmed;
    }
  }

  /** Records that the API stopped answering (or rate limits) at `nowMs` (once per outage). */
  outageStarted(nowMs: number, label: string = OUTAGE_LABEL): void {
    const current = this.timeline.at(-1);
    if (current?.outage) return;
    if (current) current.endMs = nowMs;
    this.timeline.push({
      status: label,
      previousRollout: false,
      outage: true,
      startMs: nowMs,
    });
  }

  /**
   * The entries of the rollout the wait is following (ours, since the update or the revert):
   * not the previous rollout, someone else's, or an outage.
   */
  currentRolloutSpans(): TimelineEntry[] {
    return this.timeline.filter(
      (entry) =>
        !entry.previousRollout &&
        !entry.outage &&
        !entry.foreign &&
        !entry.unconfirmed &&
        (entry.revert ?? false) === this.reverting,
    );
  }

  /** Starts following a revert: later readings belong to it, and its configuration is found anew. */
  startRevert(): void {
    this.reverting = true;
    this.ours = undefined;
  }
}

/** A timeline entry as text: `running (previous rollout)`, `pending (revert)`. */
export function describeEntry(
  entry: Pick<
    TimelineEntry,
    'status' | 'previousRollout' | 'foreign' | 'unconfirmed' | 'outage' | 'revert'
  >,
): string {
  if (entry.outage) return entry.status;
  if (entry.foreign) return `${entry.status} (another update)`;
  if (entry.unconfirmed) return `${entry.status} (new configuration, not yet showing this update)`;
  if (entry.revert) {
    return entry.previousRollout ? `${entry.status} (failed rollout)` : `${entry.status} (revert)`;
  }
  return entry.previousRollout ? `${entry.status} (previous rollout)` : entry.status;
}
