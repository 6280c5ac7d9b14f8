/** The smoke step: once the deployment serves, check that the model answers. */
import { formatDuration } from '../duration.js';
import { smokeTest } from '../model/probe.js';
import type { StepResult } from '../rollout/outcome.js';
import type { RunContext } from './context.js';

/** Probes the model of the rollout `rolled` ends on (if asked); a model that does not answer fails it. */
export async function smokeStep(ctx: RunContext, rolled: StepResult): Promise<StepResult> {
  const { clock, settings, startedMs } = ctx;
  const { smoke, model } = settings;
  if (!smoke || !model) return rolled;
  const deployment = rolled.deployment;
  const timeoutMs = model.timeoutMs;
  // `timeout` bounds the whole step: the smoke test gets what is left of it, at most smoke-timeout.
  const stepLeftMs = ctx.deadlineMs - clock.now();
  if (stepLeftMs <= 0) {
    return {
      ...rolled,
      outcome: 'timeout',
      title: 'Timed out',
      message: `Timed out after ${formatDuration(clock.now() - startedMs)}: the rollout finished, but no time was left for the smoke test. Raise the "timeout" input.`,
    };
  }
  const cut = stepLeftMs < timeoutMs;
  const url = ctx.modelUrl(deployment);
  if (!url) {
    return {
      ...rolled,
      outcome: 'smoke-failed',
      title: 'Smoke test failed',
      message:
        'The smoke test needs a URL: the deployment has no public HTTP port. Make one public, or set smoke-url.',
    };
  }
  const smoked = await smokeTest({
    url,
    expectedModel: deployment?.spec?.configuration?.name,
    timeoutMs: Math.min(timeoutMs, stepLeftMs),
    prompt: smoke.prompt,
    apiKey: model.apiKey,
    dispatcher: ctx.dispatcher,
    requestTimeoutMs: settings.requestTimeoutMs,
    clock,
    signal: ctx.signal,
    log: ctx.log,
  });
  const extra = {
    models: smoked.models,
    ...(smoked.reply === undefined ? {} : { reply: smoked.reply }),
  };
  if (smoked.ok) return { ...rolled, ...extra, message: `${rolled.message} ${smoked.message}` };
  return {
    ...rolled,
    ...extra,
    outcome: 'smoke-failed',
    title: 'Smoke test failed',
    message: cut
      ? `${smoked.message} The smoke test had only the ${formatDuration(stepLeftMs)} left of "timeout" (${formatDuration(settings.timeoutMs)}), which bounds the whole step; raise "timeout" to give it the full smoke-timeout.`
      : smoked.message,
  };
}
