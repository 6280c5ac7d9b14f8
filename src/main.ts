import { NorthflankClient, createDispatcher } from './northflank/client.js';
import type { Clock } from './clock.js';
import { defaultDeps, type RunDeps } from './action/defaults.js';

export type { RunDeps } from './action/defaults.js';
import { formatDuration } from './duration.js';
import {
  CancelledError,
  DeadlineError,
  UpdateUnconfirmedError,
  errorMessage,
  errorTitle,
} from './errors.js';
import {
  startGitHubDeployment,
  type GitHubDeployment,
  type GitHubDeploymentState,
} from './action/github-deployment.js';
import type { Settings, SmokeSettings } from './action/inputs.js';
import { readSettings as parseInputs } from './action/inputs.js';
import type { Logger } from './action/log.js';
import {
  describeChange,
  planRevert,
  planUpdate,
  startsRollout,
  type FieldChange,
  type UpdatePlan,
} from './rollout/plan.js';
import { setOutputs, summaryMarkdown, type RunReport } from './action/report.js';
import { DEFAULT_BACKOFF } from './northflank/retry.js';
import { FAILED_STATUSES, GONE_STATUS, SERVING_STATUS, publicUrl } from './rollout/status.js';
import type { Deployment, UpdateBody } from './northflank/schema.js';
import { Redactor } from './action/redact.js';
import { smokeTest } from './smoke.js';
import { RequestBudget } from './northflank/budget.js';
import { watchForUpdate } from './rollout/watch.js';
import { ACTION_NAME, ACTION_VERSION } from './action/version.js';
import {
  DEFAULT_POLL_POLICY,
  RolloutTracker,
  SUCCESSFUL_OUTCOMES,
  waitForRollout,
  type Outcome,
  type WaitOptions,
  type WaitResult,
} from './rollout/wait.js';

type Result = WaitResult & {
  title?: string;
  models?: string[];
  reply?: string;
  notReverted?: FieldChange[];
};

/** What the run has learnt so far; the report is made from it, whichever step failed. */
interface RunState {
  settings?: Settings;
  client?: NorthflankClient;
  github?: GitHubDeployment;
  /** The deployment as read before the update. */
  before?: Deployment;
  plan?: UpdatePlan;
  /** The body of the update Northflank accepted; undefined when nothing was sent. */
  sent?: UpdateBody;
}

/**
 * Rolls out the deployment: inputs, plan, update, wait, revert, smoke test, report. Resolves to
 * the report; never throws.
 */
export async function run(given: RunDeps = defaultDeps()): Promise<RunReport> {
  const deps = redacting(given);
  const { clock, log } = deps;
  const startedMs = clock.now();
  const tracker = new RolloutTracker();
  const state: RunState = {};
  let result: Result;
  try {
    // 1. Inputs, validated before any request.
    const settings = (state.settings = await log.group('Inputs', () => readSettings(deps)));
    const api = (state.client = createClient(settings, deps, startedMs));

    // 2. Plan: read the deployment and work out which of the given fields would change.
    const { before, plan } = await log.group(settings.dryRun ? 'Dry run' : 'Plan', () =>
      planStep(api, settings, deps, tracker),
    );
    state.before = before;
    state.plan = plan;
    if (settings.dryRun) {
      result = dryRun(plan, before, log);
    } else {
      // 3. Update: only what would change; nothing at all when everything is in place.
      const updateSentMs = clock.now();
      const sent = (state.sent = await updateStep(api, settings, plan, before, deps, tracker));
      if (settings.github && settings.wait) {
        state.github = await startGitHubDeployment({
          ...settings.github,
          description: `Northflank ${settings.deploymentId}`,
          log,
        });
      }

      // 4. Wait for the rollout the update started (or for the one under way).
      const context: UpdateContext = { before, plan, sent, updateSentMs, startedMs };
      result = settings.wait
        ? await log.group('Waiting for the rollout', () =>
            waitStep(api, settings, deps, tracker, context),
          )
        : await notWaited(api, tracker, clock, context);

      // 5. Put the previous values back if the new rollout crashed or ran out of time.
      const revert = settings.revert;
      if (revert && sent && shouldRevert(result, tracker)) {
        const failed = result;
        result = await log.group('Reverting the failed rollout', () =>
          revertStep(api, settings, revert, deps, tracker, { failed, sent, before }),
        );
      }

      // 6. Check that the model answers, if asked.
      const smokeSettings = settings.smoke;
      if (smokeSettings && SERVING_OUTCOMES.has(result.outcome)) {
        const rolled = result;
        result = await log.group('Smoke test', () =>
          smoke(settings, smokeSettings, rolled, deps, startedMs),
        );
      }
    }
  } catch (error) {
    result = failure(error, tracker, state);
  } finally {
    await state.client?.close();
  }

  // 7. Report: outputs, summary and the GitHub deployment's state, on failure too.
  const report = makeReport(result, state, tracker, clock.now() - startedMs);
  await publish(report, deps);
  await state.github?.finish(
    githubState(report),
    report.deployment ? publicUrl(report.deployment) : '',
    deps.redactor.redact(report.message),
  );
  return report;
}

function makeReport(
  result: Result,
  state: RunState,
  tracker: RolloutTracker,
  elapsedMs: number,
): RunReport {
  const { settings, plan, before } = state;
  return {
    outcome: result.outcome,
    message: withChanges(result, plan),
    title: result.title ?? titleFor(result),
    deployment: result.deployment ?? tracker.last,
    timeline: tracker.timeline,
    timelineOriginMs: tracker.originMs,
    elapsedMs,
    target: settings
      ? {
          projectId: settings.projectId,
          deploymentId: settings.deploymentId,
          teamId: settings.teamId,
        }
      : {},
    updatedFields: Object.keys(state.sent ?? {}),
    requestCount: state.client?.requestCount ?? 0,
    ...(plan ? { changes: plan.changes } : {}),
    ...(before?.deploymentConfiguration?.id
      ? { previousConfigurationId: before.deploymentConfiguration.id }
      : {}),
    ...(result.notReverted ? { notReverted: result.notReverted } : {}),
    ...(result.models ? { models: result.models } : {}),
    ...(result.reply === undefined ? {} : { reply: result.reply }),
  };
}

/** Outcomes after which the deployment serves, so a smoke test makes sense. */
const SERVING_OUTCOMES: ReadonlySet<Outcome> = new Set<Outcome>([
  'running',
  'updated',
  'unchanged',
  'no-rollout',
]);

/** Outcomes where the rollout itself failed: naming what the update changed helps. */
const ROLLOUT_FAILURES: ReadonlySet<Outcome> = new Set<Outcome>([
  'crashed',
  'rolled-back',
  'paused',
  'timeout',
  'reverted',
  'revert-failed',
  'smoke-failed',
]);

const MAX_CHANGES_IN_MESSAGE = 5;

/** A failed rollout's message names the changes it carried. */
function withChanges(result: Result, plan: UpdatePlan | undefined): string {
  if (!plan || plan.changes.length === 0 || !ROLLOUT_FAILURES.has(result.outcome)) {
    return result.message;
  }
  const shown = plan.changes.slice(0, MAX_CHANGES_IN_MESSAGE).map(describeChange).join('; ');
  const more = plan.changes.length - MAX_CHANGES_IN_MESSAGE;
  return `${result.message} The update carried: ${shown}${more > 0 ? `; and ${more} more` : ''}.`;
}

/** `deps` with every secret the inputs mask also redacted from the log, outputs and summary. */
function redacting(given: RunDeps): RunDeps & { redactor: Redactor } {
  const redactor = new Redactor();
  const inputs = given.inputs;
  return {
    ...given,
    inputs: {
      getInput: (name) => inputs.getInput(name),
      setSecret: (value) => {
        redactor.add(value);
        inputs.setSecret(value);
      },
      readFile: (file) => inputs.readFile(file),
      workspace: inputs.workspace,
    },
    log: redactor.logger(given.log),
    outputs: redactor.outputs(given.outputs),
    summary: redactor.summary(given.summary),
    redactor,
  };
}

async function readSettings(deps: RunDeps): Promise<Settings> {
  const settings = await parseInputs(deps.inputs);
  const fields = Object.keys(settings.update);
  deps.log.info(
    `Deployment ${settings.projectId}/${settings.deploymentId}${settings.teamId ? ` in team ${settings.teamId}` : ''} at ${settings.apiUrl.origin}${settings.apiUrl.pathname === '/' ? '' : settings.apiUrl.pathname}; fields to change: ${fields.join(', ') || 'none'}; timeout ${formatDuration(settings.timeoutMs)}${settings.dryRun ? '; dry run' : ''}.`,
  );
  for (const warning of settings.warnings) deps.log.warning(warning, { title: 'Input ignored' });
  return settings;
}

function createClient(settings: Settings, deps: RunDeps, startedMs: number): NorthflankClient {
  return new NorthflankClient({
    apiUrl: settings.apiUrl,
    token: settings.apiToken,
    target: {
      projectId: settings.projectId,
      deploymentId: settings.deploymentId,
      teamId: settings.teamId,
    },
    userAgent: `${ACTION_NAME}/${ACTION_VERSION} (node ${process.version})`,
    dispatcher: createDispatcher(settings.requestTimeoutMs),
    budget: new RequestBudget(),
    clock: deps.clock,
    random: deps.random,
    signal: deps.signal,
    deadlineMs: startedMs + settings.timeoutMs,
    requestTimeoutMs: settings.requestTimeoutMs,
    backoff: DEFAULT_BACKOFF,
    log: deps.log,
  });
}
function configurationLabel(deployment: Deployment): string {
  const id = deployment.deploymentConfiguration?.id;
  return id ? ` with configuration ${id}` : '';
}

/** Reads the deployment and plans the update against it. */
async function planStep(
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
async function updateStep(
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
async function sendUpdate(
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

function dryRun(plan: UpdatePlan, current: Deployment, log: Logger): Result {
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

/** What the wait needs to know about the update. */
interface UpdateContext {
  before: Deployment;
  plan: UpdatePlan;
  /** The body sent; undefined when nothing was. */
  sent: UpdateBody | undefined;
  updateSentMs: number;
  startedMs: number;
}

/** Statuses that no rollout is under way in; any other (an unknown one too) may still change. */
const SETTLED_STATUSES: ReadonlySet<string> = new Set([
  SERVING_STATUS,
  GONE_STATUS,
  ...FAILED_STATUSES,
]);

/** Whether the given fields were all in place, so nothing was sent. */
function isUnchanged(settings: Settings, u: UpdateContext): boolean {
  return u.sent === undefined && Object.keys(settings.update).length > 0;
}

/** Waits for the rollout the update started; with nothing sent, for the one under way. */
async function waitStep(
  api: NorthflankClient,
  settings: Settings,
  deps: RunDeps,
  tracker: RolloutTracker,
  u: UpdateContext,
): Promise<WaitResult> {
  const unchanged = isUnchanged(settings, u);
  if (unchanged && SETTLED_STATUSES.has(u.before.status)) {
    return unchangedSettled(u.before);
  }
  const waited = await waitForRollout({
    ...waitOptions(api, settings, deps, tracker),
    before: u.sent === undefined ? undefined : u.before,
    updateSentMs: u.updateSentMs,
    startedMs: u.startedMs,
    deadlineMs: u.startedMs + settings.timeoutMs,
    ...(u.sent && !u.plan.startsRollout ? { metadataOnly: u.sent } : {}),
    ...(u.sent && changesConfiguration(u.plan) ? { rolloutExpected: true } : {}),
  });
  if (unchanged && (waited.outcome === 'crashed' || waited.outcome === 'paused')) {
    return {
      ...waited,
      message: `This configuration is already in place (nothing was sent), and the rollout that was under way ended ${waited.outcome}. ${
        waited.outcome === 'paused'
          ? 'Resume the deployment in Northflank.'
          : 'The crash is in this configuration: fix the spec, or set force: true to send it again and restart the deployment.'
      }`,
    };
  }
  if (unchanged && waited.outcome === 'running') {
    return {
      ...waited,
      outcome: 'unchanged',
      message:
        'The configuration is already in place; nothing was sent. The rollout that was under way is now running.',
    };
  }
  return waited;
}

/** Whether the plan changes `spec` or `ports` values (not only re-sends them with force). */
function changesConfiguration(plan: UpdatePlan): boolean {
  return plan.changes.some((c) => c.path === 'ports' || c.path.startsWith('spec.'));
}

/** The options every wait shares. */
function waitOptions(
  api: NorthflankClient,
  settings: Settings,
  deps: RunDeps,
  tracker: RolloutTracker,
): Omit<WaitOptions, 'before' | 'updateSentMs' | 'deadlineMs'> {
  return {
    // One attempt per read: the wait outlasts outages itself, up to the deadline.
    getDeployment: () => api.getDeployment({ attempts: 1 }),
    tracker,
    clock: deps.clock,
    random: deps.random,
    signal: deps.signal,
    poll: { ...DEFAULT_POLL_POLICY, maxMs: settings.pollIntervalMs },
    rolloutStartGraceMs: settings.rolloutStartGraceMs,
    phaseLimits: settings.phaseLimits,
    log: deps.log,
  };
}

/**
 * Nothing was sent and no rollout is under way: done at once. Running is success; crashed or
 * paused fails, since sending the same values again would not help.
 */
function unchangedSettled(current: Deployment): WaitResult {
  const { status } = current;
  if (status === SERVING_STATUS) {
    return {
      outcome: 'unchanged',
      message: 'The configuration is already in place and running; nothing was sent.',
      deployment: current,
    };
  }
  if (status === GONE_STATUS) {
    return {
      outcome: 'deleting',
      message: 'The deployment is being deleted; nothing will serve.',
      deployment: current,
    };
  }
  return {
    outcome: status === 'paused' ? 'paused' : 'crashed',
    message: `This configuration is already in place, and the deployment is ${status}; nothing was sent. ${
      status === 'paused'
        ? 'Resume the deployment in Northflank.'
        : 'The crash is in this configuration: fix the spec, or set force: true to send it again and restart the deployment.'
    }`,
    deployment: current,
  };
}

/** Whether to put the previous values back: a rollout of ours crashed or ran out of time. */
function shouldRevert(result: WaitResult, tracker: RolloutTracker): boolean {
  return (
    (result.outcome === 'crashed' || result.outcome === 'timeout') &&
    // A deployment that was crashed before the update and stayed so is not the update's doing.
    tracker.currentRolloutSpans().length > 0
  );
}

/** Sends the pre-update values of what the update changed, and waits for that rollout. */
async function revertStep(
  api: NorthflankClient,
  settings: Settings,
  revert: { timeoutMs: number },
  deps: RunDeps,
  tracker: RolloutTracker,
  r: { failed: Result; sent: UpdateBody; before: Deployment },
): Promise<Result> {
  const { clock, log } = deps;
  const failedAt = r.failed.deployment ?? tracker.last ?? r.before;
  const plan = planRevert(r.sent, r.before);
  const leftOver =
    plan.notReverted.length > 0
      ? ` Not reverted: ${plan.notReverted.map((c) => c.path).join(', ')} (added by the update; Northflank merges a spec, so an update cannot remove them: remove them in Northflank, or set them in your spec).`
      : '';
  const revertFailed = (deployment: Deployment | undefined, why: string): Result => ({
    outcome: 'revert-failed',
    title: 'Revert failed',
    deployment,
    notReverted: plan.notReverted,
    message: `${r.failed.message} ${why} Restore the previous configuration in Northflank.${leftOver}`,
  });
  const fields = Object.keys(plan.body);
  if (plan.invalid !== undefined) {
    return revertFailed(
      failedAt,
      `The previous values break a rule of the API (${plan.invalid}), so they were not sent back.`,
    );
  }
  if (fields.length === 0) {
    return revertFailed(
      failedAt,
      'The update only added spec settings, and an update cannot remove them, so there was nothing to send back.',
    );
  }

  const revertSentMs = clock.now();
  const deadlineMs = revertSentMs + revert.timeoutMs;
  // The revert has its own time: the step's timeout may be what just ran out.
  api.extendDeadline(deadlineMs);
  tracker.startRevert();
  log.info(
    `Sending the previous values of ${fields.join(', ')}; waiting up to ${formatDuration(revert.timeoutMs)} for the deployment to run them again.`,
  );
  let waited: WaitResult;
  try {
    await sendUpdate(api, plan.body, failedAt, settings, deps, tracker);
    waited = await waitForRollout({
      ...waitOptions(api, settings, deps, tracker),
      before: failedAt,
      updateSentMs: revertSentMs,
      deadlineMs,
      // The deadlines per phase are for the new rollout; getting the previous one back may take
      // as long as revert-timeout allows.
      phaseLimits: undefined,
      rolloutExpected: startsRollout(plan.body),
      ...(startsRollout(plan.body) ? {} : { metadataOnly: plan.body }),
    });
  } catch (error) {
    if (error instanceof CancelledError) throw error;
    return revertFailed(tracker.last, `The revert failed too: ${errorMessage(error)}.`);
  }
  if (waited.outcome !== 'running' && waited.outcome !== 'updated') {
    return revertFailed(waited.deployment, `The revert did not bring it back: ${waited.message}`);
  }
  const id = waited.deployment?.deploymentConfiguration?.id;
  return {
    ...waited,
    notReverted: plan.notReverted,
    outcome: 'reverted',
    title: 'Rollout failed; reverted',
    message: `${r.failed.message} Reverted: the previous values of ${fields.join(', ')} were sent back, and the deployment runs them again${id ? ` (configuration ${id})` : ''}${plan.notReverted.length > 0 ? ', except for the settings the update added (below)' : ''}. The step fails because the deploy did.${leftOver}`,
  };
}

async function notWaited(
  api: NorthflankClient,
  tracker: RolloutTracker,
  clock: Clock,
  u: UpdateContext,
): Promise<WaitResult> {
  if (u.sent === undefined && u.plan.inPlace.length > 0) {
    return {
      outcome: 'unchanged',
      message: 'The configuration is already in place; nothing was sent.',
      deployment: u.before,
    };
  }
  const deployment = await api.getDeployment();
  tracker.observe(deployment, clock.now(), false);
  return {
    outcome: 'not-waited',
    message: `${u.sent ? 'Update sent' : 'No update sent (no fields to change)'}; not waiting for the rollout (wait: false).`,
    deployment,
  };
}

async function smoke(
  settings: Settings,
  smokeSettings: SmokeSettings,
  rolled: Result,
  deps: RunDeps,
  startedMs: number,
): Promise<Result> {
  const deployment = rolled.deployment;
  // `timeout` bounds the whole step: the smoke test gets what is left of it, at most smoke-timeout.
  const stepLeftMs = startedMs + settings.timeoutMs - deps.clock.now();
  if (stepLeftMs <= 0) {
    return {
      ...rolled,
      outcome: 'timeout',
      title: 'Timed out',
      message: `Timed out after ${formatDuration(deps.clock.now() - startedMs)}: the rollout finished, but no time was left for the smoke test. Raise the "timeout" input.`,
    };
  }
  const cut = stepLeftMs < smokeSettings.timeoutMs;
  const deploymentUrl = deployment ? publicUrl(deployment) : '';
  const url = smokeSettings.url ?? (deploymentUrl ? new URL(deploymentUrl) : undefined);
  if (!url) {
    return {
      ...rolled,
      outcome: 'smoke-failed',
      title: 'Smoke test failed',
      message:
        'The smoke test needs a URL: the deployment has no public HTTP port. Make one public, or set smoke-url.',
    };
  }
  const expectedModel = deployment?.spec?.configuration?.name;
  const dispatcher = createDispatcher(settings.requestTimeoutMs);
  try {
    const smoked = await smokeTest({
      url,
      expectedModel,
      timeoutMs: Math.min(smokeSettings.timeoutMs, stepLeftMs),
      prompt: smokeSettings.prompt,
      apiKey: smokeSettings.apiKey,
      dispatcher,
      requestTimeoutMs: settings.requestTimeoutMs,
      clock: deps.clock,
      signal: deps.signal,
      log: deps.log,
    });
    const extra = {
      models: smoked.models,
      ...(smoked.reply === undefined ? {} : { reply: smoked.reply }),
    };
    return smoked.ok
      ? { ...rolled, ...extra, message: `${rolled.message} ${smoked.message}` }
      : {
          ...rolled,
          ...extra,
          outcome: 'smoke-failed',
          title: 'Smoke test failed',
          message: cut
            ? `${smoked.message} The smoke test had only the ${formatDuration(stepLeftMs)} left of "timeout" (${formatDuration(settings.timeoutMs)}), which bounds the whole step; raise "timeout" to give it the full smoke-timeout.`
            : smoked.message,
        };
  } finally {
    await dispatcher.destroy();
  }
}

type FailureResult = Result & { outcome: 'error' | 'cancelled' | 'timeout'; title: string };

function failure(error: unknown, tracker: RolloutTracker, state: RunState): FailureResult {
  const last = tracker.last;
  if (error instanceof CancelledError) {
    const status = last ? ` The last status seen was "${last.status}".` : '';
    // A cancel stops only the action: say what goes on in Northflank without it.
    const after =
      state.sent === undefined
        ? state.plan
          ? ' No update had been sent.'
          : ''
        : tracker.reverting
          ? ' The update had failed and a revert to the previous values had been sent: it goes on in Northflank; check there that it runs.'
          : ' The update had been sent and goes on rolling out in Northflank; the action only stopped following it.';
    return {
      outcome: 'cancelled',
      title: 'Cancelled',
      message: `${error.message}${status}${after}`,
      deployment: last,
    };
  }
  if (error instanceof DeadlineError) {
    return {
      outcome: 'timeout',
      title: 'Timed out',
      message: `Timed out: ${error.message}. Raise the "timeout" input.`,
      deployment: last,
    };
  }
  return {
    outcome: 'error',
    title: errorTitle(error),
    message: errorMessage(error),
    deployment: last,
  };
}

const TITLES: Partial<Record<Outcome, string>> = {
  crashed: 'Rollout crashed',
  paused: 'Deployment paused',
  deleting: 'Deployment being deleted',
  deleted: 'Deployment deleted',
  'rolled-back': 'Rolled back',
  superseded: 'Superseded by another update',
  timeout: 'Timed out',
  cancelled: 'Cancelled',
  'smoke-failed': 'Smoke test failed',
  reverted: 'Rollout failed; reverted',
  'revert-failed': 'Revert failed',
};

function titleFor(result: WaitResult): string {
  return TITLES[result.outcome] ?? 'Deploy failed';
}

/** The GitHub deployment state for a run: the rollout failed, or the action could not tell. */
function githubState(report: RunReport): GitHubDeploymentState {
  if (SUCCESSFUL_OUTCOMES.has(report.outcome)) return 'success';
  // Another update replaced ours: this environment's deployment is no longer the one we made.
  if (report.outcome === 'superseded') return 'inactive';
  return ['error', 'timeout', 'cancelled'].includes(report.outcome) ? 'error' : 'failure';
}

/** Successes reported as a plain log line (not "Done in", not a warning). */
const QUIET_SUCCESSES: ReadonlySet<Outcome> = new Set<Outcome>([
  'not-waited',
  'dry-run',
  'updated',
  'unchanged',
]);

async function publish(report: RunReport, deps: RunDeps): Promise<void> {
  const { log } = deps;
  try {
    setOutputs(deps.outputs, report);
  } catch (error) {
    log.warning(`Some outputs could not be set: ${errorMessage(error)}`);
  }
  try {
    await deps.summary.write(summaryMarkdown(report));
  } catch (error) {
    // A summary that cannot be written (no GITHUB_STEP_SUMMARY locally) must not fail a deploy.
    log.debug(`Job summary not written: ${errorMessage(error)}`);
  }
  const took = formatDuration(report.elapsedMs);
  if (report.outcome === 'running') {
    log.info(`Done in ${took}: ${report.message}`);
  } else if (QUIET_SUCCESSES.has(report.outcome)) {
    log.info(report.message);
  } else if (report.outcome === 'no-rollout') {
    log.warning(report.message, { title: 'No new rollout observed' });
  } else {
    log.error(report.message, { title: report.title });
  }
}

/** Whether a report means the step succeeded. */
export function succeeded(report: RunReport): boolean {
  return SUCCESSFUL_OUTCOMES.has(report.outcome);
}
