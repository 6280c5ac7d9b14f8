import { NorthflankClient, createDispatcher } from './client.js';
import type { Clock } from './clock.js';
import { formatDuration } from './duration.js';
import { CancelledError, DeadlineError, errorMessage, errorTitle } from './errors.js';
import type { InputSources, Settings } from './inputs.js';
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
import type { Deployment } from './schema.js';
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

/** Rolls out the deployment: inputs, update, wait, report. Resolves to the report; never throws. */
export async function run(deps: RunDeps): Promise<RunReport> {
  const { clock, log } = deps;
  const startedMs = clock.now();
  const tracker = new RolloutTracker();
  let settings: Settings | undefined;
  let client: NorthflankClient | undefined;
  let result: WaitResult & { title?: string };
  try {
    // 1. Inputs, validated before any request.
    settings = parseSettings(deps.inputs);
    const active = settings;
    client = createClient(active, deps, startedMs);
    const api = client;
    const fields = Object.keys(active.update);

    // 2. Update: read the deployment first, so the wait can tell the new rollout from the old.
    const before = await log.group('Update', async () => {
      const current = await api.getDeployment();
      tracker.observe(current, clock.now(), true);
      log.info(
        `Deployment "${current.name}" (${current.id}) is ${current.status}${configurationLabel(current)}.`,
      );
      if (fields.length === 0) {
        log.notice(
          'No fields to change were given (name, description, tags, ports, spec or spec-file); not sending an update, only waiting for the deployment to run.',
        );
        return undefined;
      }
      log.info(`Sending update of ${fields.join(', ')} to ${api.path}.`);
      await api.updateDeployment(active.update, current);
      log.info('Update accepted.');
      return current;
    });
    const updateSentMs = clock.now();

    // 3. Wait for the new rollout.
    result = active.wait
      ? await log.group('Waiting for the rollout', () =>
          waitForRollout({
            before,
            updateSentMs,
            getDeployment: () => api.getDeployment(),
            tracker,
            clock,
            signal: deps.signal,
            deadlineMs: startedMs + active.timeoutMs,
            poll: { ...DEFAULT_POLL_POLICY, maxMs: active.pollIntervalMs },
            rolloutStartGraceMs: active.rolloutStartGraceMs,
            log,
          }),
        )
      : await notWaited(api, tracker, clock);
  } catch (error) {
    result = failure(error, tracker);
  } finally {
    await client?.close();
  }

  // 4. Report: outputs and summary, on failure too.
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
    updatedFields: settings ? Object.keys(settings.update) : [],
    requestCount: client?.requestCount ?? 0,
  };
  await publish(report, deps);
  return report;
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

type FailureResult = WaitResult & { outcome: 'error' | 'cancelled' | 'timeout'; title: string };

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
};

function titleFor(result: WaitResult): string {
  return TITLES[result.outcome] ?? 'Deploy failed';
}

async function publish(report: RunReport, deps: RunDeps): Promise<void> {
  const { log } = deps;
  setOutputs(deps.outputs, report);
  const took = formatDuration(report.elapsedMs);
  if (report.outcome === 'running') {
    log.info(`Done in ${took}: ${report.message}`);
  } else if (report.outcome === 'not-waited') {
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
