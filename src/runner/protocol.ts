/**
 * The few parts of the runner's protocol the action speaks: inputs from `INPUT_*` variables,
 * workflow commands on stdout (`::add-mask::`, `::warning::`, `::group::`...), and the file
 * commands for outputs and the job summary (`GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`).
 *
 * Written here rather than imported from @actions/core: its index imports, at top level, its OIDC
 * client (with @actions/http-client and a second undici) and @actions/exec, and does not declare
 * itself free of side effects, so the bundler keeps them all (about 1 MB of bundle and tens of ms
 * of start-up on every run), and its `exports` map offers no narrower entry. The protocol is
 * documented and small; the formats below follow @actions/core 3.0.1 byte for byte.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { EOL } from 'node:os';

/** The properties of an annotation the action sets. */
export interface AnnotationProperties {
  title?: string;
}

/** What the logger writes through; `runnerLog` below in the action, a recorder in tests. */
export interface LogSink {
  info(message: string): void;
  debug(message: string): void;
  warning(message: string, properties?: AnnotationProperties): void;
  error(message: string, properties?: AnnotationProperties): void;
  notice(message: string, properties?: AnnotationProperties): void;
  startGroup(name: string): void;
  endGroup(): void;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The value of input `name` as the runner passes it (`INPUT_<NAME>`), untrimmed; '' when unset. */
export function inputValue(env: Env, name: string): string {
  return env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '';
}

// The runner unescapes these in a command's message; properties also end at ':' and ','.
const escapeData = (text: string): string =>
  text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (text: string): string =>
  escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** One workflow command line, e.g. `::warning title=T::message` (no line ending). Pure. */
export function workflowCommand(
  command: string,
  message: string,
  properties: Readonly<Record<string, string | undefined>> = {},
): string {
  const props = Object.entries(properties)
    .filter((entry): entry is [string, string] => Boolean(entry[1]))
    .map(([key, value]) => `${key}=${escapeProperty(value)}`)
    .join(',');
  return `::${command}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}

/** One entry of the GITHUB_OUTPUT file: `name<<delimiter`, the value, the delimiter. Pure. */
export function outputEntry(name: string, value: string, delimiter: string): string {
  // A value that contained the delimiter could end the entry early and set other outputs.
  if (name.includes(delimiter) || value.includes(delimiter))
    throw new Error(`output ${name}: the name or value contains the delimiter "${delimiter}"`);
  return `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}`;
}

/** Where workflow commands and log lines go: stdout in the action. */
export type Write = (text: string) => void;

const stdoutWrite: Write = (text) => {
  process.stdout.write(text);
};

/** The log as the runner reads it: plain lines, and workflow commands for the rest. */
export function runnerLog(write: Write = stdoutWrite): LogSink {
  const command = (name: string, message: string, properties?: AnnotationProperties): void => {
    write(workflowCommand(name, message, properties ? { title: properties.title } : {}) + EOL);
  };
  return {
    info: (message: string): void => {
      write(message + EOL);
    },
    debug: (message: string): void => {
      command('debug', message);
    },
    warning: (message: string, properties?: AnnotationProperties): void => {
      command('warning', message, properties);
    },
    error: (message: string, properties?: AnnotationProperties): void => {
      command('error', message, properties);
    },
    notice: (message: string, properties?: AnnotationProperties): void => {
      command('notice', message, properties);
    },
    startGroup: (name: string): void => {
      command('group', name);
    },
    endGroup: (): void => {
      command('endgroup', '');
    },
  };
}

/** Asks the runner to mask `secret` in the log from now on. */
export function setSecret(secret: string, write: Write = stdoutWrite): void {
  write(workflowCommand('add-mask', secret) + EOL);
}

/**
 * Sets step output `name`: appended to the GITHUB_OUTPUT file, or, without one (an old runner,
 * a local run), the deprecated `::set-output` command on stdout.
 */
export function setOutput(name: string, value: string, env: Env, write: Write = stdoutWrite): void {
  const file = env.GITHUB_OUTPUT;
  if (file) {
    appendFileSync(file, outputEntry(name, value, `ghadelimiter_${randomUUID()}`) + EOL, 'utf8');
    return;
  }
  // The blank line first: the command must start a line even after a partial write.
  write(EOL + workflowCommand('set-output', value, { name }) + EOL);
}

/** Appends markdown to the job summary; nothing without GITHUB_STEP_SUMMARY. */
export async function appendSummary(markdown: string, env: Env): Promise<void> {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return;
  await appendFile(file, markdown + EOL, 'utf8');
}
