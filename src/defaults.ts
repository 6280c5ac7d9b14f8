import * as core from '@actions/core';
import { systemClock } from './clock.js';
import { MAX_INPUT_BYTES, readWorkspaceFile } from './files.js';
import { createLogger } from './log.js';
import type { RunDeps } from './main.js';

/** The real world for `run()`: @actions/core, the system clock, this process's environment. */
export function defaultDeps(signal: AbortSignal = new AbortController().signal): RunDeps {
  const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
  return {
    inputs: {
      getInput: (name) => core.getInput(name, { trimWhitespace: false }),
      setSecret: (value) => {
        core.setSecret(value);
      },
      readFile: (file) => readWorkspaceFile(workspace, file, MAX_INPUT_BYTES),
      workspace,
    },
    clock: systemClock,
    random: Math.random,
    signal,
    log: createLogger(),
    outputs: {
      setOutput: (name, value) => {
        // Without GITHUB_OUTPUT, core.setOutput prints a ::set-output command with the value on
        // stdout; core escapes %, CR and LF there but not `##[`, which API text could carry.
        core.setOutput(
          name,
          process.env.GITHUB_OUTPUT ? value : value.replace(/##\[/g, '#\u200B#['),
        );
      },
    },
    summary: {
      write: async (markdown) => {
        if (!process.env.GITHUB_STEP_SUMMARY) return;
        await core.summary.addRaw(markdown, true).write();
      },
    },
  };
}
