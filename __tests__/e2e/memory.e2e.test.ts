// Peak memory of the bundle during a rollout: src/v8-flags.ts keeps V8 from re-compiling undici's
// WebAssembly HTTP parser with TurboFan, about 22 MB on Node 24 (32 MB on Node 20). A change that
// loses the flags (or an upgrade that makes them ineffective) shows here.
//
// The figure is judged against the same bundle run with the flags taken away, side by side, so
// that neither the machine nor the Node version moves the bar.
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startWorld } from '../helpers/harness.js';

/** What the flags saved when this was written: 21.7 MB on Node 24 (86.5 against 64.8 MB). */
const MIN_SAVING_MB = 10;
const FLAGS = ['--liftoff-only', '--no-wasm-tier-up', '--semi-space-growth-factor=1'];

interface Peak {
  mb: number;
  flags: string[];
}

/** Runs the bundle over a short rollout; with `keepFlags` false, setFlagsFromString does nothing. */
async function peakOfRollout(scratch: string, keepFlags: boolean): Promise<Peak> {
  const preload = path.join(scratch, `rss-${String(keepFlags)}.mjs`);
  const out = path.join(scratch, `rss-${String(keepFlags)}.json`);
  writeFileSync(
    preload,
    `import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const v8 = createRequire(import.meta.url)('node:v8');
const set = v8.setFlagsFromString;
const flags = [];
v8.setFlagsFromString = (text) => { flags.push(text); if (${String(keepFlags)}) set(text); };
// VmHWM, not maxRSS: Linux carries ru_maxrss over from the parent across fork and exec, so a large
// Jest worker made every child read as big as itself; VmHWM belongs to this process image alone.
const peakKb = () => {
  try {
    const hwm = /^VmHWM:\\s*(\\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]);
  } catch {}
  return process.resourceUsage().maxRSS;
};
process.on('exit', () => writeFileSync(${JSON.stringify(out)},
  JSON.stringify({ mb: peakKb() / 1024, flags })));
`,
  );
  const world = await startWorld({
    runner: 'bundle',
    emulator: { plan: { pendingMs: 300, provisioningMs: 1000, startingMs: 1000 } },
  });
  const run = await world.run(
    { spec: '{"configuration": {"revision": "rss"}}' },
    { env: { NODE_OPTIONS: `--import=${pathToFileURL(preload).href}` } },
  );
  expect(run.outputs.outcome).toBe('running');
  return JSON.parse(readFileSync(out, 'utf8')) as Peak;
}

describe('the bundled action', () => {
  it(`sets its V8 flags, and they save at least ${String(MIN_SAVING_MB)} MB of peak RSS over a rollout`, async () => {
    const scratch = mkdtempSync(path.join(tmpdir(), 'nf-rss-'));
    const savings: string[] = [];
    // Load only adds memory, to either run: up to three pairs, the first that shows the saving wins.
    for (let attempt = 0; attempt < 3; attempt++) {
      const withFlags = await peakOfRollout(scratch, true);
      const joined = withFlags.flags.join(' ');
      for (const flag of FLAGS) expect(joined).toContain(flag);
      const without = await peakOfRollout(scratch, false);
      const saving = without.mb - withFlags.mb;
      savings.push(`${without.mb.toFixed(1)} - ${withFlags.mb.toFixed(1)} MB`);
      if (saving >= MIN_SAVING_MB) return;
    }
    throw new Error(
      `The V8 flags saved less than ${String(MIN_SAVING_MB)} MB of peak RSS (${savings.join('; ')}): ` +
        'check that V8 still honours the flags in src/v8-flags.ts (docs/performance.md), then ' +
        'measure with `npm run bench`.',
    );
  }, 90_000);
});
