/**
 * The plan made again after the baseline: measuring the serving model can take minutes, and an
 * update of someone else's may land meanwhile. The deployment is read again just before the
 * update is sent; if it moved, the update is planned on the new reading (and the revert's
 * previous values come from it), and the baseline, which measured a mix, is measured again.
 */
import { DeadlineError } from '../errors.js';
import type { Deployment } from '../northflank/schema.js';
import { describeDrift } from '../rollout/drift.js';
import { newerReading } from '../rollout/freshness.js';
import type { StepResult } from '../rollout/outcome.js';
import { describeChange, planUpdate, type PlannedUpdate } from '../rollout/plan.js';
import { DEFAULT_POLL_POLICY, nextPollDelayMs } from '../rollout/poll-policy.js';
import { FAILED_STATUSES, GONE_STATUS, SERVING_STATUS } from '../rollout/status.js';
import { measureBaseline, noBaselineReason } from './benchmark-model.js';
import type { RunContext } from './context.js';

/** The baseline is measured again once; a deployment that moves again has no baseline. */
const MAX_REMEASURES = 1;

/**
 * After a baseline was measured: reads the deployment, and when it moved re-plans on the new
 * reading (`planned` is updated: the reading just before the update, and its plan) and measures
 * the baseline again. Resolves to a result when the step's `timeout` ran out during that.
 */
export async function replanAfterBaseline(
  ctx: RunContext,
  planned: PlannedUpdate,
): Promise<StepResult | undefined> {
  const { api, settings, log, tracker } = ctx;
  const session = ctx.benchmark;
  for (let round = 0; session?.baselineMeasured; round++) {
    let fresh = await api.getDeployment();
    tracker.observe(fresh, ctx.clock.now(), true);
    // A replica behind the others may answer with what was there before: it shows no move.
    if (newerReading(planned.before, fresh) !== fresh) return undefined;
    const moved = describeDrift(planned.before, fresh, settings.update);
    if (moved === undefined) {
      planned.before = fresh;
      return undefined;
    }
    // Sending now would cut the other update's rollout short: let it end first.
    const other = await otherRolloutEnded(ctx, fresh, moved);
    if ('outcome' in other) return other;
    fresh = other.reading;
    planned.before = fresh;
    const plan = (planned.plan = planUpdate(settings.update, fresh, settings.force));
    session.discardBaseline();
    const why =
      round >= MAX_REMEASURES
        ? 'it changed again while the baseline was measured a second time, so no baseline measured one configuration'
        : noBaselineReason(ctx, session.settings, { before: fresh, plan });
    const changes =
      plan.changes.length > 0
        ? `it changes ${plan.changes.map(describeChange).join('; ')}`
        : Object.keys(plan.body).length > 0
          ? `it sends ${Object.keys(plan.body).join(', ')} again`
          : 'it leaves nothing to send';
    const said = `The deployment changed while the benchmark measured the baseline: ${moved}. Another update landed meanwhile${other.waited ? ` (its rollout ran after ${formatWait(other.waited)}: this update waited for it)` : ''}. The update is planned again on the new reading (${changes}), and the baseline, which measured a mix of configurations, is ${why === undefined ? 'measured again' : `set aside: ${why}`}.`;
    log.warning(said, { title: 'Deployment changed during the baseline' });
    // The summary and the comment say it too, not only the annotation.
    ctx.record.replanned = said;
    if (why !== undefined) {
      session.report.noBaseline = `the deployment changed while the baseline was measured (${moved}), and ${why}`;
      session.baselineMeasured = false;
      return undefined;
    }
    const outOfTime = await measureBaseline(ctx, { before: fresh, plan });
    if (outOfTime) return outOfTime;
  }
  return undefined;
}

/** What became of another update's rollout found under way: it runs, or the step ends. */
type OtherRollout = { reading: Deployment; waited: number } | StepResult;

/**
 * Another update landed during the baseline and its rollout is still under way: sending ours now
 * would interrupt it (and a revert of ours could then only go back to values that never ran). So
 * the step waits, within `timeout`, for it to end. It runs: the update is planned on it. It ends
 * any other way (crashed, paused, deleted): nothing is sent on top of it, and the step fails
 * `superseded`, saying whose rollout failed.
 */
async function otherRolloutEnded(
  ctx: RunContext,
  first: Deployment,
  moved: string,
): Promise<OtherRollout> {
  const { log, clock } = ctx;
  const startedMs = clock.now();
  let reading = first;
  const id = (d: Deployment): string => d.deploymentConfiguration?.id ?? 'its new configuration';
  let said = false;
  let changedMs = startedMs;
  while (isUnderWay(reading)) {
    if (!said) {
      log.info(
        `Another update landed during the baseline (${moved}) and its rollout (${id(reading)}) is ${reading.status}: waiting for it to end before sending this update, so as not to interrupt it (within "timeout").`,
      );
      said = true;
    }
    const leftMs = ctx.deadlineMs - clock.now();
    const next = leftMs > 0 ? await readAfterPause(ctx, reading, startedMs, changedMs) : undefined;
    if (next === undefined) {
      return {
        outcome: 'timeout',
        title: 'Timed out',
        deployment: reading,
        message: `Timed out waiting for another update's rollout (${id(reading)}, ${reading.status}) to end: it landed during the baseline (${moved}), and this update was not sent, so as not to interrupt it. Nothing of this step's was sent. Run the step again once that rollout ends, or raise "timeout".`,
      };
    }
    const newer = newerReading(reading, next);
    if (newer.status !== reading.status) changedMs = clock.now();
    reading = newer;
  }
  if (reading.status === SERVING_STATUS) {
    return { reading, waited: said ? clock.now() - startedMs : 0 };
  }
  const gone = reading.status === GONE_STATUS;
  return {
    outcome: 'superseded',
    title: "Another update's rollout failed",
    deployment: reading,
    message: `Another update landed while the benchmark measured the baseline (${moved}), and its rollout (${id(reading)}) ${gone ? 'is deleting the deployment' : `ended ${reading.status}`}: this update was not sent on top of it, since the deployment no longer runs what was planned against and a revert could not bring back a configuration that runs. Nothing of this step's was sent. Look at that rollout in Northflank (whoever sent it), then run the step again.`,
  };
}

/**
 * The next reading, after the rollout wait's own pause (quick after a change, then backing off up
 * to poll-interval); undefined when `timeout` runs out first (the request budget included).
 */
async function readAfterPause(
  ctx: RunContext,
  reading: Deployment,
  startedMs: number,
  changedMs: number,
): Promise<Deployment | undefined> {
  const { clock, settings, api, tracker } = ctx;
  const now = clock.now();
  const pause = nextPollDelayMs(
    { ...DEFAULT_POLL_POLICY, maxMs: settings.pollIntervalMs },
    {
      sinceUpdateMs: now - startedMs,
      sinceChangeMs: now - changedMs,
      status: reading.status,
      newRollout: true,
    },
  );
  if (now + pause >= ctx.deadlineMs) return undefined;
  await clock.sleep(pause, ctx.signal);
  try {
    const next = await api.getDeployment();
    tracker.observe(next, clock.now(), true);
    return next;
  } catch (error) {
    if (error instanceof DeadlineError) return undefined;
    throw error;
  }
}

/** A status of a rollout still going: the known in-progress ones, and any unknown status. */
function isUnderWay(d: Deployment): boolean {
  return d.status !== SERVING_STATUS && d.status !== GONE_STATUS && !FAILED_STATUSES.has(d.status);
}

function formatWait(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}
