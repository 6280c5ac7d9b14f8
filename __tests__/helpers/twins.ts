/**
 * The set-up a scenario file (run() in-process, on a fake clock) shares with its e2e twin (the
 * bundle, in real time): the same emulator, inputs and checks, run one way or the other.
 */
import { expect } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { EmulatorOptions } from '../../emulator/server.js';
import { commandNames, leaks, workflowCommands, type ActionRun } from './action.js';
import { startWorld, type Runner, type RunOf, type World, type WorldOptions } from './harness.js';

/** What both twins of a pair run with. */
export type Twin = Omit<WorldOptions<Runner>, 'runner' | 'check'> & {
  check?: (run: ActionRun, token: string) => void;
};

/** Starts the world of a twin pair for `runner`, with more emulator options. */
export function startTwin<R extends Runner>(
  twin: Twin,
  runner: R,
  emulator: EmulatorOptions = {},
): Promise<World<R>> {
  return startWorld<R>({ ...twin, runner, emulator: { ...twin.emulator, ...emulator } });
}

/** The runner's debug logging on, as ACTIONS_STEP_DEBUG turns it on in a workflow. */
export const DEBUG_ENV = { ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' };

/** The token reaches nothing but its own `::add-mask::` command. */
export function noLeaks(run: ActionRun, token: string): void {
  expect(leaks(run, token)).toEqual([]);
}

/** The only workflow commands the action itself issues. */
export const OUR_COMMANDS = new Set([
  'add-mask',
  'group',
  'endgroup',
  'error',
  'warning',
  'notice',
  'debug',
]);

/**
 * No line of the step's output is a workflow command the action did not mean to issue, and the
 * only value masked is `token`.
 */
export function onlyOurCommands(run: ActionRun, token: string): void {
  const commands = [...workflowCommands(run.stdout), ...workflowCommands(run.stderr)];
  expect(commands.filter((line) => line.includes('##['))).toEqual([]);
  expect(
    [...commandNames(run.stdout), ...commandNames(run.stderr)].filter(
      (name) => !OUR_COMMANDS.has(name),
    ),
  ).toEqual([]);
  expect(
    commands.filter((line) => /^::add-mask::/.test(line) && line !== `::add-mask::${token}`),
  ).toEqual([]);
}

/** A rollout of a second, polled every 200 ms. */
export const FAST_PLAN = { pendingMs: 200, provisioningMs: 300, startingMs: 300 };

/** ours.*: the step's result is about the rollout this update started (issue 9). */
export const OURS_PLAN = { pendingMs: 200, provisioningMs: 400, startingMs: 400 };
export const OURS: Twin = {
  emulator: { plan: OURS_PLAN },
  inputs: {
    'poll-interval': '1s',
    timeout: '30s',
    'rollout-start-grace': '4s',
    spec: '{"configuration": {"revision": "v2"}}',
  },
  env: DEBUG_ENV,
  check: noLeaks,
};

/** faults.*: transient faults, log safety and cancellation. */
export const FAULTS: Twin = {
  emulator: { plan: OURS_PLAN },
  inputs: {
    'poll-interval': '200ms',
    timeout: '30s',
    spec: '{"configuration": {"revision": "v2"}}',
  },
  env: DEBUG_ENV,
  check: (run, token) => {
    noLeaks(run, token);
    onlyOurCommands(run, token);
  },
};

/** rollout.*: rollouts end to end, stale reads, crashes, API errors. */
export const ROLLOUT: Twin = {
  emulator: { plan: FAST_PLAN },
  inputs: { 'poll-interval': '200ms', timeout: '20s', 'rollout-start-grace': '3s' },
  env: DEBUG_ENV,
  check: noLeaks,
};

/** workflow.*: what a workflow sees: log groups, dry run, smoke test, GitHub deployments. */
export const WORKFLOW: Twin = {
  emulator: { plan: FAST_PLAN },
  inputs: { 'poll-interval': '200ms', timeout: '30s' },
  env: { ACTIONS_STEP_DEBUG: 'true' },
  check: noLeaks,
};

/** hostile-files.*: a careless or hostile spec-file, dry runs against one emulator per file. */
export interface HostileFiles<R extends Runner> {
  world: World<R>;
  /** A folder outside the workspace, holding a spec a link from the workspace may point at. */
  outside: string;
  /** A dry run, with files made by `prepare` (links, FIFOs) or given in `files`. */
  dryRun(
    inputs: Record<string, string>,
    prepare?: (workspace: string) => void,
    files?: Record<string, string>,
  ): Promise<RunOf<R>>;
  /** The run failed on spec-file before any request, with `message`, and said so everywhere. */
  expectInputError(run: ActionRun, message: RegExp): void;
}

/** Starts the emulator of a hostile-files file (call it in beforeAll). */
export async function startHostileFiles<R extends Runner>(runner: R): Promise<HostileFiles<R>> {
  const world = await startWorld<R>({ runner, inputs: { 'dry-run': 'true' }, scope: 'file' });
  const outside = mkdtempSync(path.join(tmpdir(), 'nf-outside-'));
  writeFileSync(
    path.join(outside, 'secret.yaml'),
    'configuration:\n  name: outside-secret-model\n',
  );
  return {
    world,
    outside,
    dryRun: (inputs, prepare, files) =>
      world.run(inputs, { ...(prepare ? { prepare } : {}), ...(files ? { files } : {}) }),
    expectInputError: (run, message) => {
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^::error title=Invalid input::Input "spec-file" is invalid/m);
      expect(run.stdout).toMatch(message);
      expect(run.outputs.outcome).toBe('error');
      expect(run.summary).not.toBe('');
      expect(leaks(run, world.emu.token)).toEqual([]);
    },
  };
}

/** invalid-input.*: runs `inputs` and expects the step to fail on them before any request. */
export async function expectInvalidInput<R extends Runner>(
  world: World<R>,
  inputs: Record<string, string>,
  message: RegExp,
): Promise<void> {
  const before = world.emu.requests.length;
  const run = await world.run(inputs);
  expect(run.code).toBe(1);
  expect(world.emu.requests.length).toBe(before);
  expect(run.stdout).toMatch(/^::error title=Invalid input::/m);
  expect(run.stdout).toMatch(message);
  expect(run.outputs.outcome).toBe('error');
  expect(leaks(run, world.emu.token)).toEqual([]);
}

/** odd-responses.*: the inputs of every run against a scripted API that answers oddly. */
export const ODD_RESPONSES_INPUTS = { 'poll-interval': '200ms', timeout: '20s' };

/** protect.* (issue 10): what is in place, metadata updates, reverts, deadlines per phase. */
export const PROTECT: Twin = { ...ROLLOUT, env: {} };

/** first-day.* (issue 19): what a new user meets, against rollouts of 0.3 s. */
export const FIRST_DAY: Twin = {
  emulator: { plan: { pendingMs: 100, provisioningMs: 100, startingMs: 100 } },
  inputs: { 'poll-interval': '100ms', 'rollout-start-grace': '2s', timeout: '20s' },
};

/** The emulator's demo deployment's spec, as a user would keep it in git (YAML). */
export const DEMO_SPEC_YAML = `configuration:
  name: meta-llama/Llama-3.1-8B-Instruct
  engine: vllm
  nodeConfiguration:
    gpu: { enabled: true, configuration: { gpuType: nvidia-l4, gpuCount: 1 } }
`;
