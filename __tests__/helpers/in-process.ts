/**
 * Runs the action's `run()` in this process on a fake clock, the way `runAction` runs the bundle:
 * inputs with action.yml's defaults, the log as the runner reads it (workflow commands written by
 * the action's own src/action/runner.ts), outputs and summary captured. Minutes of outages, flapping statuses
 * and deadlines then take milliseconds; the black-box tests keep proving the bundle itself.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../emulator/server.js';
import { MAX_INPUT_BYTES, readWorkspaceFile } from '../../src/action/files.js';
import { createLogger } from '../../src/action/core-logger.js';
import { runnerLog, setSecret } from '../../src/action/runner.js';
import type { RunReport } from '../../src/action/report.js';
import { run, succeeded } from '../../src/main.js';
import { actionYml, type ActionRun } from './action.js';
import { FakeClock } from './fake-clock.js';

export interface InProcessOptions {
  inputs: Record<string, string>;
  /** The clock the run sees; start the emulator with `now: () => clock.now()` to share it. */
  clock: FakeClock;
  /**
   * Environment for the run, set on `process.env` while it lasts (GITHUB_* for the GitHub
   * deployment); GITHUB_TOKEN also fills `${{ github.token }}` defaults, as the runner does.
   * @actions/github reads its environment once, when a test file first loads it: within one file,
   * give every run that records a GitHub deployment the same one (or test it black-box).
   */
  env?: Record<string, string>;
  /** Files to create in the workspace before the run. */
  files?: Record<string, string>;
  /** Called with the workspace before the run, to make what `files` cannot (links, FIFOs). */
  prepare?: (workspace: string) => void;
  /** Aborting it cancels the run, as SIGINT or SIGTERM do in the action. */
  signal?: AbortSignal;
  /** The jitter's draws; by default a fixed-seed sequence, so a scenario plays the same every run. */
  random?: () => number;
}

/**
 * A run's result in the shape `runAction` gives, plus the report. `durationMs` is on the fake
 * clock (the run's own time); `wallMs` is the machine's, for what must not take real time.
 */
export type InProcessRun = ActionRun & { report: RunReport; wallMs: number };

/** Collects what the action writes to stdout, one entry per line. */
function lineWriter(lines: string[]): (text: string) => void {
  return (text) => {
    lines.push(...text.replace(/\r?\n$/, '').split(/\r?\n/));
  };
}

/** Sets `env` on process.env and returns what puts it back. */
function withEnv(env: Record<string, string>): () => void {
  const saved = Object.entries(env).map(([name]) => [name, process.env[name]] as const);
  Object.assign(process.env, env);
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = value;
    }
  };
}

/** Runs `run()` once with these inputs on `clock`; never throws for what the action reports. */
export async function runInProcess(options: InProcessOptions): Promise<InProcessRun> {
  const workspace = mkdtempSync(path.join(tmpdir(), 'nf-inproc-'));
  for (const [name, content] of Object.entries(options.files ?? {})) {
    mkdirSync(path.dirname(path.join(workspace, name)), { recursive: true });
    writeFileSync(path.join(workspace, name), content);
  }
  options.prepare?.(workspace);
  const declared = actionYml().inputs;
  for (const name of Object.keys(options.inputs)) {
    if (!(name in declared))
      throw new Error(`test uses input "${name}" that action.yml does not declare`);
  }
  const values: Record<string, string> = {};
  for (const [name, spec] of Object.entries(declared)) {
    const fallback = spec.default?.replace(
      /\$\{\{\s*github\.token\s*\}\}/,
      options.env?.GITHUB_TOKEN ?? '',
    );
    const value = options.inputs[name] ?? fallback;
    if (value !== undefined) values[name] = value;
  }

  const lines: string[] = [];
  const outputs: Record<string, string> = {};
  let summary = '';
  const startedMs = options.clock.now();
  const wallStartedMs = performance.now();
  const restoreEnv = withEnv(options.env ?? {});
  let report: RunReport;
  try {
    report = await run({
      inputs: {
        getInput: (name) => values[name] ?? '',
        setSecret: (value) => {
          setSecret(value, lineWriter(lines));
        },
        readFile: (file) => readWorkspaceFile(workspace, file, MAX_INPUT_BYTES),
        workspace,
      },
      clock: options.clock,
      random: options.random ?? seededRandom(0x5eed),
      signal: options.signal ?? new AbortController().signal,
      log: createLogger(runnerLog(lineWriter(lines))),
      outputs: { setOutput: (name, value) => (outputs[name] = value) },
      summary: {
        write: (markdown) => {
          summary += `${markdown}\n`;
          return Promise.resolve();
        },
      },
    });
  } finally {
    restoreEnv();
  }
  return {
    code: succeeded(report) ? 0 : 1,
    signal: null,
    stdout: lines.map((line) => `${line}\n`).join(''),
    stderr: '',
    outputs,
    summary,
    durationMs: options.clock.now() - startedMs,
    workspace,
    report,
    wallMs: performance.now() - wallStartedMs,
  };
}

/** An emulator and the fake clock it shares with the run. */
export interface FakeTimeEmulator {
  e: Emulator;
  clock: FakeClock;
}

/** Starts the emulator on a fake clock that starts at the real time (plausible timestamps). */
export async function startOnFakeClock(options: EmulatorOptions = {}): Promise<FakeTimeEmulator> {
  const clock = new FakeClock(Date.now());
  const e = await startEmulator({ now: () => clock.now(), ...options });
  return { e, clock };
}

/** Runs `change` once, just before the emulator handles the first request for which `ready` holds. */
export function once(e: Emulator, ready: () => boolean, change: () => void | Promise<void>): void {
  let done = false;
  e.onRequest = () => {
    if (done || !ready()) return;
    done = true;
    return change();
  };
}

/**
 * A small deterministic generator (mulberry32): jitter that varies within a run, as in production,
 * but is the same on every run, so a scenario on the fake clock cannot pass or fail by chance.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
