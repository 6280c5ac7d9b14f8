/**
 * A hostile spec-file through the bundled action, in the workspace the runner gives it
 * (GITHUB_WORKSPACE): a link out of it is refused. The other hostile files and specs run
 * in-process in hostile-files.scenario.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startEmulator, type Emulator, emulatorInputs } from '../emulator/server.js';
import { leaks, runAction, type ActionRun } from './helpers/action.js';

let emu: Emulator;
let outside: string;
beforeAll(async () => {
  emu = await startEmulator();
  outside = mkdtempSync(path.join(tmpdir(), 'nf-outside-'));
  writeFileSync(
    path.join(outside, 'secret.yaml'),
    'configuration:\n  name: outside-secret-model\n',
  );
});
afterAll(async () => {
  await emu.close();
});

async function dryRun(
  inputs: Record<string, string>,
  prepare?: (workspace: string) => void,
  files?: Record<string, string>,
): Promise<ActionRun> {
  return runAction({
    inputs: { ...emulatorInputs(emu), 'dry-run': 'true', ...inputs },
    ...(prepare ? { prepare } : {}),
    ...(files ? { files } : {}),
  });
}

function expectInputError(run: ActionRun, message: RegExp): void {
  expect(run.code).toBe(1);
  expect(run.stdout).toMatch(/^::error title=Invalid input::Input "spec-file" is invalid/m);
  expect(run.stdout).toMatch(message);
  expect(run.outputs.outcome).toBe('error');
  expect(run.summary).not.toBe('');
  expect(leaks(run, emu.token)).toEqual([]);
}

describe('spec-file that is not a plain file in the workspace', () => {
  it('refuses a symlinked file that points outside the workspace, sending nothing of it', async () => {
    const run = await dryRun({ 'spec-file': 'deploy/spec.yaml' }, (ws) => {
      mkdirSync(path.join(ws, 'deploy'));
      symlinkSync(path.join(outside, 'secret.yaml'), path.join(ws, 'deploy', 'spec.yaml'));
    });
    expectInputError(run, /outside the workspace/);
    expect(run.stdout).not.toContain('outside-secret-model');
  });
});
