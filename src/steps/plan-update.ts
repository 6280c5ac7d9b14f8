/** The plan step: read the deployment and plan the update (or, in a dry run, show it). */
import type { Settings } from '../config/settings.js';
import type { Logger } from '../log.js';
import type { Deployment } from '../northflank/schema.js';
import { withSuggestions } from '../northflank/spec-suggest.js';
import { unreadableFields } from '../rollout/compare.js';
import { newerReading } from '../rollout/freshness.js';
import type { StepResult } from '../rollout/outcome.js';
import { planVerdict, verdictPredicate } from '../rollout/plan-verdict.js';
import {
  describeChange,
  planUpdate,
  type PlannedUpdate,
  type UpdatePlan,
} from '../rollout/plan.js';
import type { RunContext } from './context.js';

function configurationLabel(deployment: Deployment): string {
  const id = deployment.deploymentConfiguration?.id;
  return id ? ` with configuration ${id}` : '';
}

/** Reads the deployment and plans the update against it; the run records the plan. */
export async function planStep(ctx: RunContext): Promise<PlannedUpdate> {
  const { api, settings, log, tracker } = ctx;
  const first = await api.getDeployment();
  tracker.observe(first, ctx.clock.now(), true);
  log.info(
    `Deployment "${first.name}" (${first.id}) is ${first.status}${configurationLabel(first)}.`,
  );
  let before = first;
  let plan = planUpdate(settings.update, first, settings.force);
  if (Object.keys(settings.update).length > 0 && Object.keys(plan.body).length === 0) {
    // Nothing to send is decided on two reads, never one: a replica behind the others may show
    // values that a later update has since replaced. The newer reading decides.
    const second = await api.getDeployment();
    tracker.observe(second, ctx.clock.now(), true);
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
  const planned = { before, plan };
  ctx.record.planned = planned;
  return planned;
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

/** The dry run's result: the plan's verdict (as the summary and comment say it), nothing sent. */
export function dryRunResult(ctx: RunContext, planned: PlannedUpdate): StepResult {
  const { plan, before: current } = planned;
  const fields = Object.keys(plan.body);
  if (fields.length > 0) {
    ctx.log.info(`Dry run: would send POST ${current.id} with body ${JSON.stringify(plan.body)}`);
  }
  const paths = plan.changes.map((c) => c.path);
  const settings = paths.length > 0 ? ` Settings it changes: ${paths.join(', ')}.` : '';
  const message = `Dry run: no update was sent. The plan ${verdictPredicate(planVerdict(plan))}.${settings}`;
  return { outcome: 'dry-run', message, deployment: current };
}
