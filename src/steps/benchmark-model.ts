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
  describeChange,
  formatInterval,
  judgeLimits,
  metricChanges,
  percentText,
  type LimitVerdict,
  type Measured,
} from '../model/gate.js';
import { afterMore, baselineSettled, gatePlan, nextBatch, type GatePlan } from '../model/looks.js';
import { smokeTest } from '../model/probe.js';
import type { Deployment } from '../northflank/schema.js';
import type { BenchmarkReport } from '../report/report.js';
import type { StepResult } from '../rollout/outcome.js';
import type { PlannedUpdate } from '../rollout/plan.js';
import type { RunContext } from './context.js';

/** Outcomes of a run that rolled nothing out. */
const NO_ROLLOUT: ReadonlySet<string> = new Set(['unchanged', 'no-rollout', 'updated']);

/** The longest the baseline waits for the serving model to list itself: it should already. */
const BASELINE_LIST_WAIT_MS = 60_000;

/** What both benchmarks share, and the report made from them; kept by run() for a cancel too. */
export class BenchmarkSession {
  /** Cleared for good once a server refuses `ignore_eos`. */
  readonly ignoreEos = { send: true };
  /** Whether the last call of measureBaseline measured (or tried to) the serving model. */
  baselineMeasured = false;
  /** Forced past the gate's note: the spec is measured even if nothing rolls out. */
  judgeAfresh = false;
  readonly report: BenchmarkReport;
  /** The looks and the error each may spend. */
  readonly plan: GatePlan;
  /** The samples of each side, for the gate's intervals. */
  before: Measured | undefined;
  after: Measured | undefined;

  constructor(
    readonly settings: BenchmarkSettings,
    /** The model's endpoint: smoke-url or the public URL, smoke-api-key, and smoke-timeout to be listed. */
    readonly endpoint: ModelEndpoint,
  ) {
    this.plan = gatePlan(settings);
    this.report = {
      settings: {
        requests: settings.requests,
        concurrency: settings.concurrency,
        warmup: settings.warmup,
        maxTokens: settings.maxTokens,
        maxRequests: settings.maxRequests,
        confidence: settings.confidence,
      },
      verdicts: [],
      failed: [],
      ignoreEos: true,
    };
  }

  /** Sets the baseline aside (the deployment changed while it was measured). */
  discardBaseline(): void {
    this.before = undefined;
    delete this.report.before;
    delete this.report.stopped;
    delete this.report.noBaseline;
  }

  /** Records a run's measurement as `before` or `after`. */
  record(which: 'before' | 'after', run: BenchmarkRun): void {
    this.report[which] = run.measurement;
    this[which] = { measurement: run.measurement, samples: run.samples };
    if (run.errorQuotes.length > 0) {
      (this.report.errors ??= {})[which] = run.errorQuotes;
    }
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
  if (bench.baseline === 'none') return NO_ROLLOUT_REASONS.baselineNone;
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

interface MeasureResult {
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
  return `${m.errors} of the ${m.requests} measured request(s) that finished failed (${quoteErrors(run)}): check the model server and the endpoint before raising "timeout".`;
}

/** `timeout` after a rollout that runs: the benchmark, not the rollout, ran out, so no revert. */
function rolloutRunsOutOfTime(rolled: StepResult, message: string): StepResult {
  return { ...rolled, outcome: 'timeout', title: 'Timed out', rolloutRuns: true, message };
}

/** `at 3 of 16 measured requests`, for a run cut short. */
function howFar(run: BenchmarkRun, session: BenchmarkSession): string {
  const planned =
    run.measurement.requests + (run.measurement.cutOff ?? 0) + (run.samples.notStarted ?? 0);
  return `at ${run.measurement.requests} of ${Math.max(planned, session.settings.requests)} measured requests`;
}

/** Waits for the model to be listed, then runs the benchmark, within the step's deadline. */
async function measure(
  ctx: RunContext,
  session: BenchmarkSession,
  which: 'before' | 'after',
  deployment: Deployment | undefined,
  listWaitMs: number,
): Promise<MeasureResult> {
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
    more: which === 'before' ? baselineMore(ctx, session) : afterMoreOf(ctx, session),
  });
  session.record(which, run);
  // What was measured stays in the report; the cancel goes on up.
  if (run.stopped === 'cancelled') ctx.signal.throwIfAborted();
  return { run };
}

/** The baseline's `more`: another batch until it is precise enough for the relative limits. */
function baselineMore(ctx: RunContext, session: BenchmarkSession): (soFar: Measured) => number {
  return (soFar) => {
    if (baselineSettled(session.settings, soFar, session.plan.alpha)) return 0;
    const batch = nextBatch(session.plan, soFar.measurement.requests);
    if (batch > 0) {
      ctx.log.info(
        `The baseline is not yet precise enough for the relative fail-if limits: measuring ${batch} more request(s).`,
      );
    }
    return batch;
  };
}

/** The new rollout's `more`: another batch while a limit is inconclusive. */
function afterMoreOf(ctx: RunContext, session: BenchmarkSession): (soFar: Measured) => number {
  return afterMore(
    session.settings,
    session.plan,
    session.before,
    session.report.noBaseline,
    (open, batch) => {
      ctx.log.info(
        `Inconclusive so far: ${open.map(inconclusiveText).join('; ')}. Measuring ${batch} more request(s).`,
      );
    },
  );
}

/** `itl-p50 +20%: change +4.0% to +31.0%`. */
function inconclusiveText(v: LimitVerdict): string {
  const range = v.interval && v.of ? formatInterval(v.metric, v.interval, v.of) : 'no interval';
  return `${v.metric} ${v.limit}: ${v.of === 'change' ? 'change ' : ''}${range}`;
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
    if (rollsNothingOut(planned) && session.settings.onNoRollout === 'skip') {
      session.report.skipped = `the run rolls nothing out (${why}), so there is nothing to compare`;
      return undefined;
    }
    session.report.noBaseline = why;
    return session.settings.requireBaseline && why !== NO_ROLLOUT_REASONS.baselineNone
      ? refuseWithoutBaseline(ctx, planned, why)
      : undefined;
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
    if (session.settings.requireBaseline)
      return refuseWithoutBaseline(ctx, planned, session.report.noBaseline);
    ctx.log.warning(
      `The model that serves now could not be measured, so relative fail-if limits cannot be judged: ${measured.failure} Check smoke-url (the endpoint the benchmark calls) and smoke-api-key (its bearer key). The update is sent; set the benchmark's require-baseline: true to refuse deploying without a baseline.`,
      { title: 'No baseline' },
    );
  } else if (run?.stopped === 'deadline') {
    return timedOut(
      `ended the benchmark before the update ${howFar(run, session)}`,
      cutShortHint(run),
    );
  } else if (run && allFailed(run)) {
    // The model that serves now does not answer: nothing to compare with, but the update may be
    // what mends it, so it goes ahead.
    const failure = `every request of the benchmark before the update failed (${quoteErrors(run)})`;
    if (session.settings.requireBaseline) return refuseWithoutBaseline(ctx, planned, failure);
    ctx.log.warning(
      `Every request of the benchmark before the update failed (${quoteErrors(run)}): the model that serves now does not answer, so relative fail-if limits cannot be judged. Check smoke-url and smoke-api-key. The update is sent.`,
      { title: 'Baseline failed' },
    );
  }
  return undefined;
}

/** Why there is no baseline when the input asks for none. */
const NO_ROLLOUT_REASONS = { baselineNone: 'the benchmark input sets baseline: none' };

/** Whether the plan sends nothing that starts a rollout. */
function rollsNothingOut({ plan }: PlannedUpdate): boolean {
  return Object.keys(plan.body).length === 0 || plan.expectation === 'either';
}

/** require-baseline: the update is not sent without a baseline. */
function refuseWithoutBaseline(ctx: RunContext, planned: PlannedUpdate, why: string): StepResult {
  ctx.record.reason = 'no-baseline';
  return {
    outcome: 'smoke-failed',
    title: 'No baseline',
    deployment: planned.before,
    message: `No update was sent: the benchmark sets require-baseline, and there is no baseline: ${why}. Check smoke-url (the endpoint the benchmark calls) and smoke-api-key (its bearer key), or unset require-baseline to deploy without one.`,
  };
}

/** `the first: "…"; then: "…"`: the first one or two different errors of a run. */
export function quoteErrors(run: BenchmarkRun): string {
  const [first, second] = run.errorQuotes;
  if (first === undefined) return 'no error message';
  return `the first: ${first}${second === undefined ? '' : `; another: ${second}`}`;
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
    message: `The model is listed, but every benchmark request${cutShort ? ' that finished' : ''} failed (${quoteErrors(run)})${cutShort}. Check the deployment's logs in Northflank and the endpoint (smoke-url, smoke-api-key).`,
  };
}

/** The exceeded limits as the step's failure. */
function regressed(
  rolled: StepResult,
  exceeded: readonly LimitVerdict[],
  cutShort: string,
): StepResult {
  return {
    ...rolled,
    outcome: 'regressed',
    title: 'Serving regressed',
    message: `The new rollout serves worse than the benchmark's fail-if limits allow: ${exceeded.map(describeBreach).join('; ')}${cutShort}. Check what the update changed, or relax fail-if if this is expected.`,
  };
}

/** Each metric, before → after (change, interval), in the log. */
function logComparison(ctx: RunContext, session: BenchmarkSession): void {
  const confidence = session.report.gate?.lookConfidence ?? session.settings.confidence;
  for (const c of session.report.changes ?? []) {
    if (c.metric === 'error-rate') continue;
    ctx.log.info(`${c.metric}: ${describeChange(c, confidence)}`);
  }
}

/** An HTTP client error's status in a request's error, e.g. 400 of `HTTP 400: …`. */
function clientStatus(error: string | undefined): number | undefined {
  const match = /^HTTP (4\d\d):/.exec(error ?? '');
  return match ? Number(match[1]) : undefined;
}

/**
 * Every request failing after the rollout with the same client error (4xx) as before the update:
 * the requests are refused for a reason of their own (the prompt and max-tokens past the
 * context, a gateway's rate limit, a key), not because the rollout serves worse. The step
 * fails, names the cause, and does not revert.
 */
function sameClientError(
  session: BenchmarkSession,
  run: BenchmarkRun,
  rolled: StepResult,
): StepResult | undefined {
  const before = session.report.before;
  const beforeError = session.report.errors?.before?.[0];
  const status = clientStatus(run.firstError);
  if (!before || before.errors !== before.requests || status === undefined) return undefined;
  if (clientStatus(beforeError) !== status) return undefined;
  const hint =
    status === 429
      ? 'a rate limit in front of the model (a gateway) refuses the load: lower the concurrency, or point smoke-url past the gateway'
      : status === 401 || status === 403
        ? 'the key is refused: check smoke-api-key'
        : 'the request itself is refused: lower max-tokens or shorten the prompt (a context length limit), or check smoke-url';
  return {
    ...rolled,
    outcome: 'smoke-failed',
    title: 'Benchmark refused',
    rolloutRuns: true,
    message: `Every benchmark request was refused with HTTP ${status} before the update and after the rollout alike (${quoteErrors(run)}): nothing shows the rollout serves worse, so it is not reverted; ${hint}.`,
  };
}

/** The warning for limits still inconclusive at max-requests: not gated, and what would settle them. */
function warnInconclusive(ctx: RunContext, session: BenchmarkSession): void {
  const open = session.report.verdicts.filter((v) => v.status === 'inconclusive');
  if (open.length === 0) return;
  const each = open.map((v) => {
    const settle =
      v.settleRequests === undefined
        ? 'the change sits on the limit, so more requests may not settle it'
        : `about ${v.settleRequests} requests per side would settle it`;
    return `${inconclusiveText(v)} at ${percentText(v.confidence ?? session.settings.confidence)} (${settle})`;
  });
  ctx.log.warning(
    `Not gated: ${open.length === 1 ? 'a fail-if limit is' : `${open.length} fail-if limits are`} still inconclusive after ${session.report.after?.requests ?? 0} measured requests (max-requests ${session.settings.maxRequests}): ${each.join('; ')}. The interval spans the limit; raise max-requests, or widen the limit.`,
    { title: 'Benchmark inconclusive' },
  );
}

/**
 * The gate on a full run (or, `cut` set, a run the step's `timeout` cut short): the verdicts go
 * into the report, and every finished request failing or an exceeded limit fails the step.
 */
function gate(
  ctx: RunContext,
  session: BenchmarkSession,
  rolled: StepResult,
  run: BenchmarkRun,
  cut?: { message: string },
): StepResult | undefined {
  const { report } = session;
  const after: Measured = { measurement: run.measurement, samples: run.samples };
  const alpha = session.plan.alpha;
  report.gate = { looks: session.plan.looks, lookConfidence: 1 - alpha };
  report.verdicts = judgeLimits(
    session.settings.failIf,
    after,
    session.before,
    alpha,
    report.noBaseline,
  );
  if (session.before) report.changes = metricChanges(session.before, after, alpha);
  report.failed = breaches(report.verdicts);
  logComparison(ctx, session);
  if (allFailed(run)) {
    return (
      sameClientError(session, run, rolled) ?? everyRequestFailed(rolled, run, cut?.message ?? '')
    );
  }
  const exceeded = report.verdicts.filter((v) => v.status === 'exceeded');
  if (exceeded.length > 0) return regressed(rolled, exceeded, cut?.message ?? '');
  if (!cut) warnInconclusive(ctx, session);
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
  const message = `; the step's "timeout" (${formatDuration(ctx.settings.timeoutMs)}) cut the benchmark short ${howFar(run, session)}, judged with the requests cut off at their time so far (lower bounds of their latencies)`;
  const failed = gate(ctx, session, rolled, run, { message });
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
  if (
    report.skipped === undefined &&
    NO_ROLLOUT.has(rolled.outcome) &&
    session.settings.onNoRollout === 'skip' &&
    !session.judgeAfresh
  ) {
    report.skipped = `the run rolled nothing out (outcome ${rolled.outcome}), so there is nothing to compare`;
  }
  if (report.skipped !== undefined) {
    ctx.log.info(
      `Not benchmarked: ${report.skipped}. Set the benchmark's on-no-rollout: measure to benchmark anyway.`,
    );
    return rolled;
  }
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
  return gate(ctx, session, rolled, run) ?? rolled;
}
