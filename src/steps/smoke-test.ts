/** The smoke step: once the deployment serves, check that the model answers. */
import { createDispatcher } from '../http/request.js';
import type { RunDeps } from '../runner/deps.js';
import { formatDuration } from '../duration.js';
import type { Settings, SmokeSettings } from '../config/settings.js';
import { publicUrl } from '../rollout/status.js';
import { smokeTest } from '../model/probe.js';
import type { StepResult as Result } from './result.js';

export async function smokeStep(
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
