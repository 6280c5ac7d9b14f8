/**
 * The run's context: what every step shares, built once. `startRun` makes the runner's side on
 * the run's first line (its I/O with every secret redacted, the workflow run, the tracker and the
 * record the report is made from); once the inputs are read, `createRunContext` adds the settings
 * and what they decide: the deployment, the step's deadline, one connection pool, the Northflank
 * client, the model's endpoint and the benchmark. A step takes the context as its one argument,
 * plus at most the result it continues from.
 */
import type { Clock } from '../clock.js';
import { modelUrl } from '../config/model-endpoint.js';
import type { Settings } from '../config/settings.js';
import type { GitHubDeployment } from '../github/deployments.js';
import { DEFAULT_BACKOFF } from '../http/retry.js';
import { RequestBudget } from '../http/budget.js';
import { createDispatcher, type Dispatcher } from '../http/request.js';
import type { Logger } from '../log.js';
import { NorthflankClient, type DeploymentRef } from '../northflank/client.js';
import type { Deployment } from '../northflank/schema.js';
import type { RunRecord } from '../report/report.js';
import { RolloutTracker } from '../rollout/tracker.js';
import type { InputSources, OutputSink, RunDeps, SummarySink } from '../runner/deps.js';
import { readGitHubRun, type GitHubRun, type RunnerEnv } from '../runner/event.js';
import { Redactor } from '../runner/redact.js';
import { ACTION_NAME, ACTION_VERSION } from '../version.js';
import { BenchmarkSession } from './benchmark-model.js';

/** The runner's side of a run, there from its first line, whatever happens next. */
export interface RunBase {
  /** The inputs, each secret added to the redactor as it is masked. */
  readonly inputs: InputSources;
  readonly clock: Clock;
  /** For the jitter of retries and backoff. */
  readonly random: () => number;
  /** Aborts when the workflow is cancelled. */
  readonly signal: AbortSignal;
  /** The log, with every secret the inputs mask redacted. */
  readonly log: Logger;
  readonly outputs: OutputSink;
  readonly summary: SummarySink;
  /** The runner's environment. */
  readonly env: RunnerEnv;
  /** The secrets of the run: every text the action writes passes through it. */
  readonly redactor: Redactor;
  /** The workflow run: its event, pull request and repository. */
  readonly githubRun: GitHubRun;
  /** When the step started: `timeout` counts from here. */
  readonly startedMs: number;
  /** What has been seen of the deployment: the timeline of statuses, the last reading. */
  readonly tracker: RolloutTracker;
  /** What the run has learnt so far; the report is made from it, whichever step ended the run. */
  readonly record: RunRecord;
  /** The settings, once the inputs are read. */
  settings: Settings | undefined;
  /** The GitHub deployment this run records, once created: the report gives it its state. */
  githubDeployment: GitHubDeployment | undefined;
  /** The first read answered 404: Northflank knows no such deployment (for this token). */
  deploymentNotFound: boolean;
}

/** What every step of a run shares, built once the inputs are read. */
export interface RunContext extends RunBase {
  readonly settings: Settings;
  /** The deployment: project, deployment and team. */
  readonly target: DeploymentRef;
  /** Clock time when `timeout` runs out: the step's own deadline (a revert has its own). */
  readonly deadlineMs: number;
  /** The run's one connection pool, with request-timeout's per-phase timeouts and the proxy. */
  readonly dispatcher: Dispatcher;
  /** The Northflank API for the deployment. */
  readonly api: NorthflankClient;
  /** With `benchmark` (and waiting): both benchmarks' load, limits and what they measured. */
  readonly benchmark: BenchmarkSession | undefined;
  /**
   * The model's endpoint for the smoke test and the benchmark: smoke-url, or the public URL of
   * `deployment` (the reading the model is measured on); undefined when there is neither.
   */
  modelUrl(deployment: Deployment | undefined): URL | undefined;
  /** Closes the connections; in-flight requests are aborted. */
  close(): Promise<void>;
}

/** The run's base, from the runner's I/O: every secret the inputs mask is redacted everywhere. */
export function startRun(given: RunDeps): RunBase {
  const redactor = new Redactor();
  const inputs = given.inputs;
  const env = given.env ?? {};
  return {
    inputs: {
      getInput: (name) => inputs.getInput(name),
      setSecret: (value) => {
        redactor.add(value);
        inputs.setSecret(value);
      },
      readFile: (file) => inputs.readFile(file),
      workspace: inputs.workspace,
      ...(inputs.variableNames ? { variableNames: inputs.variableNames } : {}),
    },
    clock: given.clock,
    random: given.random,
    signal: given.signal,
    log: redactor.logger(given.log),
    outputs: redactor.outputs(given.outputs),
    summary: redactor.summary(given.summary),
    env,
    redactor,
    githubRun: readGitHubRun(env),
    startedMs: given.clock.now(),
    tracker: new RolloutTracker(),
    record: { target: {}, dryRun: false },
    settings: undefined,
    githubDeployment: undefined,
    deploymentNotFound: false,
  };
}

/**
 * The context, on the run's base: the base itself becomes it, so that what a step records there
 * (the GitHub deployment, a 404) is what the report reads.
 */
export function createRunContext(base: RunBase, settings: Settings): RunContext {
  const dispatcher = createDispatcher(settings.requestTimeoutMs);
  const deadlineMs = base.startedMs + settings.timeoutMs;
  const api = new NorthflankClient({
    apiUrl: settings.apiUrl,
    token: settings.apiToken,
    target: settings.target,
    userAgent: `${ACTION_NAME}/${ACTION_VERSION} (node ${process.version})`,
    dispatcher,
    budget: new RequestBudget(),
    clock: base.clock,
    random: base.random,
    signal: base.signal,
    deadlineMs,
    requestTimeoutMs: settings.requestTimeoutMs,
    backoff: DEFAULT_BACKOFF,
    log: base.log,
  });
  // Not without waiting: nothing would be measured after, so the output stays empty.
  const benchmark =
    settings.benchmark && settings.model && settings.wait
      ? new BenchmarkSession(settings.benchmark, settings.model)
      : undefined;
  const endpoint = settings.model;
  return Object.assign(base, {
    settings,
    target: settings.target,
    deadlineMs,
    dispatcher,
    api,
    benchmark,
    modelUrl: (deployment: Deployment | undefined) =>
      endpoint ? modelUrl(endpoint, deployment) : undefined,
    close: () => dispatcher.destroy(),
  });
}
