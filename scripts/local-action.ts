/**
 * `npm run local-action`: runs the action's TypeScript sources with GitHub's @github/local-action
 * (which stands in for the runner) against the local emulator, and checks that the rollout ran and
 * the outputs were set. The action writes its outputs to GITHUB_OUTPUT itself (src/runner/protocol.ts),
 * not through @actions/core, so local-action's own table of outputs stays empty: the file is read.
 * CI runs it once.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEMO_DEPLOYMENT, startEmulator } from '../emulator/server.js';
import { parseOutputFile, ROOT } from './local-runner.js';

const emulator = await startEmulator({
  plan: { pendingMs: 500, provisioningMs: 1000, startingMs: 1000 },
});
const scratch = mkdtempSync(path.join(tmpdir(), 'local-action-'));
const envFile = path.join(scratch, '.env');
const outputFile = path.join(scratch, 'github_output');
writeFileSync(outputFile, '');
writeFileSync(
  envFile,
  [
    `INPUT_API-TOKEN=${emulator.token}`,
    `INPUT_API-URL=${emulator.url}`,
    `INPUT_PROJECT-ID=${DEMO_DEPLOYMENT.projectId}`,
    `INPUT_DEPLOYMENT-ID=${DEMO_DEPLOYMENT.id}`,
    'INPUT_SPEC={"configuration": {"revision": "local-action"}}',
    'INPUT_POLL-INTERVAL=1s',
    'INPUT_TIMEOUT=2m',
    `GITHUB_OUTPUT=${outputFile}`,
    '',
  ].join('\n'),
);
console.log(
  `Emulator on ${emulator.url}; running: npx local-action run . src/main.ts ${envFile}\n`,
);
const output = await new Promise<string>((resolve, reject) => {
  execFile(
    'npx',
    ['local-action', 'run', '.', 'src/main.ts', envFile],
    { cwd: ROOT, timeout: 120_000 },
    (error, stdout, stderr) => {
      process.stdout.write(stdout);
      process.stderr.write(stderr);
      if (error) reject(new Error(`local-action failed: ${error.message}`));
      else resolve(stdout);
    },
  );
});
await emulator.close();
const posted = emulator.requests.filter((r) => r.method === 'POST').length;
const outputs = parseOutputFile(readFileSync(outputFile, 'utf8'));
if (
  !/Done in .*The new rollout is running/.test(output) ||
  outputs.outcome !== 'running' ||
  posted !== 1
) {
  console.error(
    `local-action run did not roll out as expected (updates sent: ${posted}, outcome output: ${outputs.outcome ?? 'not set'}).`,
  );
  process.exit(1);
}
console.log('\nlocal-action: the rollout ran and the outputs were set.');
