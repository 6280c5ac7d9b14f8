/**
 * `npm run demo`: the action's main job end to end, on this machine, with no account. Starts the
 * local Northflank API emulator, runs the bundled action against it exactly as a runner would
 * (a spec change from examples/model-spec.yaml), and shows its log, outputs and job summary.
 *
 * `npm run demo -- --crash`: the failure path instead. The new rollout crashes; with
 * `revert-on-failure` the action sends the previous values back, waits for that rollout, and the
 * step fails with outcome `reverted` (exit code 1, as on a runner).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEMO_DEPLOYMENT, startEmulator, emulatorInputs } from '../emulator/server.js';
import { ROOT, runAction } from './local-runner.js';

const USAGE = `Usage: npm run demo [-- --crash]

  (no option)  a rollout that runs (about 15 s)
  --crash      a rollout that crashes and is reverted, and the failure's summary (about 20 s)
`;

const args = process.argv.slice(2);
if (args.some((a) => a !== '--crash')) {
  process.stderr.write(
    args.includes('--help') || args.includes('-h') ? USAGE : `demo: unknown option\n${USAGE}`,
  );
  process.exit(args.includes('--help') || args.includes('-h') ? 0 : 2);
}
const crash = args.includes('--crash');

// A rollout of about 8 s with stale reads for the first second, like a real API can show.
const ROLLOUT = { pendingMs: 1000, provisioningMs: 4000, startingMs: 3000 };
const emulator = await startEmulator({
  plan: ROLLOUT,
  // With --crash, the update's rollout crashes once it starts; the revert's rollout runs.
  plans: crash ? [{ ...ROLLOUT, ending: 'crashed' }] : [],
  staleReadMs: 1000,
});
console.log(`Northflank API emulator on ${emulator.url}`);
console.log(
  `Running dist/index.js: update ${DEMO_DEPLOYMENT.projectId}/${DEMO_DEPLOYMENT.id} with spec-file model-spec.yaml${crash ? '; the emulator crashes the new rollout, and revert-on-failure is on' : ''}\n`,
);

// The crash demo changes only settings the deployment already has, so the revert puts all back.
const spec = crash
  ? 'configuration:\n  name: Qwen/Qwen3-8B\n  nodeConfiguration:\n    storage: { storageSize: 20480 }\n'
  : readFileSync(path.join(ROOT, 'examples', 'model-spec.yaml'), 'utf8');
const run = await runAction({
  inputs: {
    ...emulatorInputs(emulator),
    'spec-file': 'model-spec.yaml',
    'poll-interval': '2s',
    timeout: '2m',
    ...(crash ? { 'revert-on-failure': 'true', 'revert-timeout': '1m' } : {}),
  },
  files: { 'model-spec.yaml': spec },
  echo: process.stdout,
});
await emulator.close();

console.log(`\n--- exit code ${String(run.code)}; outputs ---`);
for (const [name, value] of Object.entries(run.outputs)) {
  console.log(`${name} = ${value.length > 160 ? `${value.slice(0, 160)}…` : value}`);
}
console.log('\n--- job summary (Markdown) ---');
console.log(run.summary);
console.log(
  `--- the emulator received ${String(emulator.requests.length)} requests: ${emulator.requests.map((r) => `${r.method} ${String(r.status)}`).join(', ')}`,
);
process.exitCode = run.code ?? 1;
