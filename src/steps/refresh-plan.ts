/**
 * The plan made again after the baseline: measuring the serving model can take minutes, and an
 * update of someone else's may land meanwhile. The deployment is read again just before the
 * update is sent; if it moved, the update is planned on the new reading (and the revert's
 * previous values come from it), and the baseline, which measured a mix, is measured again.
 */
import { describeDrift } from '../rollout/drift.js';
import { newerReading } from '../rollout/freshness.js';
import type { StepResult } from '../rollout/outcome.js';
import { describeChange, planUpdate, type PlannedUpdate } from '../rollout/plan.js';
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
    const fresh = await api.getDeployment();
    tracker.observe(fresh, ctx.clock.now(), true);
    // A replica behind the others may answer with what was there before: it shows no move.
    if (newerReading(planned.before, fresh) !== fresh) return undefined;
    const moved = describeDrift(planned.before, fresh, settings.update);
    planned.before = fresh;
    if (moved === undefined) return undefined;
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
    log.warning(
      `The deployment changed while the benchmark measured the baseline: ${moved}. Another update landed meanwhile. The update is planned again on the new reading (${changes}), and the baseline, which measured a mix of configurations, is ${why === undefined ? 'measured again' : `set aside: ${why}`}.`,
      { title: 'Deployment changed during the baseline' },
    );
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
