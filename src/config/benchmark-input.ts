// The `benchmark` input: off, `true` (every default) or the load and limits as JSON or YAML.
import { parseBenchmarkSettings, type BenchmarkSettings } from '../model/benchmark-settings.js';
import type { InputSources } from '../runner/deps.js';
import { input } from './input.js';
import { parseStructured } from './structured.js';

/** The benchmark the inputs ask for, or undefined when `benchmark` is empty or false. */
export function parseBenchmark(sources: InputSources): BenchmarkSettings | undefined {
  const text = input(sources, 'benchmark');
  // The spellings of false that parseBoolean takes, and YAML's and JSON's false, are "off".
  if (text === '' || ['false', 'False', 'FALSE'].includes(text)) return undefined;
  const value = ['true', 'True', 'TRUE'].includes(text) ? true : parseStructured('benchmark', text);
  return parseBenchmarkSettings(value);
}
