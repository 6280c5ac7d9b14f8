/**
 * The benchmark steps: measure the serving model before the update (the baseline) and the new
 * rollout once it serves, then judge the `fail-if` limits. Thin: it wires the endpoint, the
 * deadline and the probe of the run's context to src/model/.
 */
import type { ModelEndpoint } from '../config/settings.js';
import { formatDuration } from '../duration.js';
import type { BenchmarkSettings } from '../model/benchmark-settings.js';
import { runBenchmark, type BenchmarkRun } from '../model/benchmark.js';
import {
  breaches,
  describeBreach,
  judgeLimits,
  judgeLimitsCutShort,
  type GateVerdict,
} from '../model/gate.js';
import { smokeTest } from '../model/probe.js';
import type { Deployment } from '../northflank/schema.js';
import type { BenchmarkReport } from '../report/report.js';
import type { StepResult } from '../rollout/outcome.js';
import type { PlannedUpdate } from '../rollout/plan.js';
import type { RunContext } from './context.js';

/** The longest the baseline waits for the serving model to list itself: it should already. */
const BASELINE_LIST_WAIT_MS = 60_000;

/** What both benchmarks share, and the report made from them; kept by run() for a cancel too. */
export class BenchmarkSession {
  /** Cleared for good once a server refuses `ignore_eos`. */
  readonly ignoreEos = { send: true };
  /** Whether the last call of measureBaseline measured (or tried to) the serving model. */
  baselineMeasured = false;
  readonly report: BenchmarkReport;

  constructor(
    readonly settings: BenchmarkSettings,
    /** The model's endpoint: smoke-url or the public URL, smoke-api-key, and smoke-timeout to be listed. */
    readonly endpoint: ModelEndpoint,
  ) {
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
  ctx: RunContext,
  bench: BenchmarkSettings,
  { before, plan }: PlannedUpdate,
): string | undefined {
  if (bench.baseline === 'none') return 'the benchmark input sets baseline: none';
  if (!ctx.settings.wait) return 'the action does not wait for the rollout (wait: false)';
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
function outOfTimeMessage(ctx: RunContext, what: string, hint = LOAD_HINT): string {
  return `Timed out after ${formatDuration(ctx.clock.now() - ctx.startedMs)}: "timeout" (${formatDuration(ctx.settings.timeoutMs)}), which bounds the whole step, ${what}. ${hint}`;
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
function rolloutRunsOutOfTime(rolled: StepResult, message: string): StepResult {
  return { ...rolled, outcome: 'timeout', title: 'Timed out', rolloutRuns: true, message };
}

/** `at 3 of 16 measured requests`, for a run cut short. */
function howFar(run: BenchmarkRun, session: BenchmarkSession): string {
  return `at ${run.measurement.requests} of ${session.settings.requests} measured requests`;
}

/** Waits for the model to be listed, then runs the benchmark, within the step's deadline. */
async function measure(
  ctx: RunContext,
  session: BenchmarkSession,
  which: 'before' | 'after',
  deployment: Deployment | undefined,
  listWaitMs: number,
): Promise<Measured> {
  const url = ctx.modelUrl(deployment);
  if (!url) {
    return {
      failure:
        'the deployment has no public HTTP port, so there is no URL to benchmark. Make one public, or set smoke-url.',
    };
  }
  const leftMs = ctx.deadlineMs - ctx.clock.now();
  if (leftMs <= 0) return { failure: 'no time was left of "timeout".', outOfTime: true };
  const model = deployment?.spec?.configuration?.name;
  const common = {
    apiKey: session.endpoint.apiKey,
    dispatcher: ctx.dispatcher,
    requestTimeoutMs: ctx.settings.requestTimeoutMs,
    clock: ctx.clock,
    signal: ctx.signal,
    log: ctx.log,
  };
  const listed = await smokeTest({
    ...common,
    url,
    expectedModel: model,
    timeoutMs: Math.min(listWaitMs, leftMs),
    prompt: undefined,
  });
  if (!listed.ok) {
    // The list wait was cut to what was left of the step: then `timeout` ended it, not smoke-timeout.
    return { failure: listed.message, outOfTime: listed.timedOut === true && leftMs <= listWaitMs };
  }
  const run = await runBenchmark({
    ...common,
    base: url.href.replace(/\/+$/, ''),
    model: model ?? listed.models[0] ?? '',
    settings: session.settings,
    deadlineMs: ctx.deadlineMs,
    now: () => performance.now(),
    ignoreEos: session.ignoreEos,
  });
  session.record(which, run);
  // What was measured stays in the report; the cancel goes on up.
  if (run.stopped === 'cancelled') ctx.signal.throwIfAborted();
  return { run };
}

/**
 * The baseline: measures the model that serves now, before the update is sent (the first
 * benchmark step of a deploy, so it puts the benchmark in the run's record). Returns the run's
 * result when the step's `timeout` ran out during it (no update is sent then); what was measured
 * stays in the report.
 */
export async function measureBaseline(
  ctx: RunContext,
  planned: PlannedUpdate,
): Promise<StepResult | undefined> {
  const session = ctx.benchmark;
  if (!session) return undefined;
  // From here on the report has a benchmark: what it measures, or why it could not.
  ctx.record.benchmark = session.report;
  const why = noBaselineReason(ctx, session.settings, planned);
  session.baselineMeasured = why === undefined;
  if (why !== undefined) {
    session.report.noBaseline = why;
    return undefined;
  }
  const { before } = planned;
  const measured = await ctx.log.group('Benchmark before the update', () =>
    measure(
      ctx,
      session,
      'before',
      before,
      Math.min(session.endpoint.timeoutMs, BASELINE_LIST_WAIT_MS),
    ),
  );
  const timedOut = (what: string, hint?: string): StepResult => ({
    outcome: 'timeout',
    title: 'Timed out',
    deployment: before,
    message: outOfTimeMessage(ctx, `${what}; no update was sent`, hint),
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
  } else if (run && allFailed(run)) {
    // The model that serves now does not answer: nothing to compare with, but the update may be
    // what mends it, so it goes ahead.
    ctx.log.warning(
      `Every request of the benchmark before the update failed (the first: ${run.firstError ?? 'unknown'}): the model that serves now does not answer, so relative fail-if limits cannot be judged. The update is sent.`,
      { title: 'Baseline failed' },
    );
  }
  return undefined;
}

/** Whether every measured request that finished failed (and at least one finished). */
function allFailed(run: BenchmarkRun): boolean {
  const m = run.measurement;
  return m.requests > 0 && m.errors === m.requests;
}

/** Every measured request that finished failed: the model does not serve. */
function everyRequestFailed(rolled: StepResult, run: BenchmarkRun, cutShort: string): StepResult {
  return {
    ...rolled,
    outcome: 'smoke-failed',
    title: 'Benchmark failed',
    message: `The model is listed, but every benchmark request${cutShort ? ' that finished' : ''} failed (the first: ${run.firstError ?? 'unknown'})${cutShort}. Check the deployment's logs in Northflank and the endpoint (smoke-url, smoke-api-key).`,
  };
}

/** The breached limits as the step's failure. */
function regressed(
  rolled: StepResult,
  breached: readonly GateVerdict[],
  cutShort: string,
): StepResult {
  return {
    ...rolled,
    outcome: 'regressed',
    title: 'Serving regressed',
    message: `The new rollout serves worse than the benchmark's fail-if limits allow: ${breached.map(describeBreach).join('; ')}${cutShort}. Check what the update changed, or relax fail-if if this is expected.`,
  };
}

/**
 * The gate on a full run (or, `cut` set, a run the step's `timeout` cut short): the verdicts go
 * into the report, and every finished request failing or a breach fails the step.
 */
function gate(
  session: BenchmarkSession,
  rolled: StepResult,
  run: BenchmarkRun,
  cut?: { reason: string; message: string },
): StepResult | undefined {
  const { report } = session;
  const after = run.measurement;
  const verdicts = judgeLimits(session.settings.failIf, after, report.before, report.noBaseline);
  report.verdicts = cut ? judgeLimitsCutShort(verdicts, after, cut.reason) : verdicts;
  report.failed = breaches(report.verdicts);
  if (allFailed(run)) return everyRequestFailed(rolled, run, cut?.message ?? '');
  const breached = report.verdicts.filter((v) => v.status === 'breached');
  if (breached.length > 0) return regressed(rolled, breached, cut?.message ?? '');
  return undefined;
}

/**
 * The benchmark after the rollout, cut short by the step's `timeout`: what finished is judged
 * for "worse" (judgeLimitsCutShort). A breach, or every finished request failing, fails the step
 * like a full run (and is reverted with revert-on-failure); otherwise the rollout runs and is
 * kept, and the limits that could not be shown to hold are not judged.
 */
function judgeCutShortRun(
  ctx: RunContext,
  session: BenchmarkSession,
  rolled: StepResult,
  run: BenchmarkRun,
): StepResult {
  const reason = `the benchmark was cut short ${howFar(run, session)}`;
  const message = `; the step's "timeout" (${formatDuration(ctx.settings.timeoutMs)}) cut the benchmark short ${howFar(run, session)}, and the requests cut off could only have been slower`;
  const failed = gate(session, rolled, run, { reason, message });
  if (failed) return failed;
  const judged = session.report.verdicts.length > 0;
  if (judged) {
    ctx.log.notice(
      `The fail-if limits are not judged: ${reason}, and no limit is breached by the requests that finished (which cannot show that a limit holds: the requests cut off are the slow end).`,
      { title: 'Benchmark not gated' },
    );
  }
  // The rollout itself succeeded: `timeout` cut the benchmark, so nothing is reverted.
  return rolloutRunsOutOfTime(
    rolled,
    outOfTimeMessage(
      ctx,
      `ended the benchmark after the rollout ${howFar(run, session)}: the rollout runs, and was not reverted, but the benchmark was cut short${judged ? ' and its limits were not judged' : ''}`,
      cutShortHint(run),
    ),
  );
}

/** Measures the new rollout (if asked), judges the limits, and turns a breach into `regressed`. */
export async function benchmarkStep(ctx: RunContext, rolled: StepResult): Promise<StepResult> {
  const session = ctx.benchmark;
  if (!session) return rolled;
  const report = session.report;
  if (report.noBaseline !== undefined) {
    ctx.log.notice(
      `The benchmark measures after the ${rolled.outcome === 'running' ? 'rollout' : 'update (no rollout followed)'} only: ${report.noBaseline}. Relative fail-if limits (+N%, -N%) are not judged.`,
      { title: 'Benchmark without a baseline' },
    );
  }
  const measured = await measure(
    ctx,
    session,
    'after',
    rolled.deployment,
    session.endpoint.timeoutMs,
  );
  const run = measured.run;
  if (measured.outOfTime) {
    return rolloutRunsOutOfTime(
      rolled,
      outOfTimeMessage(
        ctx,
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
  if (run.stopped === 'deadline') return judgeCutShortRun(ctx, session, rolled, run);
  return gate(session, rolled, run) ?? rolled;
}
