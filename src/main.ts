import { NorthflankClient } from './northflank/client.js';
import { createDispatcher } from './http/request.js';
import { bothEnvironmentsWarning, findJobEnvironment } from './runner/job-environment.js';
import { defaultDeps, type RunDeps } from './runner/deps.js';

import { formatDuration } from './duration.js';
import { RunSkipped } from './errors.js';
import { readGitHubRun, type GitHubRun } from './runner/event.js';
import { skippedMessage } from './report/fork-notice.js';
import { commentIgnoredReason, commentStep } from './steps/comment-on-pull-request.js';
import { startGitHubDeployment } from './github/deployments.js';
import type { Settings } from './config/settings.js';
import { readSettings as parseInputs } from './config/read-settings.js';
import type { RunReport } from './report/report.js';
import type { UpdatePlan } from './rollout/plan.js';
import type { Deployment } from './northflank/schema.js';
import { DEFAULT_BACKOFF } from './http/retry.js';
import { publicUrl } from './rollout/status.js';
import { Redactor } from './runner/redact.js';
import { RequestBudget } from './http/budget.js';
import { ACTION_NAME, ACTION_VERSION } from './version.js';
import { dryRun, planStep, updateStep } from './steps/send-update.js';
import {
  notWaited,
  settledWithoutUpdate,
  waitStep,
  type UpdateContext,
} from './steps/follow-rollout.js';
import { revertStep, shouldRevert } from './steps/revert-rollout.js';
import { smokeStep } from './steps/smoke-test.js';
import { BenchmarkSession, benchmarkStep, measureBaseline } from './steps/benchmark-model.js';
import { replanAfterBaseline } from './steps/refresh-plan.js';
import type { StepResult } from './steps/result.js';
import {
  failure,
  githubState,
  makeReport,
  publish,
  writeSummary,
  type RunState,
} from './steps/report-run.js';
import { RolloutTracker } from './rollout/tracker.js';
import { endsRunning } from './rollout/ends-running.js';
import { SUCCESSFUL_OUTCOMES, type Outcome } from './rollout/outcome.js';

export type { RunDeps } from './runner/deps.js';

type Result = StepResult;

/**
 * Rolls out the deployment: inputs, plan, baseline benchmark, update, wait, smoke test,
 * benchmark, revert, report. Resolves to the report; never throws.
 */
export async function run(given: RunDeps = defaultDeps()): Promise<RunReport> {
  const deps = redacting(given);
  const { clock, log } = deps;
  const startedMs = clock.now();
  const tracker = new RolloutTracker();
  const state: RunState = {};
  const githubRun = readGitHubRun(given.env ?? {});
  let result: Result;
  try {
    // 1. Inputs, validated before any request.
    const settings = (state.settings = await log.group('Inputs', () =>
      readSettings(deps, githubRun),
    ));
    // A pull request from a fork gets no secrets: nothing to plan with, and nothing wrong.
    if (settings.apiToken === '') throw new RunSkipped(skippedMessage(githubRun));
    const api = (state.client = createClient(settings, deps, startedMs));

    // 2. Plan: read the deployment and work out which of the given fields would change.
    const { before, plan } = await log.group(settings.dryRun ? 'Dry run' : 'Plan', () =>
      planStep(api, settings, deps, tracker),
    );
    const planned = Object.assign(state, { before, plan });
    if (settings.dryRun) {
      result = dryRun(plan, before, log);
    } else {
      // 3. Benchmark the model that serves now, if asked (and a rollout will replace it). Not
      // without waiting: nothing would be measured after, so the output stays empty.
      const bench =
        settings.benchmark &&
        settings.wait &&
        (state.benchmark = new BenchmarkSession(settings.benchmark));
      // The baseline takes minutes: read again before the update, and re-plan if it moved.
      const outOfTime =
        bench &&
        ((await measureBaseline(bench, settings, before, plan, deps, startedMs)) ??
          (await replanAfterBaseline(api, settings, deps, tracker, bench, planned, startedMs)));
      result = endsRunning(
        outOfTime || (await rollOut(api, settings, deps, tracker, planned, bench, startedMs)),
        settings.wait,
      );
    }
  } catch (error) {
    result = failure(error, tracker, state);
  } finally {
    await state.client?.close();
  }

  // 9. Report: outputs, the outcome's log line and the GitHub deployment's state, on failure too.
  const report = makeReport(result, state, tracker, clock.now() - startedMs);
  publish(report, deps);
  await state.github?.finish(
    githubState(report),
    report.deployment ? publicUrl(report.deployment) : '',
    deps.redactor.redact(report.message),
  );
  // 10. The pull request comment, then the summary that links it: neither changes the outcome.
  const prComment = await commentStep(report, state, githubRun, deps);
  const reported = prComment ? { ...report, prComment } : report;
  await writeSummary(reported, deps);
  return reported;
}

/** Steps 4 to 8: update, wait, smoke test, benchmark, revert. */
async function rollOut(
  api: NorthflankClient,
  settings: Settings,
  deps: RunDeps,
  tracker: RolloutTracker,
  state: RunState & { before: Deployment; plan: UpdatePlan },
  bench: BenchmarkSession | false | undefined,
  startedMs: number,
): Promise<Result> {
  const { clock, log } = deps;
  const { before, plan } = state;
  let result: Result;
  // 4. Update: only what would change; nothing at all when everything is in place.
  const updateSentMs = clock.now();
  const sent = (state.sent = await updateStep(api, settings, plan, before, deps, tracker));
  if (settings.github && settings.wait) {
    state.github = await startGitHubDeployment({
      ...settings.github,
      description: `Northflank ${settings.deploymentId}`,
      log,
    });
  }

  // 5. Wait for the rollout the update started (or for the one under way).
  const context: UpdateContext = { before, plan, sent, updateSentMs, startedMs };
  // Nothing sent and nothing under way: no wait, so no wait group and no timeline.
  const settled = settledWithoutUpdate(context);
  if (!settings.wait) {
    result = await notWaited(api, tracker, clock, context);
  } else if (settled) {
    result = settled;
  } else {
    state.followed = true;
    result = await log.group('Waiting for the rollout', () =>
      waitStep(api, settings, deps, tracker, context),
    );
  }

  // 6. Check that the model answers, if asked.
  const smokeSettings = settings.smoke;
  if (smokeSettings && SERVING_OUTCOMES.has(result.outcome)) {
    const rolled = result;
    result = await log.group('Smoke test', () =>
      smokeStep(settings, smokeSettings, rolled, deps, startedMs),
    );
  }

  // 7. Benchmark the new rollout against the limits, if asked.
  if (bench && settings.wait && SERVING_OUTCOMES.has(result.outcome)) {
    const rolled = result;
    result = await log.group('Benchmark after the rollout', () =>
      benchmarkStep(bench, settings, rolled, deps, startedMs),
    );
  }

  // 8. Put the previous values back if the new rollout crashed, ran out of time, does not
  // answer or regressed.
  const revert = settings.revert;
  if (revert && sent && shouldRevert(result, tracker, sent)) {
    const failed = result;
    result = await log.group('Reverting the failed rollout', () =>
      revertStep(api, settings, revert, deps, tracker, {
        failed,
        sent,
        before,
        changes: plan.changes,
      }),
    );
  }
  return result;
}

/** Outcomes after which the deployment serves, so a smoke test makes sense. */
const SERVING_OUTCOMES: ReadonlySet<Outcome> = new Set<Outcome>([
  'running',
  'updated',
  'unchanged',
  'no-rollout',
]);

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

async function readSettings(deps: RunDeps, githubRun: GitHubRun): Promise<Settings> {
  const settings = await parseInputs(deps.inputs, {
    tokenMayBeEmpty: githubRun.isPullRequestEvent,
  });
  const fields = Object.keys(settings.update);
  // "Given", not "to change": what changes is the plan's to say, once the deployment is read.
  deps.log.info(
    `Deployment ${settings.projectId}/${settings.deploymentId}${settings.teamId ? ` in team ${settings.teamId}` : ''} at ${settings.apiUrl.origin}${settings.apiUrl.pathname === '/' ? '' : settings.apiUrl.pathname}; fields given: ${fields.join(', ') || 'none'}; timeout ${formatDuration(settings.timeoutMs)}${settings.dryRun ? '; dry run' : ''}.`,
  );
  for (const warning of settings.warnings) deps.log.warning(warning, { title: 'Input ignored' });
  if (settings.nullSpecFields.length > 0) {
    deps.log.notice(
      `Spec fields given as null are not sent: null means "not set", and Northflank merges a spec, so an update cannot unset a field. Left out: ${settings.nullSpecFields.join(', ')}. To change one, give a value; to clear it, do so in Northflank.`,
      { title: 'Null spec fields not sent' },
    );
  }
  const ignored = commentIgnoredReason(settings, githubRun);
  if (ignored) deps.log.warning(ignored, { title: 'Input ignored' });
  if (settings.github) await warnOnTwoEnvironments(settings.github.environment, deps);
  return settings;
}

/**
 * Warns when the job has a job-level environment as well as the environment input: GitHub and
 * the action would each record a deployment. Only when it can tell (see job-environment.ts).
 */
async function warnOnTwoEnvironments(input: string, deps: RunDeps): Promise<void> {
  const found = await findJobEnvironment(
    deps.env ?? {},
    // The workspace's own reader: inside the workspace, a regular file, at most 1 MiB.
    (file) => deps.inputs.readFile(file),
    async (text) => (await import('yaml')).parse(text) as unknown,
  );
  if (!found.known) {
    deps.log.debug(`Cannot tell whether the job has a job-level environment: ${found.reason}.`);
    return;
  }
  const warning = bothEnvironmentsWarning(found, input, deps.env?.GITHUB_JOB ?? '');
  if (warning) deps.log.warning(warning, { title: 'Two GitHub deployments per run' });
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
/** Whether a report means the step succeeded. */
export function succeeded(report: RunReport): boolean {
  return SUCCESSFUL_OUTCOMES.has(report.outcome);
}
