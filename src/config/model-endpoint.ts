// The model's OpenAI-compatible endpoint that the smoke test and the benchmark both talk to:
// smoke-url (or the deployment's public URL), smoke-api-key and smoke-timeout, read once.
import type { Deployment } from '../northflank/schema.js';
import { publicUrl } from '../rollout/status.js';
import type { InputSources } from '../runner/deps.js';
import { input } from './input.js';
import { parseDurationInput, parseHttpUrl } from './scalars.js';
import { DEFAULT_SMOKE_TIMEOUT, type ModelEndpoint } from './settings.js';

/** Reads smoke-url and smoke-timeout; `apiKey` is smoke-api-key, read (and masked) already. */
export function parseModelEndpoint(sources: InputSources, apiKey: string): ModelEndpoint {
  const url = input(sources, 'smoke-url');
  return {
    url: url === '' ? undefined : parseHttpUrl('smoke-url', url),
    apiKey: apiKey || undefined,
    timeoutMs: parseDurationInput(
      'smoke-timeout',
      input(sources, 'smoke-timeout') || DEFAULT_SMOKE_TIMEOUT,
    ),
  };
}

/** The model's URL: smoke-url, or the public URL of `deployment` (undefined when it has none). */
export function modelUrl(
  endpoint: ModelEndpoint,
  deployment: Deployment | undefined,
): URL | undefined {
  if (endpoint.url) return endpoint.url;
  const url = deployment ? publicUrl(deployment) : '';
  return url ? new URL(url) : undefined;
}
