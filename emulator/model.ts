/**
 * The rollout model of the emulator, pure: what status a rollout shows at a given time. The
 * HTTP server uses it in real time; the benchmark uses it on a simulated clock.
 */

/** How a rollout ends once it has gone through pending, provisioning and starting. */
export type RolloutEnding = 'running' | 'crashed' | 'paused' | 'deleted';

export interface RolloutPlan {
  pendingMs: number;
  provisioningMs: number;
  startingMs: number;
  ending: RolloutEnding;
  /** With `deleted`: how long `deleting` shows before the deployment is gone (404). */
  deletingMs: number;
  /**
   * When set, `provisioning` flaps: it alternates with `starting` every this many milliseconds
   * for the whole provisioning phase (a node that keeps failing its health check).
   */
  flapPeriodMs?: number;
}

export const DEFAULT_PLAN: RolloutPlan = {
  pendingMs: 1000,
  provisioningMs: 2000,
  startingMs: 2000,
  ending: 'running',
  deletingMs: 1000,
};

/** A rollout's plan with its phases scaled to a total duration (until it ends). */
export function planOfDuration(totalMs: number, ending: RolloutEnding = 'running'): RolloutPlan {
  // A GPU model rollout spends most of its time getting a node and loading weights.
  return {
    pendingMs: Math.round(totalMs * 0.1),
    provisioningMs: Math.round(totalMs * 0.5),
    startingMs: Math.round(totalMs * 0.4),
    ending,
    deletingMs: 1000,
  };
}

export interface Rollout {
  configurationId: string;
  startedAtMs: number;
  plan: RolloutPlan;
}

/** The status of a rollout at `nowMs`, or the pseudo-status `gone` once a deleted deployment has disappeared. */
export function statusAt(rollout: Rollout, nowMs: number): string {
  const { plan } = rollout;
  let t = nowMs - rollout.startedAtMs;
  if (t < plan.pendingMs) return 'pending';
  t -= plan.pendingMs;
  if (t < plan.provisioningMs) {
    if (plan.flapPeriodMs && Math.floor(t / plan.flapPeriodMs) % 2 === 1) return 'starting';
    return 'provisioning';
  }
  t -= plan.provisioningMs;
  if (t < plan.startingMs) return 'starting';
  t -= plan.startingMs;
  if (plan.ending !== 'deleted') return plan.ending;
  return t < plan.deletingMs ? 'deleting' : 'gone';
}

/** When the rollout reaches its ending status. */
export function endsAtMs(rollout: Rollout): number {
  const { plan } = rollout;
  return rollout.startedAtMs + plan.pendingMs + plan.provisioningMs + plan.startingMs;
}
