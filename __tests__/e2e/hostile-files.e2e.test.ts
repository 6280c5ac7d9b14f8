/**
 * A hostile spec-file through the bundled action, in the workspace the runner gives it
 * (GITHUB_WORKSPACE): a link out of it is refused. The other hostile files and specs run
 * in-process in hostile-files.scenario.test.ts.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { startHostileFiles, type HostileFiles } from '../helpers/twins.js';

let h: HostileFiles<'bundle'>;
beforeAll(async () => {
  h = await startHostileFiles('bundle');
});

describe('spec-file that is not a plain file in the workspace', () => {
  it('refuses a symlinked file that points outside the workspace, sending nothing of it', async () => {
    const run = await h.dryRun({ 'spec-file': 'deploy/spec.yaml' }, (ws) => {
      mkdirSync(path.join(ws, 'deploy'));
      symlinkSync(path.join(h.outside, 'secret.yaml'), path.join(ws, 'deploy', 'spec.yaml'));
    });
    h.expectInputError(run, /outside the workspace/);
    expect(run.stdout).not.toContain('outside-secret-model');
  });
});
