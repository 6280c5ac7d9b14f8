// Prettier, ESLint and tsc at once: each is single-threaded, so side by side they take about as long
// as ESLint alone instead of the three in a row. Plain JavaScript so it runs before anything is
// compiled. Output is buffered per check and printed in a fixed order, so a failure reads the same
// as when the three ran one after another. `npm test` runs them alongside Jest (scripts/test.js);
// run directly, they run on their own.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import process from 'node:process';
import { Buffer } from 'node:buffer';
import { setPriority } from 'node:os';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Prettier and tsc keep what they learnt in node_modules/.cache (which `npm ci` clears), so that a
// second run checks only what changed: Prettier keys each file's entry by its content, Prettier's
// version and the options; tsc's build info follows the imports, so a file whose dependency changed
// is checked again. ESLint gets no cache: its typed rules read other files' types, which its
// per-file cache cannot see change.
const cache = path.join(root, 'node_modules', '.cache');
const checks = [
  {
    id: 'prettier',
    name: 'format:check (prettier)',
    args: [
      'node_modules/prettier/bin/prettier.cjs',
      '--check',
      '--log-level',
      'warn',
      '--cache',
      '--cache-strategy',
      'content',
      '--cache-location',
      path.join(cache, 'prettier', 'static-checks.json'),
      '.',
    ],
    fix: 'npm run format',
  },
  {
    id: 'eslint',
    name: 'lint (eslint)',
    args: ['node_modules/eslint/bin/eslint.js', '.'],
    fix: 'npm run lint',
  },
  {
    id: 'tsc',
    name: 'typecheck (tsc)',
    args: [
      'node_modules/typescript/bin/tsc',
      '--noEmit',
      '-p',
      '.',
      '--incremental',
      '--tsBuildInfoFile',
      path.join(cache, 'tsc', 'static-checks.tsbuildinfo'),
    ],
    fix: 'npm run typecheck',
  },
];

/** Runs one check to its end, keeping stdout and stderr interleaved as it wrote them. */
function run(check, niceness) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, check.args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (niceness && child.pid !== undefined) {
      try {
        setPriority(child.pid, niceness);
      } catch {
        // Not allowed here: the check runs at the usual priority, only slower for the others.
      }
    }
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

/**
 * Runs the three checks side by side, each at `niceness[id]` (by default the usual priority), and
 * resolves with their report: one line per check with its time, the check's output when it has
 * any, and the names of those that failed.
 */
export async function runStaticChecks(niceness = {}) {
  const results = await Promise.all(checks.map((check) => run(check, niceness[check.id] ?? 0)));
  let text = '';
  const failed = [];
  for (const { check, code, output, ms } of results) {
    const verdict =
      code === 0 ? 'ok' : `FAILED (exit ${code}); run \`${check.fix}\` to see or fix it`;
    text += `${check.name}: ${verdict} in ${(ms / 1000).toFixed(1)} s\n`;
    if (output.trim() !== '') text += `${output.trimEnd()}\n`;
    if (code !== 0) failed.push(check);
  }
  return { text, failed };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { text, failed } = await runStaticChecks();
  process.stdout.write(text);
  process.exitCode = failed.length === 0 ? 0 : 1;
}
