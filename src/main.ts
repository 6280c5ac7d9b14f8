/**
 * The action's story: read the inputs, build the run's context, run the mode they ask for, then
 * report. A mode is one function below that calls its steps in order; each step takes the
 * context, plus at most the result it continues from. Modes: deploy (the default), preview (a
 * pull request's own deployment) and sweep (deletes previews that are done with).
 */
import type { Mode } from './config/preview-settings.js';
import { RunSkipped } from './errors.js';
import { forkPreviewMessage, skippedMessage } from './report/fork-notice.js';
import type { RunReport } from './report/report.js';
import { endsRunning } from './rollout/ends-running.js';
import { SUCCESSFUL_OUTCOMES, type Outcome, type StepResult } from './rollout/outcome.js';
import type { PlannedUpdate } from './rollout/plan.js';
import { defaultDeps, type RunDeps } from './runner/deps.js';
import { benchmarkStep, measureBaseline } from './steps/benchmark-model.js';
import { createRunContext, startRun, type RunContext } from './steps/context.js';
import { failedRun } from './steps/failed-run.js';
import { followRollout } from './steps/follow-rollout.js';
import { clearGateNoteWithUpdate, guardFailedGate, keepGateVerdict } from './steps/gate-memory.js';
import { recordGitHubDeployment } from './steps/github-deployment.js';
import { dryRunResult, planStep } from './steps/plan-update.js';
import { publishRun } from './steps/publish-run.js';
import { readInputs } from './steps/read-inputs.js';
import { replanAfterBaseline } from './steps/refresh-plan.js';
import { revertStep, shouldRevert, withNoRevertReason } from './steps/revert-rollout.js';
import { comparePreviewStep } from './steps/compare-preview.js';
import { closePreview, openPreview } from './steps/preview.js';
import { smokeStep } from './steps/smoke-test.js';
import { sweepPreviews } from './steps/sweep.js';
import { updateStep } from './steps/send-update.js';

export type { RunDeps } from './runner/deps.js';

/**
 * Runs the action: inputs, then the mode, then the report (outputs, log, GitHub deployment, pull
 * request comment, summary), on failure too. Resolves to the report; never throws.
 */
export async function run(given: RunDeps = defaultDeps()): Promise<RunReport> {
  const base = startRun(given);
  let context: RunContext | undefined;
  let result: StepResult;
  try {
    // 1. Inputs, validated before any request.
    const settings = await base.log.group('Inputs', () => readInputs(base));
    // A pull request from a fork gets no secrets: nothing to plan with, and nothing wrong.
    if (settings.apiToken === '') throw new RunSkipped(skippedMessage(base.githubRun));
    // Nor a preview: a fork's changes do not get a GPU of their own (pull_request_target has secrets).
    if (settings.mode === 'preview' && base.githubRun.pullRequest?.fromFork) {
      throw new RunSkipped(forkPreviewMessage(base.githubRun.pullRequest.number));
    }
    context = createRunContext(base, settings);
    result = await MODES[settings.mode ?? 'deploy'](context);
  } catch (error) {
    result = failedRun(error, base);
  } finally {
    await context?.close();
  }
  return publishRun(base, result, context?.api.requestCount ?? 0);
}

/** Each mode's function. */
const MODES: Record<Mode, (ctx: RunContext) => Promise<StepResult>> = {
  deploy,
  preview,
  sweep: (ctx) => ctx.log.group('Sweep', () => sweepPreviews(ctx)),
};

/**
 * The preview mode: on opened, synchronize or reopened, the pull request's preview is created or
 * updated and waited for, then smoke-tested and benchmarked beside production if asked; on
 * closed, it is deleted and waited for until Northflank no longer shows it.
 */
async function preview(ctx: RunContext): Promise<StepResult> {
  if (ctx.settings.preview?.pullRequest?.event === 'close') return closePreview(ctx);
  let result = await openPreview(ctx);
  if (ctx.settings.smoke && serves(result)) {
    const rolled = result;
    result = await ctx.log.group('Smoke test of the preview', () => smokeStep(ctx, rolled));
  }
  if (ctx.settings.benchmark && serves(result)) {
    const rolled = result;
    result = await ctx.log.group('Benchmark: preview beside production', () =>
      comparePreviewStep(ctx, rolled),
    );
  }
  return result;
}

/**
 * The deploy mode: plan the update, benchmark the model that serves (if asked), then roll out.
 * A dry run stops at the plan; the step never ends green on a deployment that does not run.
 */
async function deploy(ctx: RunContext): Promise<StepResult> {
  const { settings, log } = ctx;
  // 2. Plan: read the deployment and work out which of the given fields would change.
  const planned = await log.group(settings.dryRun ? 'Dry run' : 'Plan', () => planStep(ctx));
  // A spec that failed its benchmark gate earlier, and that this run would leave as it is, fails.
  const held = guardFailedGate(ctx, planned);
  if (settings.dryRun) {
    if (held) log.warning(`A run would fail: ${held.message}`, { title: held.title });
    return dryRunResult(ctx, planned);
  }
  if (held) return held;
  // 3. The baseline takes minutes: read again before the update, and re-plan if it moved.
  const outOfTime =
    (await measureBaseline(ctx, planned)) ?? (await replanAfterBaseline(ctx, planned));
  return endsRunning(outOfTime ?? (await rollOut(ctx, planned)), settings.wait);
}

/** Steps 4 to 8: update, wait, smoke test, benchmark, revert. */
async function rollOut(ctx: RunContext, planned: PlannedUpdate): Promise<StepResult> {
  const { settings, log } = ctx;
  // 4. Update: only what would change; nothing at all when everything is in place.
  clearGateNoteWithUpdate(ctx, planned);
  const update = await updateStep(ctx, planned);
  await recordGitHubDeployment(ctx);
  // 5. Wait for the rollout the update started (or for the one under way).
  let result = await followRollout(ctx, update);
  // 6. Check that the model answers, if asked.
  if (settings.smoke && serves(result)) {
    const rolled = result;
    result = await log.group('Smoke test', () => smokeStep(ctx, rolled));
  }
  // 7. Benchmark the new rollout against the limits, if asked.
  if (ctx.benchmark && serves(result)) {
    const rolled = result;
    result = await log.group('Benchmark after the rollout', () => benchmarkStep(ctx, rolled));
  }
  // 8. Put the previous values back if the new rollout crashed, ran out of time, does not
  // answer or regressed.
  if (shouldRevert(ctx, result, update)) {
    const failed = result;
    // A revert changes the outcome; the reason output still says what it reverted.
    ctx.record.reason ??= failed.outcome;
    result = await log.group('Reverting the failed rollout', () =>
      revertStep(ctx, { failed, update }),
    );
  } else result = withNoRevertReason(ctx, result, update);
  // A regression left serving is noted on the deployment, so that a re-run cannot pass it.
  await keepGateVerdict(ctx, result);
  return result;
}

/** Outcomes after which the deployment serves, so a smoke test makes sense. */
const SERVING_OUTCOMES: ReadonlySet<Outcome> = new Set<Outcome>([
  'running',
  'updated',
  'unchanged',
  'no-rollout',
]);

function serves(result: StepResult): boolean {
  return SERVING_OUTCOMES.has(result.outcome);
}

/** Whether a report means the step succeeded. */
export function succeeded(report: RunReport): boolean {
  return SUCCESSFUL_OUTCOMES.has(report.outcome);
}
