// `npm test`: the static checks (Prettier, ESLint, tsc) and Jest at once. Jest's workers spend
// much of their time waiting on real timers, sockets and child processes (the black-box tests), so
// the checks, at a low priority, run in that idle time instead of ahead of Jest: a 2-core machine
// finishes both in about Jest's time alone, and the tests keep the CPU when they need it.
//
// The output reads as when they ran one after the other: the checks' report first, then Jest's
// (held back until the checks are done, then passed on as it comes), Jest's tally last. Arguments
// go to Jest (`npm test -- __tests__/unit`). Plain JavaScript so it runs before anything is compiled.
import { spawn } from 'node:child_process';
import process from 'node:process';
import { runStaticChecks } from './static-checks.js';

/**
 * The checks' priorities: below Jest's, so that a busy test keeps most of a contended core (nice
 * 10 weighs about a tenth of nice 0). ESLint, the longest by far (about 26 s of CPU), at nice 5:
 * lower, beside three workers with a cold cache, it starved until Jest had finished and then ran
 * on alone.
 */
const NICENESS = { prettier: 10, tsc: 10, eslint: 5 };

if (!process.env.npm_execpath) {
  process.stderr.write('Run the tests with `npm test`.\n');
  process.exit(2);
}

const env = { ...process.env };
// Jest writes to a pipe here: keep its colours where the terminal shows them.
if (process.stderr.isTTY && env.FORCE_COLOR === undefined && env.NO_COLOR === undefined) {
  env.FORCE_COLOR = '1';
}
const jest = spawn(
  process.execPath,
  [process.env.npm_execpath, 'run', '-s', 'jest', '--', ...process.argv.slice(2)],
  { stdio: ['inherit', 'pipe', 'pipe'], env },
);

// Until the checks' report is out, Jest's output waits here, in the order it was written.
let held = [];
const pass = (stream) => (chunk) => {
  if (held) held.push([stream, chunk]);
  else stream.write(chunk);
};
jest.stdout.on('data', pass(process.stdout));
jest.stderr.on('data', pass(process.stderr));
const jestDone = new Promise((resolve) => {
  jest.on('error', (error) => {
    process.stderr.write(`Could not start Jest: ${String(error)}\n`);
    resolve(1);
  });
  jest.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    jest.kill(signal);
    process.exitCode = 1;
  });
}

const checks = await runStaticChecks(NICENESS);
process.stdout.write(checks.text);
for (const [stream, chunk] of held) stream.write(chunk);
held = undefined;

const jestCode = await jestDone;
if (checks.failed.length > 0) {
  // Jest's tally is the last thing printed; a failed check must not hide above a green one.
  const names = checks.failed.map((check) => `${check.name} (\`${check.fix}\`)`).join(', ');
  process.stdout.write(`Static checks failed: ${names}; see their output above the tests.\n`);
}
process.exitCode = jestCode === 0 && checks.failed.length === 0 ? 0 : 1;
