// The `benchmark` input and the model endpoint it measures (smoke-url, smoke-api-key), parsed
// whether or not smoke-test is on.
import { parseBenchmarkSettings } from '../model/benchmark-settings.js';
import { parseDurationInput, parseHttpUrl } from './scalars.js';
import { DEFAULT_SMOKE_TIMEOUT, type BenchmarkInput } from './settings.js';
import type { InputSources } from '../runner/deps.js';
import { parseStructured } from './structured.js';

/** The benchmark the inputs ask for, or undefined when `benchmark` is empty or false. */
export function parseBenchmark(sources: InputSources): BenchmarkInput | undefined {
  const input = (name: string): string => sources.getInput(name).trim();
  const text = input('benchmark');
  // The spellings of false that parseBoolean takes, and YAML's and JSON's false, are "off".
  if (text === '' || ['false', 'False', 'FALSE'].includes(text)) return undefined;
  const value = ['true', 'True', 'TRUE'].includes(text) ? true : parseStructured('benchmark', text);
  const load = parseBenchmarkSettings(value);
  if (!load) return undefined;
  const url = input('smoke-url');
  return {
    load,
    url: url === '' ? undefined : parseHttpUrl('smoke-url', url),
    apiKey: input('smoke-api-key') || undefined,
    listTimeoutMs: parseDurationInput(
      'smoke-timeout',
      input('smoke-timeout') || DEFAULT_SMOKE_TIMEOUT,
    ),
  };
}
