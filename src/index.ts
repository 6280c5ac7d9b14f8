import * as core from '@actions/core';
import { readFileSync } from 'node:fs';
import { systemClock } from './clock.js';
import { CancelledError } from './errors.js';
import { createLogger } from './log.js';
import { run, succeeded } from './main.js';

/** After a cancel, the runner kills the step 7.5 s after SIGINT; finish well before that. */
const CANCEL_GRACE_MS = 1500;

const cancel = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (cancel.signal.aborted) return;
    cancel.abort(new CancelledError(signal));
    // Reporting normally takes milliseconds; if anything hangs, leave anyway, non-zero.
    setTimeout(() => process.exit(1), CANCEL_GRACE_MS).unref();
  });
}

const log = createLogger();

const report = await run({
  inputs: {
    getInput: (name) => core.getInput(name, { trimWhitespace: false }),
    setSecret: (value) => {
      core.setSecret(value);
    },
    readFile: (file) => readFileSync(file, 'utf8'),
    workspace: process.env.GITHUB_WORKSPACE ?? process.cwd(),
  },
  clock: systemClock,
  random: Math.random,
  signal: cancel.signal,
  log,
  outputs: {
    setOutput: (name, value) => {
      // Without GITHUB_OUTPUT, core.setOutput prints a ::set-output command with the value on
      // stdout, where API text could carry a `##[` command; such a runner gets no outputs.
      if (process.env.GITHUB_OUTPUT) core.setOutput(name, value);
      else log.debug(`GITHUB_OUTPUT is not set; output ${name} not written`);
    },
  },
  summary: {
    write: async (markdown) => {
      if (!process.env.GITHUB_STEP_SUMMARY) return;
      await core.summary.addRaw(markdown, true).write();
    },
  },
});
// Not process.exit(): on some platforms that cuts off stdout still being written to a pipe.
// run() closes its connections, so the process ends by itself.
process.exitCode = succeeded(report) ? 0 : 1;
