/** The update step: read and plan, then send only what would change (or show it, in a dry run). */
import { NorthflankClient } from '../northflank/client.js';
import type { RunDeps } from '../action/defaults.js';
import { formatDuration } from '../duration.js';
import { UpdateUnconfirmedError } from '../errors.js';
import type { Settings } from '../action/inputs/settings.js';
import type { Logger } from '../log.js';
import { describeChange, planUpdate, type UpdatePlan } from '../rollout/plan.js';
import type { Deployment, UpdateBody } from '../northflank/schema.js';
import { watchForUpdate } from '../rollout/confirm-update.js';
import { RolloutTracker } from '../rollout/tracker.js';
import type { StepResult as Result } from './result.js';

function configurationLabel(deployment: Deployment): string {
  const id = deployment.deploymentConfiguration?.id;
  return id ? ` with configuration ${id}` : '';
}

/** Reads the deployment and plans the update against it. */
export async function planStep(
  api: NorthflankClient,
  settings: Settings,
  deps: RunDeps,
  tracker: RolloutTracker,
): Promise<{ before: Deployment; plan: UpdatePlan }> {
  const { log } = deps;
  const before = await api.getDeployment();
  tracker.observe(before, deps.clock.now(), true);
  log.info(
    `Deployment "${before.name}" (${before.id}) is ${before.status}${configurationLabel(before)}.`,
  );
  const plan = planUpdate(settings.update, before, settings.force);
  const verb = settings.dryRun ? 'Would change' : 'Changes';
  for (const change of plan.changes) log.info(`${verb} ${describeChange(change)}`);
  if (plan.inPlace.length > 0) {
    log.info(
      `Already in place: ${plan.inPlace.join(', ')}${settings.force ? ' (sent anyway: force is true)' : ''}.`,
    );
  }
  return { before, plan };
}

/** Sends the planned update; resolves to the body sent, or undefined when nothing was sent. */
export async function updateStep(
  api: NorthflankClient,
  settings: Settings,
  plan: UpdatePlan,
  before: Deployment,
  deps: RunDeps,
  tracker: RolloutTracker,
): Promise<UpdateBody | undefined> {
  const { log } = deps;
  const fields = Object.keys(plan.body);
  if (Object.keys(settings.update).length === 0) {
    log.notice(
      `No fields to change were given (name, description, tags, ports, spec or spec-file); not sending an update${settings.wait ? ', only waiting for the deployment to run' : ''}.`,
    );
    return undefined;
  }
  if (fields.length === 0) {
    log.notice(
      `Nothing to change: ${plan.inPlace.join(', ')} ${plan.inPlace.length === 1 ? 'is' : 'are'} already in place, so no update is sent and nothing restarts. Set force: true to send it anyway.`,
    );
    return undefined;
  }
  return log.group('Update', async () => {
    log.info(
      `Sending update of ${fields.join(', ')} to ${api.path}${plan.startsRollout ? '; this starts a new rollout' : '; no rollout expected (metadata only)'}.`,
    );
    await sendUpdate(api, plan.body, before, settings, deps, tracker);
    return plan.body;
  });
}

/**
 * POSTs an update once. When its answer is lost after it may have reached Northflank, it is not
 * sent again: the deployment is watched until the update shows (or the grace period ends).
 */
export async function sendUpdate(
  api: NorthflankClient,
  body: UpdateBody,
  before: Deployment,
  settings: Settings,
  deps: RunDeps,
  tracker: RolloutTracker,
): Promise<void> {
  const { log, clock } = deps;
  const sentMs = clock.now();
  try {
    await api.updateDeployment(body);
    log.info('Update accepted.');
  } catch (error) {
    if (!(error instanceof UpdateUnconfirmedError)) throw error;
    const grace = formatDuration(settings.rolloutStartGraceMs);
    log.warning(
      `No answer to the update (${error.reason}); it may have reached Northflank, so the action is not sending it again. Watching the deployment for up to ${grace} (rollout-start-grace) for the update to show.`,
      { title: 'Update answer lost' },
    );
    tracker.last = await watchForUpdate({
      update: body,
      before,
      reason: error.reason,
      sentMs,
      getDeployment: () => api.getDeployment({ attempts: 1 }),
      clock,
      random: deps.random,
      signal: deps.signal,
      graceMs: settings.rolloutStartGraceMs,
      maxDelayMs: settings.pollIntervalMs,
      log,
    });
  }
}

export function dryRun(plan: UpdatePlan, current: Deployment, log: Logger): Result {
  const fields = Object.keys(plan.body);
  if (fields.length > 0) {
    log.info(`Dry run: would send POST ${current.id} with body ${JSON.stringify(plan.body)}`);
  }
  const paths = plan.changes.map((c) => c.path);
  const message =
    fields.length === 0
      ? 'Dry run: the update would change nothing; no update was sent.'
      : `Dry run: the update would change ${paths.length || fields.length} field(s): ${(paths.length ? paths : fields).join(', ')}${plan.startsRollout ? ', which starts a new rollout' : ', which needs no rollout'}; no update was sent.`;
  return { outcome: 'dry-run', message, deployment: current };
}
