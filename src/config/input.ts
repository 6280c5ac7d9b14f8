// The one way an input is read: what the runner passed, with surrounding white space dropped.
import type { InputSources } from '../runner/deps.js';

/** The value of input `name`, trimmed; '' when it is not given. */
export function input(sources: InputSources, name: string): string {
  return sources.getInput(name).trim();
}
