/**
 * The pure half of `npm run try`: reads a user's workflow, finds the job and the step that use this
 * action, picks the event, and evaluates the `${{ }}` expressions users write in `with:` (secrets,
 * github.*, env.*, vars.*, matrix.*, literals and `||`). What it cannot evaluate is named, with the
 * option that supplies it, never dropped. No I/O: scripts/try.ts runs the result.
 */
import { parse } from 'yaml';

/** A step of a workflow job, as far as `try` reads it. */
export interface WorkflowStep {
  id?: string;
  name?: string;
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

interface WorkflowJob {
  if?: unknown;
  env?: Record<string, unknown>;
  strategy?: { matrix?: Record<string, unknown> };
  steps?: WorkflowStep[];
}

interface WorkflowFile {
  on?: unknown;
  env?: Record<string, unknown>;
  jobs?: Record<string, WorkflowJob>;
}

/** What the command line asks `try` to pick and supply. */
export interface TrySelection {
  job?: string | undefined;
  /** A step's id or name, or its 1-based position in the job's steps. */
  step?: string | undefined;
  event?: string | undefined;
  /** A pull request event's type (the payload's `action`): opened, synchronize, closed, … */
  type?: string | undefined;
  matrix?: Record<string, string>;
  /** Values for `vars.NAME`. */
  vars?: Record<string, string>;
  /** Values for `secrets.NAME`, other than the ones `try` supplies. */
  secrets?: Record<string, string>;
  /** Input values that replace what the workflow gives (also for what cannot be evaluated). */
  set?: Record<string, string>;
}

/** The values the environment `try` runs in gives to expressions. */
export interface TryContext {
  /** `secrets.NAME` for input `input`: the emulator's token for api-token, a placeholder else. */
  secret(name: string, input: string): string;
  /** `github.*`, flattened: `event_name`, `sha`, `event.pull_request.number`, … */
  github: Record<string, string>;
}

/** An expression `try` could not evaluate, and where it is. */
export interface Unresolved {
  input: string;
  expression: string;
  reason: string;
}

/** The step `try` runs, with its inputs evaluated. */
export interface TryPlan {
  job: string;
  /** How the step is named in messages: `step 2 (id deploy)`. */
  step: string;
  uses: string;
  event: string;
  /** Why that event: `--event`, the job's `if:`, or the workflow's `on:`. */
  eventFrom: string;
  /** A pull_request or pull_request_target event's type (its payload's `action`); undefined for others. */
  type: string | undefined;
  /** Why that type: `--type`, the workflow's `on.<event>.types`, or GitHub's first default. */
  typeFrom: string;
  matrix: Record<string, string>;
  /** The `with:` inputs, evaluated (the ones in `unresolved` are left out). */
  inputs: Record<string, string>;
  /** Where an input's value came from, when not written as is: `secrets.X (the emulator's token)`. */
  notes: string[];
  /** What the user should know about the choices (a --type the workflow's on: does not list). */
  warnings: string[];
  /** The inputs whose value the command line gave (`--set`, or a `--secret` the expression reads). */
  given: string[];
  unresolved: Unresolved[];
}

/** A workflow `try` cannot run; the message says what to change or which option to give. */
export class TryError extends Error {}

const ACTION_NAME = /(^|\/)northflank-llm-deploy-action(@|\/|$)/i;

/** Whether a step uses this action: by its repository name at any ref, `./`, or (a fork with another name) its required inputs. */
export function usesThisAction(step: WorkflowStep): boolean {
  const uses = step.uses?.trim() ?? '';
  if (uses === '') return false;
  if (ACTION_NAME.test(uses) || uses === './' || uses === '.') return true;
  const given = Object.keys(step.with ?? {});
  return ['api-token', 'project-id', 'deployment-id'].every((name) => given.includes(name));
}

/** The events a workflow's `on:` lists, in order. */
export function eventsOf(on: unknown): string[] {
  if (typeof on === 'string') return [on];
  if (Array.isArray(on)) return on.map(String);
  if (on !== null && typeof on === 'object') return Object.keys(on);
  return [];
}

function label(step: WorkflowStep, index: number): string {
  const named = step.id ? ` (id ${step.id})` : step.name ? ` ("${step.name}")` : '';
  return `step ${String(index + 1)}${named}`;
}

function pickJob(jobs: Record<string, WorkflowJob>, wanted: string | undefined): string {
  const names = Object.keys(jobs);
  if (wanted !== undefined) {
    if (!(wanted in jobs)) {
      throw new TryError(`The workflow has no job "${wanted}"; its jobs: ${names.join(', ')}.`);
    }
    return wanted;
  }
  const ours = names.filter((n) => (jobs[n]?.steps ?? []).some((s) => usesThisAction(s)));
  if (ours.length === 1 && ours[0] !== undefined) return ours[0];
  if (ours.length === 0) {
    throw new TryError(
      `No job of the workflow uses northflank-llm-deploy-action (jobs: ${names.join(', ') || 'none'}).`,
    );
  }
  throw new TryError(`Several jobs use the action (${ours.join(', ')}): pick one with --job.`);
}

function pickStep(
  job: string,
  steps: WorkflowStep[],
  wanted: string | undefined,
): { step: WorkflowStep; index: number } {
  const list = steps.map((s, i) => `${label(s, i)}: ${s.uses ?? 'run'}`).join('; ');
  if (wanted !== undefined) {
    const position = /^\d+$/.test(wanted) ? Number(wanted) - 1 : -1;
    const index =
      position >= 0 && position < steps.length
        ? position
        : steps.findIndex((s) => s.id === wanted || s.name === wanted);
    const step = steps[index];
    if (!step) throw new TryError(`Job "${job}" has no step "${wanted}" (${list}).`);
    if (!step.uses)
      throw new TryError(`${label(step, index)} of job "${job}" runs a script, not an action.`);
    return { step, index };
  }
  const ours = steps.flatMap((s, i) => (usesThisAction(s) ? [{ step: s, index: i }] : []));
  if (ours.length === 1 && ours[0]) return ours[0];
  if (ours.length === 0) {
    throw new TryError(`No step of job "${job}" uses northflank-llm-deploy-action (${list}).`);
  }
  throw new TryError(
    `Job "${job}" uses the action in several steps (${ours.map((o) => label(o.step, o.index)).join(', ')}): pick one with --step <id, name or position>.`,
  );
}

/** Event names are words (`pull_request`); a type (`opened`) is given apart, with --type. */
const EVENT_NAME = /^[a-z][a-z_]*$/;

function pickEvent(
  workflow: WorkflowFile,
  job: WorkflowJob,
  wanted: string | undefined,
): { event: string; from: string } {
  if (wanted !== undefined) {
    if (!EVENT_NAME.test(wanted)) {
      const [name = '', type = ''] = wanted.split(/[^a-z_]+/i);
      const hint =
        EVENT_NAME.test(name) && type !== ''
          ? `: give --event ${name} --type ${type}`
          : ' such as push or pull_request';
      throw new TryError(
        `--event takes an event's name, a word${hint} (got "${wanted}"); a pull request's type (opened, closed, …) is given with --type.`,
      );
    }
    return { event: wanted, from: '--event' };
  }
  const condition = typeof job.if === 'string' ? job.if : '';
  const named = /github\.event_name\s*==\s*'([a-z_]+)'/.exec(condition)?.[1];
  if (named) return { event: named, from: "the job's if:" };
  // The first event the workflow lists, as written: what the header names and --help promises.
  const first = eventsOf(workflow.on)[0];
  if (first === undefined)
    return { event: 'push', from: 'a default (the workflow lists no event)' };
  return { event: first, from: "the workflow's first on: event" };
}

/** The pull request events, whose payload carries the type (`action`) the action reads. */
export const PULL_REQUEST_EVENTS = ['pull_request', 'pull_request_target'];

/** The types `on.<event>.types` lists, in order (empty when it lists none: GitHub's defaults). */
export function typesOf(on: unknown, event: string): string[] {
  if (on === null || typeof on !== 'object' || Array.isArray(on)) return [];
  const entry = (on as Record<string, unknown>)[event];
  if (entry === null || typeof entry !== 'object') return [];
  const types = (entry as Record<string, unknown>).types;
  if (typeof types === 'string') return [types];
  return Array.isArray(types) ? types.map(String) : [];
}

function pickType(
  workflow: WorkflowFile,
  event: string,
  wanted: string | undefined,
): { type: string | undefined; from: string; warning?: string } {
  if (!PULL_REQUEST_EVENTS.includes(event)) {
    if (wanted !== undefined) {
      throw new TryError(
        `--type is the type of a pull_request or pull_request_target event; this run's event is ${event} (--event pull_request to change it).`,
      );
    }
    return { type: undefined, from: '' };
  }
  const listed = typesOf(workflow.on, event);
  if (wanted !== undefined) {
    if (!EVENT_NAME.test(wanted)) {
      throw new TryError(
        `--type takes a pull request event's type, a word such as opened, synchronize, reopened or closed (got "${wanted}").`,
      );
    }
    const warning =
      listed.length > 0 && !listed.includes(wanted)
        ? `GitHub does not run this workflow on a ${event} event of type ${wanted}: on.${event}.types lists ${listed.join(', ')}. Tried anyway.`
        : undefined;
    return { type: wanted, from: '--type', ...(warning === undefined ? {} : { warning }) };
  }
  if (listed[0] !== undefined) return { type: listed[0], from: `the first of on.${event}.types` };
  return { type: 'opened', from: `a default: on.${event} lists no types` };
}

/** The first row of the job's matrix (an `include` entry, or each key's first value), with `wanted` on top. */
function pickMatrix(job: WorkflowJob, wanted: Record<string, string>): Record<string, string> {
  const matrix = job.strategy?.matrix ?? {};
  const row: Record<string, string> = {};
  for (const [key, value] of Object.entries(matrix)) {
    if (key === 'include' || key === 'exclude') continue;
    if (Array.isArray(value) && value.length > 0) row[key] = scalar(value[0]);
  }
  const include = matrix.include;
  if (Array.isArray(include) && include[0] !== null && typeof include[0] === 'object') {
    for (const [key, value] of Object.entries(include[0] as Record<string, unknown>)) {
      row[key] = scalar(value);
    }
  }
  return { ...row, ...wanted };
}

function scalar(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

interface Scope {
  context: TryContext;
  env: Record<string, string>;
  matrix: Record<string, string>;
  vars: Record<string, string>;
  secrets: Record<string, string>;
}

/** A value (its kind when not text: GitHub's false and 0 are falsy, the text 'false' is not), or why not. */
type Evaluated =
  { value: string; note?: string; kind?: 'boolean' | 'number' } | { missing: string };

/** One operand: a literal or a context property. */
function operand(text: string, input: string, scope: Scope): Evaluated {
  const literal = /^'((?:[^']|'')*)'$/.exec(text);
  if (literal) return { value: (literal[1] ?? '').replace(/''/g, "'") };
  if (/^-?\d+(\.\d+)?$/.test(text)) return { value: text, kind: 'number' };
  if (text === 'true' || text === 'false') return { value: text, kind: 'boolean' };
  if (text === 'null') return { value: '' };
  const property = /^([a-z_]+)\.([A-Za-z0-9_.-]+)$/.exec(text);
  if (!property) {
    return {
      missing:
        'only literals, context properties, ==, !=, !, && and || are evaluated here (no functions or parentheses)',
    };
  }
  const [, context = '', name = ''] = property;
  const found = (value: string | undefined, what: string): Evaluated =>
    value === undefined ? { missing: what } : { value };
  switch (context) {
    case 'secrets':
      if (name in scope.secrets) return { value: scope.secrets[name] ?? '', note: '--secret' };
      return { value: scope.context.secret(name, input), note: 'secret' };
    case 'github':
      return found(scope.context.github[name], `github.${name} is not known locally`);
    case 'env':
      return found(scope.env[name], `no env: entry ${name} in the workflow, job or step`);
    case 'matrix':
      return found(scope.matrix[name], `the job's matrix has no ${name} (give --matrix ${name}=…)`);
    case 'vars':
      return found(scope.vars[name], `a repository variable (give --var ${name}=…)`);
    default:
      return { missing: `${context}.* is not known outside a workflow run` };
  }
}

/** `text` split at each `separator` outside single-quoted literals. */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === "'") quoted = !quoted;
    else if (!quoted && text.startsWith(separator, i)) {
      parts.push(text.slice(start, i).trim());
      start = i + separator.length;
      i += separator.length - 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

/** GitHub's falsy values: false, 0, '' and null (which evaluates to ''). */
const falsy = (e: { value: string; kind?: 'boolean' | 'number' }): boolean =>
  e.value === '' ||
  (e.kind === 'boolean' && e.value === 'false') ||
  (e.kind === 'number' && Number(e.value) === 0);

/** A comparison (`a == b`, `a != b`; case-insensitive, as GitHub compares strings), a `!x`, or an operand. */
function comparison(text: string, input: string, scope: Scope): Evaluated {
  for (const op of ['!=', '==']) {
    const sides = splitOutsideQuotes(text, op);
    if (sides.length === 2) {
      const [left, right] = sides.map((side) => operand(side, input, scope));
      if (!left || 'missing' in left) return left ?? { missing: 'no left side' };
      if (!right || 'missing' in right) return right ?? { missing: 'no right side' };
      const equal = left.value.toLowerCase() === right.value.toLowerCase();
      const note = left.note ?? right.note;
      return {
        value: String(op === '==' ? equal : !equal),
        kind: 'boolean',
        ...(note ? { note } : {}),
      };
    }
  }
  if (text.startsWith('!') && !text.startsWith('!=')) {
    const inner = operand(text.slice(1).trim(), input, scope);
    return 'missing' in inner ? inner : { value: String(falsy(inner)), kind: 'boolean' };
  }
  return operand(text, input, scope);
}

/** Comparisons joined by `&&`: the first falsy one, else the last (GitHub's rule). */
function conjunction(text: string, input: string, scope: Scope): Evaluated {
  let last: Evaluated = { value: '' };
  for (const part of splitOutsideQuotes(text, '&&')) {
    last = comparison(part, input, scope);
    if ('missing' in last || falsy(last)) return last;
  }
  return last;
}

/**
 * An expression: `||` (the first operand that is not empty, as users write defaults) of `&&`,
 * `==`, `!=` and `!` over literals and context properties, as workflows write conditions.
 */
function expression(text: string, input: string, scope: Scope): Evaluated {
  if (/[()]/.test(text.replace(/'(?:[^']|'')*'/g, ''))) {
    return {
      missing:
        'only literals, context properties, ==, !=, !, && and || are evaluated here (no functions or parentheses)',
    };
  }
  const parts = splitOutsideQuotes(text, '||');
  let last: Evaluated = { value: '' };
  for (const [index, part] of parts.entries()) {
    last = conjunction(part, input, scope);
    // An unset repository variable is '' on GitHub too: `vars.X || 'default'` takes the default.
    if ('missing' in last && part.startsWith('vars.') && index < parts.length - 1) continue;
    if ('missing' in last || !falsy(last)) return last;
  }
  return last;
}

/** `text` with each `${{ }}` evaluated; the first that cannot be is returned as missing. */
function evaluate(
  text: string,
  input: string,
  scope: Scope,
): { value: string; notes: string[]; given: boolean } | { expression: string; reason: string } {
  const notes: string[] = [];
  let given = false;
  let failure: { expression: string; reason: string } | undefined;
  const value = text.replace(/\$\{\{\s*([\s\S]*?)\s*\}\}/g, (whole, inner: string) => {
    const result = expression(inner, input, scope);
    if ('missing' in result) {
      failure ??= { expression: whole, reason: result.missing };
      return '';
    }
    if (result.note) notes.push(inner);
    if (result.note === '--secret') given = true;
    return result.value;
  });
  return failure ?? { value, notes, given };
}

function envOf(
  levels: (Record<string, unknown> | undefined)[],
  scope: Omit<Scope, 'env'>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const level of levels) {
    for (const [name, raw] of Object.entries(level ?? {})) {
      const result = evaluate(scalar(raw), `env ${name}`, { ...scope, env });
      if ('value' in result) env[name] = result.value;
    }
  }
  return env;
}

/** Reads the workflow and evaluates the chosen step's inputs. Throws TryError on what it cannot pick. */
export function planTry(text: string, selection: TrySelection, context: TryContext): TryPlan {
  let workflow: WorkflowFile | null;
  try {
    workflow = parse(text) as WorkflowFile | null;
  } catch (error) {
    throw new TryError(
      `The workflow is not valid YAML: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (workflow === null || typeof workflow !== 'object' || !workflow.jobs) {
    throw new TryError('The file has no jobs: is it a workflow (.github/workflows/*.yml)?');
  }
  const jobName = pickJob(workflow.jobs, selection.job);
  const job = workflow.jobs[jobName] ?? {};
  const { step, index } = pickStep(jobName, job.steps ?? [], selection.step);
  const { event, from } = pickEvent(workflow, job, selection.event);
  const type = pickType(workflow, event, selection.type);
  const matrix = pickMatrix(job, selection.matrix ?? {});
  const github = {
    ...context.github,
    event_name: event,
    ...(type.type === undefined ? {} : { 'event.action': type.type }),
  };
  const base = {
    context: { ...context, github },
    matrix,
    vars: selection.vars ?? {},
    secrets: selection.secrets ?? {},
  };
  const scope: Scope = { ...base, env: envOf([workflow.env, job.env, step.env], base) };
  const inputs: Record<string, string> = {};
  const notes: string[] = [];
  const unresolved: Unresolved[] = [];
  const given: string[] = [];
  for (const [input, raw] of Object.entries(step.with ?? {})) {
    if (selection.set && input in selection.set) continue;
    const result = evaluate(scalar(raw), input, scope);
    if ('reason' in result) {
      unresolved.push({ input, ...result });
      continue;
    }
    inputs[input] = result.value;
    if (result.given) given.push(input);
    if (result.notes.length > 0) notes.push(`${input}: ${result.notes.join(', ')}`);
  }
  for (const [input, value] of Object.entries(selection.set ?? {})) {
    inputs[input] = value;
    given.push(input);
    notes.push(`${input}: --set`);
  }
  return {
    job: jobName,
    step: label(step, index),
    uses: step.uses ?? '',
    event,
    eventFrom: from,
    type: type.type,
    typeFrom: type.from,
    matrix,
    inputs,
    notes,
    given,
    warnings: type.warning === undefined ? [] : [type.warning],
    unresolved,
  };
}
