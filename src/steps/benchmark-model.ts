/**
 * The benchmark steps: measure the serving model before the update (the baseline) and the new
 * rollout once it serves, then judge the `fail-if` limits. Thin: it wires the endpoint, the
 * deadline and the probe to src/model/.
 */
import { createDispatcher } from '../http/request.js';
import type { RunDeps } from '../runner/deps.js';
import { formatDuration } from '../duration.js';
import type { BenchmarkInput, Settings } from '../config/settings.js';
import type { Deployment } from '../northflank/schema.js';
import type { UpdatePlan } from '../rollout/plan.js';
import { publicUrl } from '../rollout/status.js';
import type { BenchmarkSettings } from '../model/benchmark-settings.js';
import type { BenchmarkReport } from '../report/report.js';
import { runBenchmark, type BenchmarkRun } from '../model/benchmark.js';
import { breaches, describeBreach, judge, judgeCutShort, type Verdict } from '../model/gate.js';
import { smokeTest } from '../model/probe.js';
import type { StepResult as Result } from './result.js';

/** The longest the baseline waits for the serving model to list itself: it should already. */
const BASELINE_LIST_WAIT_MS = 60_000;

/** What both benchmarks share, and the report made from them; kept by run() for a cancel too. */
export class BenchmarkSession {
  /** Cleared for good once a server refuses `ignore_eos`. */
  readonly ignoreEos = { send: true };
  /** Whether the last call of measureBaseline measured (or tried to) the serving model. */
  baselineMeasured = false;
  readonly report: BenchmarkReport;
  readonly settings: BenchmarkSettings;

  constructor(readonly input: BenchmarkInput) {
    const settings = (this.settings = input.load);
    this.report = {
      settings: {
        requests: settings.requests,
        concurrency: settings.concurrency,
        warmup: settings.warmup,
        maxTokens: settings.maxTokens,
      },
      verdicts: [],
      failed: [],
      ignoreEos: true,
    };
  }

  /** Sets the baseline aside (the deployment changed while it was measured). */
  discardBaseline(): void {
    delete this.report.before;
    delete this.report.stopped;
    delete this.report.noBaseline;
  }

  /** Records a run's measurement as `before` or `after`. */
  record(which: 'before' | 'after', run: BenchmarkRun): void {
    this.report[which] = run.measurement;
    this.report.ignoreEos = this.ignoreEos.send;
    if (run.stopped) this.report.stopped = { which, why: run.stopped };
  }
}

/** Why a baseline cannot be measured for this run; undefined when it can. */
export function noBaselineReason(
  bench: BenchmarkSettings,
  before: Deployment,
  plan: UpdatePlan,
  settings: Settings,
): string | undefined {
  if (bench.baseline === 'none') return 'the benchmark input sets baseline: none';
  if (!settings.wait) return 'the action does not wait for the rollout (wait: false)';
  if (before.status !== 'running') {
    return `the deployment was ${before.status} before the update, so no model served to measure`;
  }
  if (Object.keys(plan.body).length === 0) {
    return 'nothing is left to send, so nothing rolls out';
  }
  if (plan.expectation === 'either') {
    return 'the update changes nothing of the configuration that serves (only name, description or tags, or ports re-sent), so what serves after it runs the configuration that served before';
  }
  return undefined;
}

/** The model's endpoint: smoke-url, or the deployment's public URL. */
function endpoint(input: BenchmarkInput, deployment: Deployment | undefined): URL | undefined {
  if (input.url) return input.url;
  const url = deployment ? publicUrl(deployment) : '';
  return url ? new URL(url) : undefined;
}

interface Measured {
  run?: BenchmarkRun;
  /** Why the model could not be measured (no URL, not listed in time). */
  failure?: string;
  /** The step's `timeout` ran out before the model was listed (not `smoke-timeout`). */
  outOfTime?: boolean;
}

/** What to try when the step's time ran out while the model answered its requests. */
const LOAD_HINT = `Raise "timeout", or lower the benchmark's requests or max-tokens.`;

/** A timeout's message: how long the step ran, what `timeout` cut short, and what to try. */
function outOfTimeMessage(
  settings: Settings,
  deps: RunDeps,
  startedMs: number,
  what: string,
  hint = LOAD_HINT,
): string {
  return `Timed out after ${formatDuration(deps.clock.now() - startedMs)}: "timeout" (${formatDuration(settings.timeoutMs)}), which bounds the whole step, ${what}. ${hint}`;
}

/**
 * What to try after a run cut short: the load's size when its requests succeeded; when some
 * failed (a stalled stream, errors), those failures, which a longer timeout would not mend.
 */
function cutShortHint(run: BenchmarkRun): string {
  const m = run.measurement;
  if (m.errors === 0) return LOAD_HINT;
  return `${m.errors} of the ${m.requests} measured request(s) that finished failed (the first: ${run.firstError ?? 'unknown'}): check the model server and the endpoint before raising "timeout".`;
}

/** `timeout` after a rollout that runs: the benchmark, not the rollout, ran out, so no revert. */
function rolloutRunsOutOfTime(rolled: Result, message: string): Result {
  return { ...rolled, outcome: 'timeout', title: 'Timed out', rolloutRuns: true, message };
}

/** `at 3 of 16 measured requests`, for a run cut short. */
function howFar(run: BenchmarkRun, session: BenchmarkSession): string {
  return `at ${run.measurement.requests} of ${session.settings.requests} measured requests`;
}

/** Waits for the model to be listed, then runs the benchmark, within the step's deadline. */
async function measure(
  which: 'before' | 'after',
  session: BenchmarkSession,
  settings: Settings,
  deployment: Deployment | undefined,
  listWaitMs: number,
  deps: RunDeps,
  startedMs: number,
): Promise<Measured> {
  const url = endpoint(session.input, deployment);
  if (!url) {
    return {
      failure:
        'the deployment has no public HTTP port, so there is no URL to benchmark. Make one public, or set smoke-url.',
    };
  }
  const deadlineMs = startedMs + settings.timeoutMs;
  const leftMs = deadlineMs - deps.clock.now();
  if (leftMs <= 0) return { failure: 'no time was left of "timeout".', outOfTime: true };
  const dispatcher = createDispatcher(settings.requestTimeoutMs);
  const apiKey = session.input.apiKey;
  const model = deployment?.spec?.configuration?.name;
  try {
    const listed = await smokeTest({
      url,
      expectedModel: model,
      timeoutMs: Math.min(listWaitMs, leftMs),
      prompt: undefined,
      apiKey,
      dispatcher,
      requestTimeoutMs: settings.requestTimeoutMs,
      clock: deps.clock,
      signal: deps.signal,
      log: deps.log,
    });
    if (!listed.ok) {
      // The list wait was cut to what was left of the step: then `timeout` ended it, not smoke-timeout.
      return {
        failure: listed.message,
        outOfTime: listed.timedOut === true && leftMs <= listWaitMs,
      };
    }
    const run = await runBenchmark({
      base: url.href.replace(/\/+$/, ''),
      model: model ?? listed.models[0] ?? '',
      apiKey,
      settings: session.settings,
      dispatcher,
      requestTimeoutMs: settings.requestTimeoutMs,
      deadlineMs,
      clock: deps.clock,
      now: () => performance.now(),
      signal: deps.signal,
      log: deps.log,
      ignoreEos: session.ignoreEos,
    });
    session.record(which, run);
    // What was measured stays in the report; the cancel goes on up.
    if (run.stopped === 'cancelled') deps.signal.throwIfAborted();
    return { run };
  } finally {
    await dispatcher.destroy();
  }
}

/**
 * The baseline: measures the model that serves now, before the update is sent. Returns the
 * run's result when the step's `timeout` ran out during it (no update is sent then); what was
 * measured stays in the report.
 */
export async function measureBaseline(
  session: BenchmarkSession,
  settings: Settings,
  before: Deployment,
  plan: UpdatePlan,
  deps: RunDeps,
  startedMs: number,
): Promise<Result | undefined> {
  const { log } = deps;
  const why = noBaselineReason(session.settings, before, plan, settings);
  session.baselineMeasured = why === undefined;
  if (why !== undefined) {
    session.report.noBaseline = why;
    return undefined;
  }
  const measured = await log.group('Benchmark before the update', () =>
    measure(
      'before',
      session,
      settings,
      before,
      Math.min(session.input.listTimeoutMs, BASELINE_LIST_WAIT_MS),
      deps,
      startedMs,
    ),
  );
  const timedOut = (what: string, hint?: string): Result => ({
    outcome: 'timeout',
    title: 'Timed out',
    deployment: before,
    message: outOfTimeMessage(settings, deps, startedMs, `${what}; no update was sent`, hint),
  });
  if (measured.outOfTime) {
    session.report.noBaseline = `the step's "timeout" ran out before the model that served was listed`;
    return timedOut('ran out while the benchmark waited for the serving model to be listed');
  }
  const run = measured.run;
  if (measured.failure !== undefined) {
    session.report.noBaseline = `the model that served before the update could not be measured: ${measured.failure}`;
  } else if (run?.stopped === 'deadline') {
    return timedOut(
      `ended the benchmark before the update ${howFar(run, session)}`,
      cutShortHint(run),
    );
  } else if (
    run &&
    run.measurement.requests > 0 &&
    run.measurement.errors === run.measurement.requests
  ) {
    // The model that serves now does not answer: nothing to compare with, but the update may be
    // what mends it, so it goes ahead.
    log.warning(
      `Every request of the benchmark before the update failed (the first: ${run.firstError ?? 'unknown'}): the model that serves now does not answer, so relative fail-if limits cannot be judged. The update is sent.`,
      { title: 'Baseline failed' },
    );
  }
  return undefined;
}

/** Every measured request that finished failed: the model does not serve. */
function everyRequestFailed(rolled: Result, run: BenchmarkRun, cutShort: string): Result {
  return {
    ...rolled,
    outcome: 'smoke-failed',
    title: 'Benchmark failed',
    message: `The model is listed, but every benchmark request${cutShort ? ' that finished' : ''} failed (the first: ${run.firstError ?? 'unknown'})${cutShort}. Check the deployment's logs in Northflank and the endpoint (smoke-url, smoke-api-key).`,
  };
}

/** The breached limits as the step's failure. */
function regressed(rolled: Result, breached: readonly Verdict[], cutShort: string): Result {
  return {
    ...rolled,
    outcome: 'regressed',
    title: 'Serving regressed',
    message: `The new rollout serves worse than the benchmark's fail-if limits allow: ${breached.map(describeBreach).join('; ')}${cutShort}. Check what the update changed, or relax fail-if if this is expected.`,
  };
}

/**
 * The benchmark after the rollout, cut short by the step's `timeout`: what finished is judged
 * for "worse" (judgeCutShort). A breach, or every finished request failing, fails the step like
 * a full run (and is reverted with revert-on-failure); otherwise the rollout runs and is kept,
 * and the limits that could not be shown to hold are not judged.
 */
function judgeCutShortRun(
  session: BenchmarkSession,
  settings: Settings,
  rolled: Result,
  run: BenchmarkRun,
  deps: RunDeps,
  startedMs: number,
): Result {
  const { report } = session;
  const after = run.measurement;
  const reason = `the benchmark was cut short ${howFar(run, session)}`;
  report.verdicts = judgeCutShort(
    judge(session.settings.failIf, after, report.before, report.noBaseline),
    after,
    reason,
  );
  report.failed = breaches(report.verdicts);
  const cut = `; the step's "timeout" (${formatDuration(settings.timeoutMs)}) cut the benchmark short ${howFar(run, session)}, and the requests cut off could only have been slower`;
  if (after.requests > 0 && after.errors === after.requests)
    return everyRequestFailed(rolled, run, cut);
  const breached = report.verdicts.filter((v) => v.status === 'breached');
  if (breached.length > 0) return regressed(rolled, breached, cut);
  if (report.verdicts.length > 0) {
    deps.log.notice(
      `The fail-if limits are not judged: ${reason}, and no limit is breached by the requests that finished (which cannot show that a limit holds: the requests cut off are the slow end).`,
      { title: 'Benchmark not gated' },
    );
  }
  // The rollout itself succeeded: `timeout` cut the benchmark, so nothing is reverted.
  return rolloutRunsOutOfTime(
    rolled,
    outOfTimeMessage(
      settings,
      deps,
      startedMs,
      `ended the benchmark after the rollout ${howFar(run, session)}: the rollout runs, and was not reverted, but the benchmark was cut short${report.verdicts.length > 0 ? ' and its limits were not judged' : ''}`,
      cutShortHint(run),
    ),
  );
}

/** Measures the new rollout, judges the limits, and turns a breach into `regressed`. */
export async function benchmarkStep(
  session: BenchmarkSession,
  settings: Settings,
  rolled: Result,
  deps: RunDeps,
  startedMs: number,
): Promise<Result> {
  const { log } = deps;
  const report = session.report;
  if (report.noBaseline !== undefined) {
    log.notice(
      `The benchmark measures after the rollout only: ${report.noBaseline}. Relative fail-if limits (+N%, -N%) are not judged.`,
      { title: 'Benchmark without a baseline' },
    );
  }
  const measured = await measure(
    'after',
    session,
    settings,
    rolled.deployment,
    session.input.listTimeoutMs,
    deps,
    startedMs,
  );
  const run = measured.run;
  if (measured.outOfTime) {
    return rolloutRunsOutOfTime(
      rolled,
      outOfTimeMessage(
        settings,
        deps,
        startedMs,
        "ran out while the benchmark waited for the new rollout's model to be listed at /v1/models; the rollout runs",
      ),
    );
  }
  if (!run) {
    return {
      ...rolled,
      outcome: 'smoke-failed',
      title: 'Benchmark failed',
      message: `${rolled.message} The benchmark could not measure the model: ${measured.failure ?? 'unknown reason'}`,
    };
  }
  const after = run.measurement;
  if (run.stopped === 'deadline') {
    return judgeCutShortRun(session, settings, rolled, run, deps, startedMs);
  }
  report.verdicts = judge(session.settings.failIf, after, report.before, report.noBaseline);
  report.failed = breaches(report.verdicts);
  if (after.requests > 0 && after.errors === after.requests) {
    return everyRequestFailed(rolled, run, '');
  }
  const breached = report.verdicts.filter((v) => v.status === 'breached');
  if (breached.length > 0) return regressed(rolled, breached, '');
  return rolled;
}
