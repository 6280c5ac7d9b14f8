import { NorthflankClient, createDispatcher } from './client.js';
import type { Clock } from './clock.js';
import { defaultDeps } from './defaults.js';
import { changesOf, describeChange, type FieldChange } from './diff.js';
import { formatDuration } from './duration.js';
import { CancelledError, DeadlineError, errorMessage, errorTitle } from './errors.js';
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
import { Redactor } from './redact.js';
import { publicUrl } from './rollout.js';
import type { Deployment } from './schema.js';
import { smokeTest } from './smoke.js';
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
export async function run(given: RunDeps = defaultDeps()): Promise<RunReport> {
  const deps = redacting(given);
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
        const sent = active.dryRun ? undefined : await update(api, active, read, log);
        return { current: read, sent, updateSentMs: clock.now() };
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
        : await notWaited(api, tracker, clock, sent !== undefined);
      const smokeSettings = active.smoke;
      if (smokeSettings && (result.outcome === 'running' || result.outcome === 'no-rollout')) {
        const rolled = result;
        result = await log.group('Smoke test', () =>
          smoke(active, smokeSettings, rolled, deps, startedMs),
        );
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
    deps.redactor.redact(report.message),
  );
  return report;
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

function readSettings(deps: RunDeps): Settings {
  const settings = parseSettings(deps.inputs);
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

/** Sends the update; resolves to the deployment as it was before, or undefined when nothing was sent. */
async function update(
  api: NorthflankClient,
  settings: Settings,
  before: Deployment,
  log: Logger,
): Promise<Deployment | undefined> {
  const fields = Object.keys(settings.update);
  if (fields.length === 0) {
    log.notice(
      `No fields to change were given (name, description, tags, ports, spec or spec-file); not sending an update${settings.wait ? ', only waiting for the deployment to run' : ''}.`,
    );
    return undefined;
  }
  log.info(`Sending update of ${fields.join(', ')} to ${api.path}.`);
  await api.updateDeployment(settings.update, before);
  log.info('Update accepted.');
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
    startedMs: when.startedMs,
    getDeployment: () => api.getDeployment(),
    tracker,
    clock: deps.clock,
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
  sent: boolean,
): Promise<WaitResult> {
  const deployment = await api.getDeployment();
  tracker.observe(deployment, clock.now(), false);
  return {
    outcome: 'not-waited',
    message: `${sent ? 'Update sent' : 'No update sent (no fields to change)'}; not waiting for the rollout (wait: false).`,
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
  return ['error', 'timeout', 'cancelled'].includes(report.outcome) ? 'error' : 'failure';
}

/** Outputs, summary, then the closing message: each step on its own, so none can stop the others. */
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
  } else if (report.outcome === 'not-waited' || report.outcome === 'dry-run') {
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
