/** The update step: read and plan, then send only what would change (or show it, in a dry run). */
import { NorthflankClient } from '../northflank/client.js';
import type { RunDeps } from '../runner/deps.js';
import { formatDuration } from '../duration.js';
import { UpdateUnconfirmedError } from '../errors.js';
import type { Settings } from '../config/settings.js';
import type { Logger } from '../log.js';
import { describeChange, planUpdate, type UpdatePlan } from '../rollout/plan.js';
import { unreadableFields } from '../rollout/compare.js';
import { planVerdict, verdictPredicate } from '../rollout/plan-verdict.js';
import type { Deployment, UpdateBody } from '../northflank/schema.js';
import { watchForUpdate } from '../rollout/confirm-update.js';
import { newerReading } from '../rollout/freshness.js';
import { RolloutTracker } from '../rollout/tracker.js';
import { withSuggestions } from '../northflank/spec-suggest.js';
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
  const first = await api.getDeployment();
  tracker.observe(first, deps.clock.now(), true);
  log.info(
    `Deployment "${first.name}" (${first.id}) is ${first.status}${configurationLabel(first)}.`,
  );
  let before = first;
  let plan = planUpdate(settings.update, first, settings.force);
  if (Object.keys(settings.update).length > 0 && Object.keys(plan.body).length === 0) {
    // Nothing to send is decided on two reads, never one: a replica behind the others may show
    // values that a later update has since replaced. The newer reading decides.
    const second = await api.getDeployment();
    tracker.observe(second, deps.clock.now(), true);
    before = newerReading(first, second);
    if (before === second) plan = planUpdate(settings.update, second, settings.force);
    log.info(
      before === first || second.deploymentConfiguration?.id === first.deploymentConfiguration?.id
        ? 'A second read confirms it.'
        : `A second read shows a newer configuration (${second.deploymentConfiguration?.id ?? 'unknown'}, ${second.status}) than the first (${first.deploymentConfiguration?.id ?? 'unknown'}): a replica behind answered first. Planning from the newer one.`,
    );
  }
  reportUnvalidated(settings, plan, log);
  const verb = settings.dryRun ? 'Would change' : 'Changes';
  for (const change of plan.changes) log.info(`${verb} ${describeChange(change)}`);
  // What the plan found, field by field: what changes, then (below) what is already in place.
  const changing = [...new Set(plan.changes.map((c) => c.path.split('.')[0] ?? c.path))];
  if (changing.length > 0) {
    log.info(
      `${settings.dryRun ? 'Would change' : 'Will change'}: ${changing.join(', ')} (${plan.changes.length} setting${plan.changes.length === 1 ? '' : 's'}).`,
    );
  }
  if (plan.inPlace.length > 0) {
    log.info(
      `Already in place: ${plan.inPlace.join(', ')}${settings.force ? ' (sent anyway: force is true)' : ''}.`,
    );
  }
  reportPorts(settings, plan, log);
  return { before, plan };
}

/**
 * What the plan can and cannot confirm of the given ports: GET never shows a port's `domains`.
 * Ports that give `domains` (`[]` too) are sent on every run, since no read can say whether they
 * changed; ports that give none are compared on what GET shows, and say nothing of domains.
 */
function reportPorts(settings: Settings, plan: UpdatePlan, log: Logger): void {
  const ports = settings.update.ports;
  if (ports === undefined) return;
  const send = settings.dryRun ? 'Would send' : 'Sending';
  if (unreadableFields(settings.update).length > 0) {
    if (plan.body.ports === undefined) return;
    log.info(
      plan.unreadable.includes('ports')
        ? `${send} ports although what a GET shows of them is in place: they give \`domains\`, which a GET never reports, so whether those differ is unknown and cannot be confirmed after the update either. Ports that give \`domains\` are sent on every run; any rollout that follows is followed.`
        : `${send} ports that give \`domains\`: a GET never reports a port's domains, so they cannot be confirmed after the update.`,
    );
    return;
  }
  log.info(
    plan.body.ports === undefined
      ? "Ports: what a GET shows of them is in place, so they are not sent, and Northflank keeps any domains set on them (a GET never shows domains). To set or remove a port's domains, give `domains` on it (`domains: []` removes them); such ports are then sent on every run."
      : 'The ports are sent without `domains` (no port gives that key): an update replaces the ports whole, and whether Northflank then keeps domains set on them is not documented. Give `domains` on a port to say which it has (`domains: []` for none).',
  );
}

/**
 * The `allow-unknown-spec-fields` warning, by what the body carries: the unknown fields go out
 * only with the spec, and only then is there anything Northflank may refuse or ignore.
 */
function reportUnvalidated(settings: Settings, plan: UpdatePlan, log: Logger): void {
  const unknown = settings.unvalidatedSpecFields;
  if (unknown.length === 0) return;
  const named = withSuggestions(unknown);
  if (plan.body.spec === undefined) {
    log.info(
      `Spec fields the action does not know were compared with the deployment but not validated (allow-unknown-spec-fields is true); the spec is not sent, so neither are they: ${named}.`,
    );
    return;
  }
  log.warning(
    `${settings.dryRun ? 'Would send' : 'Sending'} spec fields the action does not know, as given and not validated (allow-unknown-spec-fields is true): ${named}. If Northflank refuses one, its message says why; check the spelling against docs/spec-reference.md.`,
    { title: 'Spec fields not validated' },
  );
}

/** What the update log line says the update asks of Northflank. */
const EXPECTS: Record<UpdatePlan['expectation'], string> = {
  rollout: 'this starts a new rollout',
  restart: 'force is true: this asks Northflank to restart the deployment with the values in place',
  either:
    'it changes nothing of the configuration that a GET shows, and Northflank does not document whether it starts a rollout for that: a rollout that shows this update is followed like any other',
};

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
      `Sending update of ${fields.join(', ')} to ${api.path}; ${EXPECTS[plan.expectation]}.`,
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

/** The dry run's result: the plan's verdict (as the summary and comment say it), nothing sent. */
export function dryRun(plan: UpdatePlan, current: Deployment, log: Logger): Result {
  const fields = Object.keys(plan.body);
  if (fields.length > 0) {
    log.info(`Dry run: would send POST ${current.id} with body ${JSON.stringify(plan.body)}`);
  }
  const paths = plan.changes.map((c) => c.path);
  const settings = paths.length > 0 ? ` Settings it changes: ${paths.join(', ')}.` : '';
  const message = `Dry run: no update was sent. The plan ${verdictPredicate(planVerdict(plan))}.${settings}`;
  return { outcome: 'dry-run', message, deployment: current };
}
