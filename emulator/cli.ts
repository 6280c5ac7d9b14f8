/**
 * `npm run emulator`: the local Northflank API emulator on its own, for running the action by
 * hand (for example with @github/local-action). Rollout timings come from the environment.
 */
import { DEMO_DEPLOYMENT, startEmulator } from './server.js';

const ms = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const emulator = await startEmulator({
  port: ms('EMULATOR_PORT', 8787),
  plan: {
    pendingMs: ms('EMULATOR_PENDING_MS', 2000),
    provisioningMs: ms('EMULATOR_PROVISIONING_MS', 5000),
    startingMs: ms('EMULATOR_STARTING_MS', 5000),
  },
  staleReadMs: ms('EMULATOR_STALE_MS', 1000),
});
console.log(`Northflank API emulator listening on ${emulator.url}`);
console.log(`  token:      ${emulator.token}`);
console.log(
  `  project-id: ${DEMO_DEPLOYMENT.projectId}   team-id: ${DEMO_DEPLOYMENT.teamId}   deployment-id: ${DEMO_DEPLOYMENT.id}`,
);
const stop = (): void => {
  void emulator.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
