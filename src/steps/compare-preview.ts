/**
 * The side-by-side benchmark of a preview: the same load sent to the preview and to production
 * at the same time, at the same concurrency, so both meet the same moment of the network and the
 * same prompts; the preview is judged with production as its baseline. Production is only read.
 */
import { modelUrl } from '../config/model-endpoint.js';
import { runBenchmark, type BenchmarkRun } from '../model/benchmark.js';
import { describeBreach } from '../model/gate.js';
import { comparePreviewWithProduction } from '../model/preview-comparison.js';
import { smokeTest } from '../model/probe.js';
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
  ctx.log.info(
    `Sending the same load to the preview (${previewUrl.href}) and production (${productionUrl.href}) at once: ${session.settings.requests} request(s) each at concurrency ${session.settings.concurrency}.`,
  );
  const [preview, prod] = await Promise.all([
    measureOne(ctx, previewUrl, rolled.deployment),
    measureOne(ctx, productionUrl, production),
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
  const judged = comparePreviewWithProduction(preview, prod, session.settings.failIf);
  record.comparison = {
    preview: preview.measurement,
    production: prod.measurement,
    ...judged,
    requests: session.settings.requests,
    concurrency: session.settings.concurrency,
  };
  if (judged.failed.length === 0) {
    return {
      ...rolled,
      message: `${rolled.message} Benchmarked beside production: every limit held.`,
    };
  }
  const broken = judged.verdicts.filter((v) => v.status === 'breached').map(describeBreach);
  return {
    ...rolled,
    outcome: 'regressed',
    rolloutRuns: true,
    message: `${rolled.message} Beside production, the preview serves worse than fail-if allows: ${broken.join('; ')}.`,
  };
}

async function measureOne(
  ctx: RunContext,
  url: URL,
  deployment: Deployment | undefined,
): Promise<BenchmarkRun | string> {
  const session = ctx.benchmark;
  if (!session) return 'no benchmark';
  const common = {
    apiKey: session.endpoint.apiKey,
    dispatcher: ctx.dispatcher,
    requestTimeoutMs: ctx.settings.requestTimeoutMs,
    clock: ctx.clock,
    signal: ctx.signal,
    log: ctx.log,
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
    settings: session.settings,
    deadlineMs: ctx.deadlineMs,
    now: () => performance.now(),
    ignoreEos: session.ignoreEos,
  });
  if (run.stopped === 'cancelled') ctx.signal.throwIfAborted();
  return run;
}
