/**
 * `npm run demo`: the action's main job end to end, on this machine, with no account. Starts the
 * local Northflank API emulator, runs the bundled action against it exactly as a runner would
 * (a spec change from examples/model-spec.yaml), and shows its log, outputs and job summary.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEMO_DEPLOYMENT, startEmulator, emulatorInputs } from '../emulator/server.js';
import { ROOT, runAction } from './local-runner.js';

const emulator = await startEmulator({
  // A rollout of about 8 s with stale reads for the first second, like a real API can show.
  plan: { pendingMs: 1000, provisioningMs: 4000, startingMs: 3000 },
  staleReadMs: 1000,
});
console.log(`Northflank API emulator on ${emulator.url}`);
console.log(
  `Running dist/index.js: update ${DEMO_DEPLOYMENT.projectId}/${DEMO_DEPLOYMENT.id} with spec-file model-spec.yaml\n`,
);

const spec = readFileSync(path.join(ROOT, 'examples', 'model-spec.yaml'), 'utf8');
const run = await runAction({
  inputs: {
    ...emulatorInputs(emulator),
    'spec-file': 'model-spec.yaml',
    description: 'Qwen3 8B on one L4, deployed from git',
    'poll-interval': '2s',
    timeout: '2m',
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
