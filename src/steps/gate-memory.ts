/**
 * The gate's memory across runs: a configuration that failed its benchmark gate and still serves
 * gets the gate's note on its description (see rollout/gate-note.ts); a later run that would roll
 * nothing out on that same spec fails, naming the run that judged it, until the spec changes, is
 * reverted, or `force` rolls it out again to be judged afresh. An update that changes the
 * configuration takes the note off in the same request (a revert of it puts it back).
 */
import { errorMessage } from '../errors.js';
import type { Deployment } from '../northflank/schema.js';
import {
  formatGateNote,
  parseGateNote,
  specFingerprint,
  withGateNote,
  withoutGateNote,
  type GateNote,
} from '../rollout/gate-note.js';
import type { StepResult } from '../rollout/outcome.js';
import type { PlannedUpdate } from '../rollout/plan.js';
import type { RunContext } from './context.js';

/** The note on this reading, when it is about the spec that serves now. */
function currentNote(deployment: Deployment): GateNote | undefined {
  const note = parseGateNote(deployment.description);
  return note && note.spec === specFingerprint(deployment.spec) ? note : undefined;
}

/**
 * Before anything is sent: a run that rolls nothing out (nothing of the spec or ports changes,
 * no `force`) on a spec whose gate failed is itself a failure, with nothing sent. Undefined when
 * the run may go on.
 */
export function guardFailedGate(ctx: RunContext, planned: PlannedUpdate): StepResult | undefined {
  const { before, plan } = planned;
  const note = currentNote(before);
  if (!note) return undefined;
  if (plan.startsRollout) {
    if (ctx.benchmark) ctx.benchmark.judgeAfresh = true;
    ctx.log.info(
      `This deployment's spec failed its benchmark gate in run ${note.run}; ${ctx.settings.force && plan.expectation === 'restart' ? 'force is true, so it is rolled out again and judged afresh' : 'this update changes it, so it is judged afresh'}.`,
    );
    return undefined;
  }
  const fields = Object.keys(plan.body);
  const unsent =
    fields.length > 0 ? ` The update of ${fields.join(', ')} was not sent either.` : '';
  return {
    outcome: 'regressed',
    title: 'Failed its benchmark gate earlier',
    message: `The spec that serves failed its benchmark gate in run ${note.run}, and this run changes nothing of it, so it fails too: a re-run cannot turn a failed gate green.${unsent} To get past it, change the spec (a new rollout is judged afresh), revert it to the configuration before, or set force: true to roll it out again and judge it afresh. The deployment's description says: ${note.line}`,
    deployment: before,
  };
}

/**
 * When the update changes the configuration and the deployment carries the gate's note, the
 * update also sends the description without the note (unless it already sends one of its own).
 */
export function clearGateNoteWithUpdate(ctx: RunContext, planned: PlannedUpdate): void {
  const { before, plan } = planned;
  if (!plan.startsRollout || !parseGateNote(before.description)) return;
  if (plan.body.description === undefined) {
    plan.body.description = withoutGateNote(before.description) ?? '';
  }
  ctx.log.info(
    "The benchmark gate's note is taken off the description with this update: it was about a spec this run replaces or rolls out again.",
  );
}

/**
 * After a run ends `regressed` with the configuration it judged still serving (no revert): the
 * note goes on the description, so the next run can tell. A note that cannot be written is a
 * loud warning: a re-run would not know.
 */
export async function keepGateVerdict(ctx: RunContext, result: StepResult): Promise<void> {
  if (result.outcome !== 'regressed' || ctx.record.benchmark === undefined) return;
  const serving = ctx.tracker.last ?? result.deployment;
  if (!serving) return;
  const run =
    ctx.githubRun.runUrl ??
    `${ctx.env.GITHUB_RUN_ID ?? 'local'} at ${new Date(ctx.clock.now()).toISOString()}`;
  const note = formatGateNote({
    spec: specFingerprint(serving.spec),
    configurationId: serving.deploymentConfiguration?.id,
    run: run.replace(/\s+/g, '-'),
    exceeded: ctx.record.benchmark.failed.map((f) => `${f.metric} ${f.limit}`),
  });
  const description = withGateNote(serving.description, note);
  const lost =
    'a re-run of this configuration will not know that it failed: it will end unchanged. Revert it, or change it, rather than re-running.';
  if (description === undefined) {
    ctx.log.warning(
      `The gate's verdict could not be kept on the deployment: its description with the gate's note would pass Northflank's 1024 characters; ${lost}`,
      { title: 'Gate verdict not kept' },
    );
    return;
  }
  try {
    await ctx.api.updateDeployment({ description });
    ctx.log.info(
      `The gate's verdict is kept on the deployment's description, so that a re-run of this spec fails too: ${note}`,
    );
  } catch (error) {
    ctx.log.warning(
      `The gate's verdict could not be kept on the deployment (${errorMessage(error)}); ${lost}`,
      { title: 'Gate verdict not kept' },
    );
  }
}
