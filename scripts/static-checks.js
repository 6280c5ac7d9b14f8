// Prettier, ESLint and tsc at once: each is single-threaded, so side by side they take about as long
// as ESLint alone instead of the three in a row (npm test's first ~35 s on a 2-core machine).
// Plain JavaScript so it runs before anything is compiled. Output is buffered per check and
// printed in a fixed order, so a failure reads the same as when the three ran one after another.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import process from 'node:process';
import { Buffer } from 'node:buffer';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const checks = [
  {
    name: 'format:check (prettier)',
    args: ['node_modules/prettier/bin/prettier.cjs', '--check', '--log-level', 'warn', '.'],
    fix: 'npm run format',
  },
  { name: 'lint (eslint)', args: ['node_modules/eslint/bin/eslint.js', '.'], fix: 'npm run lint' },
  {
    name: 'typecheck (tsc)',
    args: ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.'],
    fix: 'npm run typecheck',
  },
];

/** Runs one check to its end, keeping stdout and stderr interleaved as it wrote them. */
function run(check) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, check.args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    child.on('error', (error) => resolve({ check, code: 1, output: String(error), ms: 0 }));
    child.on('close', (code, signal) =>
      resolve({
        check,
        code: code ?? (signal ? 1 : 0),
        output: Buffer.concat(chunks).toString('utf8'),
        ms: Date.now() - started,
      }),
    );
  });
}

const results = await Promise.all(checks.map(run));
let failed = 0;
for (const { check, code, output, ms } of results) {
  const verdict =
    code === 0 ? 'ok' : `FAILED (exit ${code}); run \`${check.fix}\` to see or fix it`;
  process.stdout.write(`${check.name}: ${verdict} in ${(ms / 1000).toFixed(1)} s\n`);
  if (output.trim() !== '') process.stdout.write(`${output.trimEnd()}\n`);
  if (code !== 0) failed += 1;
}
process.exitCode = failed === 0 ? 0 : 1;
