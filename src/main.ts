import { NorthflankClient, createDispatcher } from './client.js';
import type { Clock } from './clock.js';
import { defaultDeps } from './defaults.js';
import { changesOf, describeChange, type FieldChange } from './diff.js';
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
} from './github-deployment.js';
import type { InputSources, Settings, SmokeSettings } from './inputs.js';
import { parseSettings } from './inputs.js';
import type { Logger } from './log.js';
import {
  setOutputs,
  summaryMarkdown,
  type OutputSink,
  type RunReport,
  type SummarySink,
} from './report.js';
import { DEFAULT_BACKOFF } from './retry.js';
import { publicUrl } from './rollout.js';
import type { Deployment } from './schema.js';
import { smokeTest } from './smoke.js';
import { RequestBudget } from './budget.js';
import { watchForUpdate } from './watch.js';
import { ACTION_NAME, ACTION_VERSION } from './version.js';
import {
  DEFAULT_POLL_POLICY,
  RolloutTracker,
  SUCCESSFUL_OUTCOMES,
  waitForRollout,
  type WaitResult,
} from './wait.js';

/** Everything `run` touches outside itself, so tests can drive it without module mocks. */
export interface RunDeps {
  inputs: InputSources;
  clock: Clock;
  random: () => number;
  /** Aborts when the workflow is cancelled. */
  signal: AbortSignal;
  log: Logger;
  outputs: OutputSink;
  summary: SummarySink;
}

type Result = WaitResult & {
  title?: string;
  changes?: FieldChange[];
  models?: string[];
  reply?: string;
};

/** Rolls out the deployment: inputs, update, wait, report. Resolves to the report; never throws. */
export async function run(deps: RunDeps = defaultDeps()): Promise<RunReport> {
  const { clock, log } = deps;
  const startedMs = clock.now();
  const tracker = new RolloutTracker();
  let settings: Settings | undefined;
  let client: NorthflankClient | undefined;
  let github: GitHubDeployment | undefined;
  let result: Result;
  try {
    // 1. Inputs, validated before any request.
    const active = (settings = await log.group('Inputs', () =>
      Promise.resolve(readSettings(deps)),
    ));
    const api = (client = createClient(active, deps, startedMs));

    // 2. Update: read the deployment first, so the wait can tell the new rollout from the old.
    const { current, sent, updateSentMs } = await log.group(
      active.dryRun ? 'Dry run' : 'Update',
      async () => {
        const read = await api.getDeployment();
        tracker.observe(read, clock.now(), true);
        log.info(
          `Deployment "${read.name}" (${read.id}) is ${read.status}${configurationLabel(read)}.`,
        );
        const sentMs = clock.now();
        const sent = active.dryRun ? undefined : await update(api, active, read, deps, tracker);
        return { current: read, sent, updateSentMs: sent ? sentMs : clock.now() };
      },
    );
    if (active.dryRun) {
      result = dryRun(active, current, log);
    } else {
      if (active.github && active.wait) {
        github = await startGitHubDeployment({
          ...active.github,
          description: `Northflank ${active.deploymentId}`,
          log,
        });
      }
      // 3. Wait for the new rollout, then, if asked, check that the model answers.
      result = active.wait
        ? await log.group('Waiting for the rollout', () =>
            wait(api, active, deps, { before: sent, updateSentMs, startedMs }, tracker),
          )
        : await notWaited(api, tracker, clock);
      const smokeSettings = active.smoke;
      if (smokeSettings && (result.outcome === 'running' || result.outcome === 'no-rollout')) {
        const rolled = result;
        result = await log.group('Smoke test', () => smoke(active, smokeSettings, rolled, deps));
      }
    }
  } catch (error) {
    result = failure(error, tracker);
  } finally {
    await client?.close();
  }

  // 4. Report: outputs, summary and the GitHub deployment's state, on failure too.
  const report: RunReport = {
    outcome: result.outcome,
    message: result.message,
    title: result.title ?? titleFor(result),
    deployment: result.deployment ?? tracker.last,
    timeline: tracker.timeline,
    timelineOriginMs: tracker.originMs,
    elapsedMs: clock.now() - startedMs,
    target: settings
      ? {
          projectId: settings.projectId,
          deploymentId: settings.deploymentId,
          teamId: settings.teamId,
        }
      : {},
    updatedFields: settings && !settings.dryRun ? Object.keys(settings.update) : [],
    requestCount: client?.requestCount ?? 0,
    ...(result.changes ? { changes: result.changes } : {}),
    ...(result.models ? { models: result.models } : {}),
    ...(result.reply === undefined ? {} : { reply: result.reply }),
  };
  await publish(report, deps);
  await github?.finish(
    githubState(report),
    report.deployment ? publicUrl(report.deployment) : '',
    report.message,
  );
  return report;
}

function readSettings(deps: RunDeps): Settings {
  const settings = parseSettings(deps.inputs);
  const fields = Object.keys(settings.update);
  deps.log.info(
    `Deployment ${settings.projectId}/${settings.deploymentId}${settings.teamId ? ` in team ${settings.teamId}` : ''} at ${settings.apiUrl.origin}; fields to change: ${fields.join(', ') || 'none'}; timeout ${formatDuration(settings.timeoutMs)}${settings.dryRun ? '; dry run' : ''}.`,
  );
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

/**
 * Sends the update; resolves to the deployment as it was before, or undefined when nothing was
 * sent. When the answer is lost, the update is not sent again: it is watched for instead.
 */
async function update(
  api: NorthflankClient,
  settings: Settings,
  before: Deployment,
  deps: RunDeps,
  tracker: RolloutTracker,
): Promise<Deployment | undefined> {
  const { log, clock } = deps;
  const fields = Object.keys(settings.update);
  if (fields.length === 0) {
    log.notice(
      'No fields to change were given (name, description, tags, ports, spec or spec-file); not sending an update, only waiting for the deployment to run.',
    );
    return undefined;
  }
  log.info(`Sending update of ${fields.join(', ')} to ${api.path}.`);
  const sentMs = clock.now();
  try {
    await api.updateDeployment(settings.update);
    log.info('Update accepted.');
  } catch (error) {
    if (!(error instanceof UpdateUnconfirmedError)) throw error;
    const grace = formatDuration(settings.rolloutStartGraceMs);
    log.warning(
      `No answer to the update (${error.reason}); it may have reached Northflank, so the action is not sending it again. Watching the deployment for up to ${grace} (rollout-start-grace) for the update to show.`,
      { title: 'Update answer lost' },
    );
    const shown = await watchForUpdate({
      update: settings.update,
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
    tracker.last = shown;
  }
  return before;
}

function dryRun(settings: Settings, current: Deployment, log: Logger): Result {
  const changes = changesOf(settings.update, current);
  log.info(`Dry run: would send POST ${current.id} with body ${JSON.stringify(settings.update)}`);
  for (const change of changes) log.info(`Would change ${describeChange(change)}`);
  const message =
    changes.length === 0
      ? 'Dry run: the update would change nothing; no update was sent.'
      : `Dry run: the update would change ${changes.length} field(s): ${changes.map((c) => c.path).join(', ')}; no update was sent.`;
  return { outcome: 'dry-run', message, deployment: current, changes };
}

function wait(
  api: NorthflankClient,
  settings: Settings,
  deps: RunDeps,
  when: { before: Deployment | undefined; updateSentMs: number; startedMs: number },
  tracker: RolloutTracker,
): Promise<WaitResult> {
  return waitForRollout({
    before: when.before,
    updateSentMs: when.updateSentMs,
    // One attempt per read: the wait outlasts outages itself, up to the deadline.
    getDeployment: () => api.getDeployment({ attempts: 1 }),
    tracker,
    clock: deps.clock,
    random: deps.random,
    signal: deps.signal,
    deadlineMs: when.startedMs + settings.timeoutMs,
    poll: { ...DEFAULT_POLL_POLICY, maxMs: settings.pollIntervalMs },
    rolloutStartGraceMs: settings.rolloutStartGraceMs,
    log: deps.log,
  });
}

async function notWaited(
  api: NorthflankClient,
  tracker: RolloutTracker,
  clock: Clock,
): Promise<WaitResult> {
  const deployment = await api.getDeployment();
  tracker.observe(deployment, clock.now(), false);
  return {
    outcome: 'not-waited',
    message: 'Update sent; not waiting for the rollout (wait: false).',
    deployment,
  };
}

async function smoke(
  settings: Settings,
  smokeSettings: SmokeSettings,
  rolled: Result,
  deps: RunDeps,
): Promise<Result> {
  const deployment = rolled.deployment;
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
      timeoutMs: smokeSettings.timeoutMs,
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
          message: smoked.message,
        };
  } finally {
    await dispatcher.destroy();
  }
}

type FailureResult = Result & { outcome: 'error' | 'cancelled' | 'timeout'; title: string };

function failure(error: unknown, tracker: RolloutTracker): FailureResult {
  const last = tracker.last;
  if (error instanceof CancelledError) {
    const status = last ? ` The last status seen was "${last.status}".` : '';
    return {
      outcome: 'cancelled',
      title: 'Cancelled',
      message: `${error.message}${status}`,
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

const TITLES: Partial<Record<WaitResult['outcome'], string>> = {
  crashed: 'Rollout crashed',
  paused: 'Deployment paused',
  deleting: 'Deployment being deleted',
  deleted: 'Deployment deleted',
  'rolled-back': 'Rolled back',
  superseded: 'Superseded by another update',
  timeout: 'Timed out',
  cancelled: 'Cancelled',
  'smoke-failed': 'Smoke test failed',
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

async function publish(report: RunReport, deps: RunDeps): Promise<void> {
  const { log } = deps;
  setOutputs(deps.outputs, report);
  const took = formatDuration(report.elapsedMs);
  if (report.outcome === 'running') {
    log.info(`Done in ${took}: ${report.message}`);
  } else if (report.outcome === 'not-waited' || report.outcome === 'dry-run') {
    log.info(report.message);
  } else if (report.outcome === 'no-rollout') {
    log.warning(report.message, { title: 'No new rollout observed' });
  } else {
    log.error(report.message, { title: report.title });
  }
  try {
    await deps.summary.write(summaryMarkdown(report));
  } catch (error) {
    // A summary that cannot be written (no GITHUB_STEP_SUMMARY locally) must not fail a deploy.
    log.debug(`Job summary not written: ${errorMessage(error)}`);
  }
}

/** Whether a report means the step succeeded. */
export function succeeded(report: RunReport): boolean {
  return SUCCESSFUL_OUTCOMES.has(report.outcome);
}
