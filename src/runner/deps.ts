import { systemClock } from '../clock.js';
import { MAX_INPUT_BYTES, readWorkspaceFile } from './files.js';
import { createLogger } from './logger.js';
import { appendSummary, inputValue, setOutput, setSecret } from './protocol.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { RunnerEnv } from './event.js';

/** Where inputs come from: `inputValue` of protocol.ts in the action, a map in tests. */
export interface InputSources {
  /** The raw value of an input, '' when not given. */
  getInput(name: string): string;
  /** Masks a value in the log; called on the token before anything else happens. */
  setSecret(value: string): void;
  /** Reads a file's text; used for `spec-file`. */
  readFile(absolutePath: string): string;
  /** The workspace that `spec-file` is relative to. */
  workspace: string;
  /** The environment's variable names, to find `INPUT_*` of inputs the action does not have. */
  variableNames?: () => string[];
}

/** Where outputs go: `setOutput` of protocol.ts in the action. */
export interface OutputSink {
  setOutput(name: string, value: string): void;
}

/** Where the summary goes: `appendSummary` of protocol.ts in the action. */
export interface SummarySink {
  write(markdown: string): Promise<void>;
}

/** Everything `run` touches outside itself, so tests can drive it without module mocks. */
export interface RunDeps {
  inputs: InputSources;
  clock: Clock;
  random: () => number;
  /** Aborts when the workflow is cancelled. */
  signal: AbortSignal;
  log: Logger;
  outputs: OutputSink;
  summary: SummarySink;
  /** The runner's environment (event, repository, GitHub API); none when not given. */
  env?: RunnerEnv;
}

/** The real world for `run()`: the runner's protocol, the system clock, this process's environment. */
export function defaultDeps(signal: AbortSignal = new AbortController().signal): RunDeps {
  const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
  return {
    inputs: {
      getInput: (name) => inputValue(process.env, name),
      setSecret: (value) => {
        setSecret(value);
      },
      readFile: (file) => readWorkspaceFile(workspace, file, MAX_INPUT_BYTES),
      workspace,
      variableNames: () => Object.keys(process.env),
    },
    clock: systemClock,
    random: Math.random,
    signal,
    log: createLogger(),
    outputs: {
      setOutput: (name, value) => {
        // Without GITHUB_OUTPUT, setOutput prints a ::set-output command with the value on
        // stdout; it escapes %, CR and LF there but not `##[`, which API text could carry.
        setOutput(
          name,
          process.env.GITHUB_OUTPUT ? value : value.replace(/##\[/g, '#\u200B#['),
          process.env,
        );
      },
    },
    summary: {
      write: (markdown) => appendSummary(markdown, process.env),
    },
    env: process.env,
  };
}
