/** The update step: send only what would change, once, and confirm an update whose answer was lost. */
import { formatDuration } from '../duration.js';
import { UpdateUnconfirmedError } from '../errors.js';
import type { Deployment, UpdateBody } from '../northflank/schema.js';
import { watchForUpdate } from '../rollout/confirm-update.js';
import type { PlannedUpdate, UpdatePlan } from '../rollout/plan.js';
import type { RunContext } from './context.js';

/** An update as sent: the plan and the reading it was made on, the body sent, and when. */
export interface SentUpdate extends PlannedUpdate {
  /** The body Northflank accepted; undefined when nothing was sent. */
  sent: UpdateBody | undefined;
  /** Clock time just before the update was sent (the wait measures from it). */
  updateSentMs: number;
}

/** What the update log line says the update asks of Northflank. */
const EXPECTS: Record<UpdatePlan['expectation'], string> = {
  rollout: 'this starts a new rollout',
  restart: 'force is true: this asks Northflank to restart the deployment with the values in place',
  either:
    'it changes nothing of the configuration that a GET shows, and Northflank does not document whether it starts a rollout for that: a rollout that shows this update is followed like any other',
};

/**
 * Sends the planned update (nothing when everything is in place); the run records what was sent.
 * Resolves to the update: the plan, the body sent (undefined when nothing was) and when.
 */
export async function updateStep(ctx: RunContext, planned: PlannedUpdate): Promise<SentUpdate> {
  const { plan, before } = planned;
  const updateSentMs = ctx.clock.now();
  const sent = await send(ctx, planned);
  if (sent) ctx.record.sent = sent;
  return { before, plan, sent, updateSentMs };
}

async function send(
  ctx: RunContext,
  { plan, before }: PlannedUpdate,
): Promise<UpdateBody | undefined> {
  const { settings, log, api } = ctx;
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
      `Sending update of ${fields.join(', ')} to ${api.path}; ${EXPECTS[plan.expectation]}.`,
    );
    await sendUpdate(ctx, plan.body, before);
    return plan.body;
  });
}

/**
 * POSTs an update once. When its answer is lost after it may have reached Northflank, it is not
 * sent again: the deployment is watched until the update shows (or the grace period ends).
 */
export async function sendUpdate(
  ctx: RunContext,
  body: UpdateBody,
  before: Deployment,
): Promise<void> {
  const { api, settings, log, clock, tracker } = ctx;
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
      random: ctx.random,
      signal: ctx.signal,
      graceMs: settings.rolloutStartGraceMs,
      maxDelayMs: settings.pollIntervalMs,
      log,
    });
  }
}
