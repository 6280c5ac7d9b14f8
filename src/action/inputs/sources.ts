// Where the inputs come from; passed in, so tests give a map instead of the runner's environment.

/** Where inputs come from: `inputValue` of runner.ts in the action, a map in tests. */
export interface InputSources {
  /** The raw value of an input, '' when not given. */
  getInput(name: string): string;
  /** Masks a value in the log; called on the token before anything else happens. */
  setSecret(value: string): void;
  /** Reads a file's text; used for `spec-file`. */
  readFile(absolutePath: string): string;
  /** The workspace that `spec-file` is relative to. */
  workspace: string;
}
