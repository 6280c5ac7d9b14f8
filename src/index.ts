import { defaultDeps } from './runner/deps.js';
import { CancelledError } from './errors.js';
import { run, succeeded } from './main.js';
import { mapStackTraces } from './stack.js';
import { setV8Flags } from './v8-flags.js';

// After the imports, so that Node's built-ins keep their code cache (see v8-flags.ts).
setV8Flags();
mapStackTraces();

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

// No top-level await: the bundle is CommonJS (see scripts/bundle.ts).
void run(defaultDeps(cancel.signal)).then((report) => {
  // Not process.exit(): on some platforms that cuts off stdout still being written to a pipe.
  // run() closes its connections, so the process ends by itself.
  process.exitCode = succeeded(report) ? 0 : 1;
});
