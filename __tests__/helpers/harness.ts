/**
 * The one way the tests start what the action talks to and run the action against it: the
 * Northflank emulator (or a scripted API), its model server and GitHub's stand-ins, each closed
 * when the test (or the file) ends; and the action itself, either `run()` in this process, on a
 * fake clock the servers share (minutes of outages take milliseconds), or the bundle
 * (dist/index.js on Node 24) in a child process, as a runner runs it. Both give a run in the
 * runner's shape: exit code, stdout with its workflow commands, outputs and the job summary.
 */
import { afterAll, afterEach } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  GITHUB_ACTIONS_BOT,
  startFakeGitHub,
  startFakeGitHubComments,
} from '../../emulator/github.js';
import {
  startModelServer,
  type ModelServer,
  type ModelServerOptions,
} from '../../emulator/model-server.js';
import {
  emulatorInputs,
  startEmulator,
  type Emulator,
  type EmulatorOptions,
} from '../../emulator/server.js';
import { MAX_INPUT_BYTES, readWorkspaceFile } from '../../src/runner/files.js';
import { createLogger } from '../../src/runner/logger.js';
import { type LogSink } from '../../src/runner/protocol.js';
import type { RunReport } from '../../src/report/report.js';
import { runnerLog, setSecret } from '../../src/runner/protocol.js';
import { systemClock, type Clock } from '../../src/clock.js';
import { run, succeeded } from '../../src/main.js';
import { actionYml, runAction, type ActionRun, type RunOptions } from './action.js';
import { FakeClock } from './fake-clock.js';
import { recordingSink } from './recording-logger.js';
import { ScaledClock } from './scaled-clock.js';
import { scriptedInputs, startScriptedApi, type Script, type ScriptedApi } from './scripted-api.js';

export { GITHUB_ACTIONS_BOT };

/** A model that streams fast: 10 ms to the first token, 5 ms between tokens. */
export const FAST_MODEL_LATENCY = { ttftMs: 10, itlMs: 5 };

// --- closing what a test started ---------------------------------------------------------------

type Closer = () => Promise<void> | void;
const afterTest: Closer[] = [];
const afterFile: Closer[] = [];
afterEach(async () => {
  for (const close of afterTest.splice(0).reverse()) await close();
});
afterAll(async () => {
  for (const close of afterFile.splice(0).reverse()) await close();
});

/** When something a test started is closed: after the test, or after the file's last test. */
export type Scope = 'test' | 'file';

/** Closes `thing` when `scope` ends; returns it. */
export function closeAfter<T extends { close(): Promise<void> | void }>(
  thing: T,
  scope: Scope = 'test',
): T {
  (scope === 'file' ? afterFile : afterTest).push(() => thing.close());
  return thing;
}

// --- running the action in this process ------------------------------------------------------

/** How `run()` runs in this process. */
export interface InProcessOptions {
  inputs: Record<string, string>;
  /** The test passes inputs action.yml does not declare, on purpose (as a misspelt `with:` key). */
  undeclaredInputs?: boolean;
  /** The clock the run sees; give the servers the same one (`now: () => clock.now()`). */
  clock: Clock;
  /**
   * The runner's environment: given to run() and set on `process.env` while it lasts (GITHUB_*
   * for the GitHub deployment); GITHUB_TOKEN also fills `${{ github.token }}` defaults, as the
   * runner does. A function gets the run's workspace (for GITHUB_WORKSPACE). @actions/github
   * reads its environment once, when a test file first loads it: within one file, give every run
   * that records a GitHub deployment the same one (or test it through the bundle).
   */
  env?: Record<string, string> | ((workspace: string) => Record<string, string>);
  /** Files to create in the workspace before the run. */
  files?: Record<string, string>;
  /** Called with the workspace before the run, to make what `files` cannot (links, FIFOs). */
  prepare?: (workspace: string) => void;
  /** Aborting it cancels the run, as SIGINT or SIGTERM do in the action. */
  signal?: AbortSignal;
  /** The jitter's draws; by default a fixed-seed sequence, so a run plays the same every time. */
  random?: () => number;
}

/**
 * A run in the runner's shape, plus the report, the log as calls (`warning: [title] message`,
 * `group: name`, … in `lines`) and the values masked. `durationMs` is on the run's clock (its
 * own time); `wallMs` is the machine's, for what must not take real time.
 */
export type InProcessRun = ActionRun & {
  report: RunReport;
  wallMs: number;
  lines: string[];
  masked: string[];
  /** Each write of the job summary (`summary` is them all, each with its line ending). */
  summaries: string[];
};

/** A workspace with `files` in it, removed when the test ends. */
function workspaceWith(
  files: Record<string, string> = {},
  prepare?: (workspace: string) => void,
): string {
  const workspace = mkdtempSync(path.join(tmpdir(), 'nf-inproc-'));
  afterTest.push(() => {
    rmSync(workspace, { recursive: true, force: true });
  });
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(workspace, name)), { recursive: true });
    writeFileSync(path.join(workspace, name), content);
  }
  prepare?.(workspace);
  return workspace;
}

/** The inputs as the runner passes them: action.yml's defaults for the ones not given. */
export function withDefaults(
  inputs: Record<string, string>,
  env: Record<string, string> = {},
  undeclared = false,
): Record<string, string> {
  const declared = actionYml().inputs;
  for (const name of Object.keys(inputs)) {
    if (!(name in declared) && !undeclared)
      throw new Error(`test uses input "${name}" that action.yml does not declare`);
  }
  const values: Record<string, string> = {};
  for (const [name, spec] of Object.entries(declared)) {
    // The runner evaluates expressions in defaults; `github.token` is the only one action.yml uses.
    const fallback = spec.default?.replace(/\$\{\{\s*github\.token\s*\}\}/, env.GITHUB_TOKEN ?? '');
    const value = inputs[name] ?? fallback;
    if (value !== undefined) values[name] = value;
  }
  // As the runner does: an undeclared name is passed on too (it only warns about it).
  for (const [name, value] of Object.entries(inputs)) if (!(name in declared)) values[name] = value;
  return values;
}

/** Collects what the action writes to stdout, one entry per line. */
function lineWriter(lines: string[]): (text: string) => void {
  return (text) => {
    lines.push(...text.replace(/\r?\n$/, '').split(/\r?\n/));
  };
}

/** A sink that passes every call to each of `sinks`. */
function teeSink(...sinks: LogSink[]): LogSink {
  const each = (call: (sink: LogSink) => void): void => {
    for (const sink of sinks) call(sink);
  };
  return {
    info: (m) => {
      each((s) => {
        s.info(m);
      });
    },
    debug: (m) => {
      each((s) => {
        s.debug(m);
      });
    },
    warning: (m, p) => {
      each((s) => {
        s.warning(m, p);
      });
    },
    error: (m, p) => {
      each((s) => {
        s.error(m, p);
      });
    },
    notice: (m, p) => {
      each((s) => {
        s.notice(m, p);
      });
    },
    startGroup: (n) => {
      each((s) => {
        s.startGroup(n);
      });
    },
    endGroup: () => {
      each((s) => {
        s.endGroup();
      });
    },
  };
}

/** Sets `env` on process.env and returns what puts it back. */
function withEnv(env: Record<string, string>): () => void {
  const saved = Object.keys(env).map((name) => [name, process.env[name]] as const);
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
  const workspace = workspaceWith(options.files, options.prepare);
  const env = typeof options.env === 'function' ? options.env(workspace) : (options.env ?? {});
  const values = withDefaults(options.inputs, env, options.undeclaredInputs);
  const stdout: string[] = [];
  const lines: string[] = [];
  const masked: string[] = [];
  const outputs: Record<string, string> = {};
  const summaries: string[] = [];
  const write = lineWriter(stdout);
  const startedMs = options.clock.now();
  const wallStartedMs = performance.now();
  const restoreEnv = withEnv(env);
  let report: RunReport;
  try {
    report = await run({
      inputs: {
        getInput: (name) => values[name] ?? '',
        setSecret: (value) => {
          masked.push(value);
          setSecret(value, write);
        },
        readFile: (file) => readWorkspaceFile(workspace, file, MAX_INPUT_BYTES),
        workspace,
        // As the runner passes them: one INPUT_* variable per input given, declared or not.
        variableNames: () => Object.keys(values).map((name) => `INPUT_${name.toUpperCase()}`),
      },
      clock: options.clock,
      random: options.random ?? seededRandom(0x5eed),
      signal: options.signal ?? new AbortController().signal,
      log: createLogger(teeSink(runnerLog(write), recordingSink(lines))),
      outputs: { setOutput: (name, value) => (outputs[name] = value) },
      summary: {
        write: (markdown) => {
          summaries.push(markdown);
          return Promise.resolve();
        },
      },
      env,
    });
  } finally {
    restoreEnv();
  }
  return {
    code: succeeded(report) ? 0 : 1,
    signal: null,
    stdout: stdout.map((line) => `${line}\n`).join(''),
    stderr: '',
    outputs,
    summary: summaries.map((markdown) => `${markdown}\n`).join(''),
    durationMs: options.clock.now() - startedMs,
    workspace,
    report,
    wallMs: performance.now() - wallStartedMs,
    lines,
    masked,
    summaries,
  };
}

/** Runs the bundle once, as the runner does; its workspace is removed when the test ends. */
export async function runBundle(options: RunOptions): Promise<ActionRun> {
  const ran = await runAction(options);
  afterTest.push(() => {
    rmSync(ran.workspace, { recursive: true, force: true });
  });
  return ran;
}

// --- worlds: the servers, and the action run against them -------------------------------------

/** How the action runs: `run()` in this process, or the bundle in a child process. */
export type Runner = 'in-process' | 'bundle';

/** A run of either kind. */
export type RunOf<R extends Runner> = R extends 'bundle' ? ActionRun : InProcessRun;

/** What one run adds to the world's defaults. */
export interface RunExtras {
  env?: Record<string, string> | ((workspace: string) => Record<string, string>);
  /** In-process: the inputs include names action.yml does not declare, on purpose. */
  undeclaredInputs?: boolean;
  files?: Record<string, string>;
  prepare?: (workspace: string) => void;
  /** In-process: cancels the run when it aborts. */
  signal?: AbortSignal;
  /** In-process: another clock for this run (a scripted API's runs may each have their own). */
  clock?: Clock;
  /** In-process: the jitter's draws. */
  random?: () => number;
  /** Bundle: called once the process has started (to send it signals). */
  onSpawn?: RunOptions['onSpawn'];
}

/** What every world shares: how it runs the action, with which defaults and checks. */
interface RunnerOptions<R extends Runner> {
  /** `in-process` (the default) or `bundle`. */
  runner?: R;
  /** Inputs every run gets, over the ones that point at the API and under its own. */
  inputs?: Record<string, string>;
  /** The runner's environment of every run, under its own. */
  env?: Record<string, string>;
  /** What every run must show, whatever its outcome (the API token leaked nowhere…). */
  check?: (run: RunOf<R>, token: string) => void;
  /** In-process: the jitter's draws of every run. */
  random?: () => number;
  /** When the servers close: after each test (the default), or after the file's tests. */
  scope?: Scope;
}

export interface WorldOptions<R extends Runner> extends RunnerOptions<R> {
  emulator?: EmulatorOptions;
  /**
   * In-process: the clock the run, the emulator and the model server share, starting at the real
   * time: `fake` (the default) moves only when the run sleeps; `scaled` also waits a hundredth of
   * each sleep for real, so that the model server's real streams run while the run's deadlines
   * are pending; `real` is the machine's (for what times real streams, as the bundle does).
   */
  time?: 'fake' | 'scaled' | 'real';
  /** A model server beside the emulator, serving the deployment's model unless these say otherwise. */
  model?:
    | Partial<ModelServerOptions>
    | ((emu: Emulator, clock: FakeClock) => Partial<ModelServerOptions>);
}

/** The emulator (and the model server), and the action run against them. */
export interface World<R extends Runner = 'in-process'> {
  emu: Emulator;
  /** The fake clock the in-process runs and the servers share (unused in real time). */
  clock: FakeClock;
  /** The model server, when the world has one. */
  model: ModelServer | undefined;
  /** Runs the action once against the emulator. */
  run(inputs?: Record<string, string>, extras?: RunExtras): Promise<RunOf<R>>;
  /** Starts a model server on the world's clock, closed with the world. */
  startModel(options?: Partial<ModelServerOptions>): Promise<ModelServer>;
  close(): Promise<void>;
}

/** Runs the action once, in-process or as the bundle, with the world's defaults and checks. */
async function runOnce<R extends Runner>(
  options: RunnerOptions<R>,
  api: { url: string; token: string },
  apiInputs: Record<string, string>,
  clock: Clock,
  inputs: Record<string, string>,
  extras: RunExtras,
): Promise<RunOf<R>> {
  const given = { ...apiInputs, ...options.inputs, ...inputs };
  const env =
    typeof extras.env === 'function'
      ? (workspace: string) => ({
          ...options.env,
          ...(extras.env as (w: string) => Record<string, string>)(workspace),
        })
      : { ...options.env, ...extras.env };
  let ran: ActionRun;
  if (options.runner === 'bundle') {
    if (typeof env === 'function') throw new Error('the bundle takes its env as a record');
    ran = await runBundle({
      inputs: given,
      env,
      ...(extras.files ? { files: extras.files } : {}),
      ...(extras.prepare ? { prepare: extras.prepare } : {}),
      ...(extras.onSpawn ? { onSpawn: extras.onSpawn } : {}),
    });
  } else {
    ran = await runInProcess({
      inputs: given,
      clock: extras.clock ?? clock,
      env,
      ...(extras.files ? { files: extras.files } : {}),
      ...(extras.prepare ? { prepare: extras.prepare } : {}),
      ...(extras.signal ? { signal: extras.signal } : {}),
      ...(extras.undeclaredInputs ? { undeclaredInputs: true } : {}),
      ...((extras.random ?? options.random) ? { random: extras.random ?? options.random } : {}),
    });
  }
  options.check?.(ran as RunOf<R>, api.token);
  return ran as RunOf<R>;
}

/** Starts the emulator (on a shared fake clock for in-process runs) and what goes with it. */
export async function startWorld<R extends Runner = 'in-process'>(
  options: WorldOptions<R> = {},
): Promise<World<R>> {
  const scope = options.scope ?? 'test';
  const clock = options.time === 'scaled' ? new ScaledClock(Date.now()) : new FakeClock(Date.now());
  const fakeTime = options.runner !== 'bundle' && options.time !== 'real';
  const emu = closeAfter(
    await startEmulator({ ...(fakeTime ? { now: () => clock.now() } : {}), ...options.emulator }),
    scope,
  );
  const startModel = async (model: Partial<ModelServerOptions> = {}): Promise<ModelServer> =>
    closeAfter(
      await startModelServer({
        model: () => emu.deployment().configuration.name ?? '',
        ...model,
      }),
      scope,
    );
  const model =
    options.model === undefined
      ? undefined
      : await startModel(
          typeof options.model === 'function' ? options.model(emu, clock) : options.model,
        );
  return {
    emu,
    clock,
    model,
    run: (inputs = {}, extras = {}) =>
      runOnce(options, emu, emulatorInputs(emu), fakeTime ? clock : systemClock, inputs, extras),
    startModel,
    close: () => emu.close(),
  };
}

/** A scripted API (scripted-api.ts), and the action run against it. */
export interface ScriptedWorld<R extends Runner = 'in-process'> {
  api: ScriptedApi;
  /** The clock the in-process runs see (and the API times its requests by), unless a run brings its own. */
  clock: FakeClock;
  run(inputs?: Record<string, string>, extras?: RunExtras): Promise<RunOf<R>>;
  /** The bodies of the POSTs (updates) so far, parsed. */
  posts(): unknown[];
  close(): Promise<void>;
}

/**
 * Starts a scripted API on 127.0.0.1 for the odd answers the emulator does not give. Its
 * requests are timed by `clock` when given (the run's, in-process), else by performance.now.
 */
export async function startScriptedWorld<R extends Runner = 'in-process'>(
  script: Script,
  options: RunnerOptions<R> & { clock?: FakeClock } = {},
): Promise<ScriptedWorld<R>> {
  const clock = options.clock ?? new FakeClock();
  const api = closeAfter(
    await startScriptedApi(script, options.clock ? () => clock.now() : undefined),
    options.scope,
  );
  return {
    api,
    clock,
    run: (inputs = {}, extras = {}) =>
      runOnce(options, api, scriptedInputs(api), clock, inputs, extras),
    posts: () =>
      api.requests.filter((r) => r.method === 'POST').map((r) => JSON.parse(r.body) as unknown),
    close: () => api.close(),
  };
}

/** GitHub's deployments API on 127.0.0.1 (emulator/github.ts), closed when the test ends. */
export async function startGitHub(
  ...args: Parameters<typeof startFakeGitHub>
): ReturnType<typeof startFakeGitHub> {
  return closeAfter(await startFakeGitHub(...args));
}

/** GitHub's pull request comments API on 127.0.0.1 (emulator/github.ts), closed when the test ends. */
export async function startGitHubComments(
  ...args: Parameters<typeof startFakeGitHubComments>
): ReturnType<typeof startFakeGitHubComments> {
  return closeAfter(await startFakeGitHubComments(...args));
}

// --- playing the API ---------------------------------------------------------------------------

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
