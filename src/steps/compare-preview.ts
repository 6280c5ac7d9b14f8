/**
 * The side-by-side benchmark of a preview: the same load sent to the preview and to production
 * at the same time, at the same concurrency, so both meet the same moment of the network and the
 * same prompts; the preview is judged with production as its baseline. Production is only read.
 */
import { modelUrl } from '../config/model-endpoint.js';
import { runBenchmark, type BenchmarkRun } from '../model/benchmark.js';
import type { BenchmarkSettings } from '../model/benchmark-settings.js';
import { measuredOf } from '../model/benchmark.js';
import {
  describeBreach,
  formatInterval,
  percentText,
  type LimitVerdict,
  type Measured,
} from '../model/gate.js';
import { gatePlan, undecided } from '../model/looks.js';
import {
  comparePreviewWithProduction,
  type PreviewJudgement,
} from '../model/preview-comparison.js';
import type { RequestRecord } from '../model/stream-request.js';
import { smokeTest } from '../model/probe.js';
import type { Logger } from '../log.js';
import type { Deployment } from '../northflank/schema.js';
import type { StepResult } from '../rollout/outcome.js';
import type { RunContext } from './context.js';

/** Benchmarks the preview and production together; a breach of a limit fails the step. */
export async function comparePreviewStep(ctx: RunContext, rolled: StepResult): Promise<StepResult> {
  const session = ctx.benchmark;
  const record = ctx.record.preview;
  const endpoint = ctx.settings.model;
  if (!session || !record || !endpoint) return rolled;
  const production = await ctx.api.forDeployment(record.production).getDeployment();
  const previewUrl = ctx.modelUrl(rolled.deployment);
  const productionUrl = modelUrl(endpoint, production);
  if (!previewUrl || !productionUrl) {
    ctx.log.warning(
      `Not benchmarked: ${previewUrl ? 'production' : 'the preview'} has no public HTTP port to measure; set ${previewUrl ? 'smoke-url' : 'preview-smoke-url'}.`,
    );
    return rolled;
  }
  const settings = session.settings;
  const plan = gatePlan(settings);
  ctx.log.info(
    `Sending the same load to the preview (${previewUrl.href}) and production (${productionUrl.href}) at once: ${settings.requests} request(s) each at concurrency ${settings.concurrency}, up to ${settings.maxRequests} while a limit is inconclusive.`,
  );
  const sides = { preview: new Side(settings.maxTokens), production: new Side(settings.maxTokens) };
  let batch = plan.looks[0] ?? settings.requests;
  let judged: PreviewJudgement | undefined;
  for (let look = 0; batch > 0; look++) {
    // Warm-up once: the later looks continue on models already warm.
    const round = { ...settings, requests: batch, warmup: look === 0 ? settings.warmup : 0 };
    const [preview, prod] = await Promise.all([
      measureOne(ctx, previewUrl, rolled.deployment, round, 'Preview'),
      measureOne(ctx, productionUrl, production, round, 'Production'),
    ]);
    if (typeof preview === 'string' || typeof prod === 'string') {
      const failure =
        typeof preview === 'string'
          ? `the preview: ${preview}`
          : `production: ${typeof prod === 'string' ? prod : 'unknown'}`;
      return {
        ...rolled,
        outcome: 'smoke-failed',
        message: `${rolled.message} The side-by-side benchmark could not measure ${failure}`,
      };
    }
    const cut = preview.stopped !== undefined || prod.stopped !== undefined;
    // A later look cut short is set aside: the looks before it are whole, fair samples.
    if (cut && look > 0) {
      ctx.log.info(
        `The look at ${sides.preview.requests + batch} request(s) each was cut short: judged on the ${sides.preview.requests} before it.`,
      );
      break;
    }
    sides.preview.add(preview);
    sides.production.add(prod);
    judged = comparePreviewWithProduction(
      sides.preview.measured(),
      sides.production.measured(),
      settings.failIf,
      plan,
    );
    if (cut) break;
    batch = judged.more;
    if (batch > 0) {
      ctx.log.info(
        `Inconclusive (${undecided(judged.verdicts)
          .map((v) => v.metric)
          .join(', ')}): ${batch} more request(s) each.`,
      );
    }
  }
  if (!judged) return rolled;
  record.comparison = {
    preview: sides.preview.measured().measurement,
    production: sides.production.measured().measurement,
    verdicts: judged.verdicts,
    changes: judged.changes,
    failed: judged.failed,
    confidence: 1 - plan.alpha,
    requests: sides.preview.requests,
    concurrency: settings.concurrency,
  };
  const open = judged.verdicts.filter((v) => v.status === 'inconclusive');
  if (judged.failed.length === 0 && open.length > 0) {
    ctx.log.warning(
      `Benchmark beside production inconclusive at ${sides.preview.requests} request(s) each, not gated: ${open.map(inconclusiveText).join('; ')}.`,
      { title: 'Benchmark inconclusive' },
    );
  }
  if (judged.failed.length === 0) {
    return {
      ...rolled,
      message: `${rolled.message} Benchmarked beside production: ${open.length > 0 ? 'no limit exceeded (some inconclusive)' : 'every limit held'}.`,
    };
  }
  const broken = judged.verdicts.filter((v) => v.status === 'exceeded').map(describeBreach);
  return {
    ...rolled,
    outcome: 'regressed',
    rolloutRuns: true,
    message: `${rolled.message} Beside production, the preview serves worse than fail-if allows: ${broken.join('; ')}.`,
  };
}

/** One side's looks so far, merged into one measurement with its samples. */
class Side {
  private readonly records: RequestRecord[] = [];
  private wallMs = 0;
  private first: Measured | undefined;
  private looks = 0;
  constructor(private readonly maxTokens: number) {}

  /** Requests measured so far. */
  get requests(): number {
    return this.records.length;
  }

  add(run: BenchmarkRun): void {
    this.looks++;
    this.first ??= { measurement: run.measurement, samples: run.samples };
    this.records.push(...run.records);
    this.wallMs += run.samples.wallMs;
  }

  measured(): Measured {
    // One look: as the run measured it (with its cut, if timeout cut it short).
    if (this.looks === 1 && this.first) return this.first;
    return measuredOf(this.records, this.wallMs, undefined, 0, this.maxTokens);
  }
}

function inconclusiveText(v: LimitVerdict): string {
  const range =
    v.interval && v.of && v.confidence !== undefined
      ? ` (${percentText(v.confidence)} interval ${formatInterval(v.metric, v.interval, v.of)})`
      : '';
  const settle = v.settleRequests
    ? `, about ${v.settleRequests} request(s) each would settle it`
    : '';
  return `${v.metric} ${v.limit}${range}${settle}`;
}

async function measureOne(
  ctx: RunContext,
  url: URL,
  deployment: Deployment | undefined,
  settings: BenchmarkSettings,
  side: string,
): Promise<BenchmarkRun | string> {
  const session = ctx.benchmark;
  if (!session) return 'no benchmark';
  const common = {
    apiKey: session.endpoint.apiKey,
    dispatcher: ctx.dispatcher,
    requestTimeoutMs: ctx.settings.requestTimeoutMs,
    clock: ctx.clock,
    signal: ctx.signal,
    // Both sides log at once: each line says whose it is.
    log: labelled(ctx.log, side),
  };
  const model = deployment?.spec?.configuration?.name;
  const listed = await smokeTest({
    ...common,
    url,
    expectedModel: model,
    timeoutMs: Math.min(session.endpoint.timeoutMs, Math.max(0, ctx.deadlineMs - ctx.clock.now())),
    prompt: undefined,
  });
  if (!listed.ok) return listed.message;
  const run = await runBenchmark({
    ...common,
    base: url.href.replace(/\/+$/, ''),
    model: model ?? listed.models[0] ?? '',
    settings,
    deadlineMs: ctx.deadlineMs,
    now: () => performance.now(),
    ignoreEos: session.ignoreEos,
  });
  if (run.stopped === 'cancelled') ctx.signal.throwIfAborted();
  return run;
}

/** A logger whose lines start with `label: `, for two runs that log side by side. */
function labelled(log: Logger, label: string): Logger {
  const said = (message: string): string => `${label}: ${message}`;
  return {
    info: (m) => {
      log.info(said(m));
    },
    debug: (m) => {
      log.debug(said(m));
    },
    warning: (m, o) => {
      log.warning(said(m), o);
    },
    error: (m, o) => {
      log.error(said(m), o);
    },
    notice: (m, o) => {
      log.notice(said(m), o);
    },
    group: (name, fn) => log.group(name, fn),
  };
}
