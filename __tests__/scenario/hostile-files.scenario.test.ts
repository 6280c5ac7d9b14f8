/**
 * spec-file, spec and ports from a careless or hostile author (README recommends dry-run on pull
 * requests, whose author controls spec-file): bounded, refused before reading, clear. `run()`
 * runs in-process on a fake clock; hostile-files.e2e.test.ts runs the bundle on a link out of
 * the workspace the runner gives it.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { startHostileFiles, type HostileFiles } from '../helpers/twins.js';

let h: HostileFiles<'in-process'>;
beforeAll(async () => {
  h = await startHostileFiles('in-process');
});

describe('spec-file that is not a plain file in the workspace', () => {
  it('refuses a symlink to /dev/zero at once, without reading it', async () => {
    const before = h.world.emu.requests.length;
    const run = await h.dryRun({ 'spec-file': 'spec.yaml' }, (ws) => {
      symlinkSync('/dev/zero', path.join(ws, 'spec.yaml'));
    });
    h.expectInputError(run, /is a link to \/dev\/zero, outside the workspace/);
    expect(run.wallMs).toBeLessThan(5000);
    expect(h.world.emu.requests.length).toBe(before);
  });

  it('refuses a FIFO without hanging', async () => {
    const run = await h.dryRun({ 'spec-file': 'spec.yaml' }, (ws) => {
      execFileSync('mkfifo', [path.join(ws, 'spec.yaml')]);
    });
    h.expectInputError(run, /is not a regular file \(a FIFO\)/);
    expect(run.wallMs).toBeLessThan(5000);
  });

  it('refuses a symlinked file that points outside the workspace, sending nothing of it', async () => {
    const run = await h.dryRun({ 'spec-file': 'deploy/spec.yaml' }, (ws) => {
      mkdirSync(path.join(ws, 'deploy'));
      symlinkSync(path.join(h.outside, 'secret.yaml'), path.join(ws, 'deploy', 'spec.yaml'));
    });
    h.expectInputError(run, /outside the workspace/);
    expect(run.stdout).not.toContain('outside-secret-model');
  });

  it('refuses a file under a symlinked directory that points outside the workspace', async () => {
    const run = await h.dryRun({ 'spec-file': 'linked/secret.yaml' }, (ws) => {
      symlinkSync(h.outside, path.join(ws, 'linked'));
    });
    h.expectInputError(run, /outside the workspace/);
    expect(run.stdout).not.toContain('outside-secret-model');
  });

  it('follows a symlink that stays inside the workspace', async () => {
    const run = await h.dryRun(
      { 'spec-file': 'current.yaml' },
      (ws) => {
        symlinkSync(path.join(ws, 'specs', 'v2.yaml'), path.join(ws, 'current.yaml'));
      },
      { 'specs/v2.yaml': 'configuration:\n  revision: v2\n' },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('"revision":"v2"');
  });

  it('refuses a file over 1 MiB before reading it whole', async () => {
    const run = await h.dryRun({ 'spec-file': 'big.yaml' }, (ws) => {
      writeFileSync(path.join(ws, 'big.yaml'), `# ${'x'.repeat(50 * 1024 * 1024)}\n`);
    });
    h.expectInputError(run, /is 52428803 bytes; the limit is 1048576 bytes \(1 MiB\)/);
    expect(run.wallMs).toBeLessThan(5000);
  });

  it('refuses a directory, without a hint about actions/checkout', async () => {
    const run = await h.dryRun({ 'spec-file': 'deploy' }, (ws) => {
      mkdirSync(path.join(ws, 'deploy'));
    });
    h.expectInputError(run, /"deploy" is a directory, not a file/);
    expect(run.stdout).not.toMatch(/actions\/checkout/);
  });

  it('accepts a file named ..spec.yaml inside the workspace', async () => {
    const run = await h.dryRun({ 'spec-file': '..spec.yaml' }, undefined, {
      '..spec.yaml': 'configuration:\n  revision: v3\n',
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('"revision":"v3"');
  });
});

describe('inline spec', () => {
  it('turns a YAML alias bomb into an input error with line and column', async () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      lines.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const run = await h.dryRun({ spec: lines.join('\n') });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^::error title=Invalid input::Input "spec" is invalid: cannot be used as JSON or YAML at line \d+, column \d+: /m,
    );
  });
});
