/**
 * Runs the bundled action the way a GitHub runner does, on this machine: used by the demo and by
 * the black-box tests, so that what they exercise is what ships.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { noteActionNode } from './action-node.js';

/** The repository root: the nearest folder up with action.yml (this file also runs compiled, from build/). */
function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'action.yml'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no action.yml above ${from}`);
    dir = parent;
  }
  return dir;
}

export const ROOT = findRoot(import.meta.dirname);
export const BUNDLE = path.join(ROOT, 'dist', 'index.js');

interface ActionYml {
  inputs: Record<string, { default?: string; required?: boolean }>;
  outputs: Record<string, { description: string }>;
}

/** action.yml, parsed. */
export function actionYml(): ActionYml {
  return parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as ActionYml;
}

export interface ActionRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  durationMs: number;
  workspace: string;
}

export interface RunOptions {
  inputs: Record<string, string>;
  /** Extra environment, e.g. ACTIONS_STEP_DEBUG. */
  env?: Record<string, string>;
  /** Files to create in the workspace before the run. */
  files?: Record<string, string>;
  /** Called with the workspace before the run, to make what `files` cannot (links, FIFOs). */
  prepare?: (workspace: string) => void;
  /** Called once the process has started (to send it signals). */
  onSpawn?: (child: ChildProcess, output: () => string) => void;
  /** Also copy the action's stdout here as it comes (the demo shows the log live). */
  echo?: NodeJS.WritableStream;
  /** Pass inputs action.yml does not declare, as the runner does (a misspelt `with:` key), not throw. */
  undeclaredInputs?: boolean;
  /** The Node executable to run the bundle on (default: Node 24 when available, see action-node.ts). */
  node?: string;
  /**
   * GITHUB_WORKSPACE (and the working directory): a repository of the user's, left as it is
   * (the output and summary files go to a folder of their own). Default: a new empty folder.
   */
  workspace?: string;
}

/** Parses the GITHUB_OUTPUT file format (`name<<DELIMITER\nvalue\nDELIMITER`). */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? '');
    if (!match) continue;
    const [, name, delimiter] = match;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '');
    outputs[name ?? ''] = value.join('\n');
  }
  return outputs;
}

/**
 * Runs the bundled action in a child process exactly as the runner does: inputs as INPUT_*
 * variables with action.yml's defaults applied, outputs and summary in files.
 */
export async function runAction(options: RunOptions): Promise<ActionRun> {
  const scratch = mkdtempSync(path.join(tmpdir(), 'nf-action-'));
  const workspace = options.workspace ?? scratch;
  const outputFile = path.join(scratch, 'github_output');
  const summaryFile = path.join(scratch, 'step_summary');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  for (const [name, content] of Object.entries(options.files ?? {})) {
    mkdirSync(path.dirname(path.join(workspace, name)), { recursive: true });
    writeFileSync(path.join(workspace, name), content);
  }
  options.prepare?.(workspace);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: scratch,
    ...options.env,
  };
  const inputs = actionYml().inputs;
  for (const [name, spec] of Object.entries(inputs)) {
    // The runner evaluates expressions in defaults; `github.token` is the only one action.yml uses.
    const fallback = spec.default?.replace(
      /\$\{\{\s*github\.token\s*\}\}/,
      options.env?.GITHUB_TOKEN ?? '',
    );
    const value = options.inputs[name] ?? fallback;
    if (value !== undefined) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  for (const [name, value] of Object.entries(options.inputs)) {
    if (name in inputs) continue;
    if (!options.undeclaredInputs) {
      throw new Error(`test uses input "${name}" that action.yml does not declare`);
    }
    // As the runner does: it warns about the name, and passes it on all the same.
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }

  const started = performance.now();
  const child = spawn(options.node ?? noteActionNode(ROOT).execPath, [BUNDLE], {
    env,
    cwd: workspace,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (!options.echo) return;
    // Whole lines only, each shown as the runner's log shows it.
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) options.echo.write(`${asRunnerShows(line)}\n`);
  });
  child.stdout.on('end', () => {
    if (pending !== '') options.echo?.write(asRunnerShows(pending));
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  options.onSpawn?.(child, () => stdout);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.on('close', (c, s) => {
      resolve([c, s]);
    });
    // A spawn that fails (no such working directory) emits no close: report it as a failed run.
    child.on('error', (error) => {
      stderr += `${error.message}\n`;
      resolve([127, null]);
    });
  });
  return {
    code,
    signal,
    stdout,
    stderr,
    outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
    durationMs: performance.now() - started,
    workspace,
  };
}

/**
 * A line of the action's stdout as the runner's log shows it: a workflow command's message and
 * properties unescaped (`%25` is `%`, `%0A` a new line), so a local run reads like GitHub's log
 * rather than showing the escapes only a runner undoes.
 */
export function asRunnerShows(line: string): string {
  const command = /^(::[a-z-]+)( [^:]*)?::(.*)$/.exec(line);
  if (!command) return line;
  const unescape = (text: string): string =>
    text
      .replace(/%0D/g, '\r')
      .replace(/%0A/g, '\n')
      .replace(/%3A/g, ':')
      .replace(/%2C/g, ',')
      .replace(/%25/g, '%');
  const [, name = '', props = '', message = ''] = command;
  return `${name}${unescape(props)}::${unescape(message)}`;
}
