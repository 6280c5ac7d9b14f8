import * as path from 'node:path';
import type * as z from 'zod/mini';
import type * as Yaml from 'yaml';
import { parseDuration } from '../duration.js';
import { InputError } from '../errors.js';
import type { PhaseLimits } from '../rollout/phases.js';
import { FileRefusal, MAX_INPUT_BYTES, isInside } from './files.js';
import {
  descriptionSchema,
  nameSchema,
  portSchema,
  specSchema,
  tagSchema,
  type UpdateBody,
} from '../northflank/schema.js';

export const DEFAULT_API_URL = 'https://api.northflank.com';
export const DEFAULT_TIMEOUT = '30m';
export const DEFAULT_POLL_INTERVAL = '30s';
export const DEFAULT_ROLLOUT_START_GRACE = '60s';
export const DEFAULT_REQUEST_TIMEOUT = '30s';
export const DEFAULT_SMOKE_TIMEOUT = '5m';
export const DEFAULT_REVERT_TIMEOUT = '20m';

/** Everything the action needs, validated once, before any request. */
export interface Settings {
  apiToken: string;
  projectId: string;
  deploymentId: string;
  teamId: string | undefined;
  apiUrl: URL;
  /** Only the fields the user gave: an empty input means "leave unchanged". */
  update: UpdateBody;
  wait: boolean;
  timeoutMs: number;
  pollIntervalMs: number;
  rolloutStartGraceMs: number;
  requestTimeoutMs: number;
  /** Validate, read and show what would change; send no update. */
  dryRun: boolean;
  /** Send the given fields even when they are already in place. */
  force: boolean;
  /** Deadlines for the new rollout's phases, on top of `timeoutMs`. */
  phaseLimits: PhaseLimits;
  /** Put the previous values back when the new rollout fails, waiting this long for it. */
  revert: { timeoutMs: number } | undefined;
  /** Record the rollout as a GitHub deployment to this environment. */
  github: { environment: string; token: string } | undefined;
  /** Probe the model's OpenAI-compatible endpoint once it runs. */
  smoke: SmokeSettings | undefined;
  /** Inputs that were accepted but will not do what the user may think; logged as warnings. */
  warnings: string[];
}

export interface SmokeSettings {
  /** Overrides the deployment's public URL. */
  url: URL | undefined;
  timeoutMs: number;
  prompt: string | undefined;
  apiKey: string | undefined;
}

/** Where inputs come from: `core.getInput` in the action, a map in tests. */
export interface InputSources {
  /** The raw value of an input, '' when not given. */
  getInput(name: string): string;
  /** Masks a value in the log; called on the token before anything else happens. */
  setSecret(value: string): void;
  /** Reads a file's text; used for `spec-file`. */
  readFile(absolutePath: string): string;
  /** The workspace that `spec-file` is relative to. */
  workspace: string;
}

// yaml costs ~15 ms of start-up, and most runs give no YAML (JSON parses without it): it is
// loaded on first need, by readSettings.
let yaml: typeof Yaml | undefined;

/** Loads the YAML parser, once; parseSettings needs it for inputs that are not plain JSON. */
export async function loadYaml(): Promise<void> {
  yaml ??= await import('yaml');
}

/** Thrown by parseSettings when an input is YAML and the parser is not loaded yet. */
class YamlNeeded extends Error {}

/**
 * parseSettings, loading the YAML parser first if an input turns out to need it. Parsing is
 * pure but for reading `spec-file`, so running it again once the parser is there is safe.
 */
export async function readSettings(sources: InputSources): Promise<Settings> {
  // The second pass must see the very text the first one read: a spec-file is read once.
  const files = new Map<string, string>();
  const once: InputSources = {
    ...sources,
    getInput: (name) => sources.getInput(name),
    setSecret: (value) => {
      sources.setSecret(value);
    },
    readFile: (file) => {
      const text = files.get(file) ?? sources.readFile(file);
      files.set(file, text);
      return text;
    },
  };
  try {
    return parseSettings(once);
  } catch (error) {
    if (!(error instanceof YamlNeeded)) throw error;
    await loadYaml();
    return parseSettings(once);
  }
}

/**
 * Reads and validates every input; throws InputError naming the input and the rule. An input
 * in YAML (not JSON) needs loadYaml() first; readSettings does that.
 */
export function parseSettings(sources: InputSources): Settings {
  const apiToken = sources.getInput('api-token').trim();
  if (apiToken !== '') sources.setSecret(apiToken);
  if (apiToken === '') {
    throw new InputError(
      'api-token',
      'is required: pass a Northflank API token, e.g. ${{ secrets.NORTHFLANK_API_TOKEN }}',
    );
  }
  // Never quote the token: the rule alone is enough to act on.
  if (/^bearer\s/i.test(apiToken)) {
    throw new InputError(
      'api-token',
      'starts with "Bearer "; pass the token alone, the action adds the "Bearer" scheme itself',
    );
  }
  if (/[\s\p{Cc}]/u.test(apiToken)) {
    throw new InputError(
      'api-token',
      'contains white space or control characters; copy the token again without line breaks',
    );
  }
  // An HTTP header carries visible ASCII only; anything else fails every request the same way.
  if (!/^[\x21-\x7e]+$/.test(apiToken)) {
    throw new InputError(
      'api-token',
      'contains characters an HTTP header cannot carry (only visible ASCII is allowed); copy the token again from Northflank',
    );
  }

  const input = (name: string): string => sources.getInput(name).trim();
  const warnings: string[] = [];
  const settings: Settings = {
    apiToken,
    projectId: parseId('project-id', input('project-id'), true),
    deploymentId: parseId('deployment-id', input('deployment-id'), true),
    teamId: parseId('team-id', input('team-id'), false),
    apiUrl: parseApiUrl(input('api-url') || DEFAULT_API_URL, warnings),
    update: parseUpdateBody(sources),
    wait: parseBoolean('wait', input('wait') || 'true'),
    timeoutMs: parseDurationInput('timeout', input('timeout') || DEFAULT_TIMEOUT),
    pollIntervalMs: parseDurationInput(
      'poll-interval',
      input('poll-interval') || DEFAULT_POLL_INTERVAL,
    ),
    rolloutStartGraceMs: parseDurationInput(
      'rollout-start-grace',
      input('rollout-start-grace') || DEFAULT_ROLLOUT_START_GRACE,
    ),
    requestTimeoutMs: parseDurationInput(
      'request-timeout',
      input('request-timeout') || DEFAULT_REQUEST_TIMEOUT,
    ),
    dryRun: parseBoolean('dry-run', input('dry-run') || 'false'),
    force: parseBoolean('force', input('force') || 'false'),
    phaseLimits: {
      provisioningMs: parseOptionalDuration('provisioning-timeout', input('provisioning-timeout')),
      startingMs: parseOptionalDuration('starting-timeout', input('starting-timeout')),
    },
    revert: parseBoolean('revert-on-failure', input('revert-on-failure') || 'false')
      ? {
          timeoutMs: parseDurationInput(
            'revert-timeout',
            input('revert-timeout') || DEFAULT_REVERT_TIMEOUT,
          ),
        }
      : undefined,
    github: parseGitHub(sources),
    smoke: parseSmoke(sources),
    warnings,
  };
  if (!settings.wait && !settings.dryRun) {
    if (settings.github) {
      warnings.push(
        'Input "environment" is ignored with "wait: false": no GitHub deployment is recorded, because the action does not see how the rollout ends.',
      );
    }
    if (settings.smoke) {
      warnings.push(
        'Input "smoke-test" is ignored with "wait: false": the smoke test runs only after the action has waited for the rollout.',
      );
    }
    if (settings.revert) {
      warnings.push(
        'Input "revert-on-failure" is ignored with "wait: false": the action does not see whether the rollout fails, so it cannot revert it.',
      );
    }
    for (const [name, ms] of [
      ['provisioning-timeout', settings.phaseLimits.provisioningMs],
      ['starting-timeout', settings.phaseLimits.startingMs],
    ] as const) {
      if (ms !== undefined) {
        warnings.push(
          `Input "${name}" is ignored with "wait: false": the deadlines per phase apply while the action waits for the rollout.`,
        );
      }
    }
  }
  return settings;
}

function parseId<Required extends boolean>(
  name: string,
  value: string,
  required: Required,
): Required extends true ? string : string | undefined;
function parseId(name: string, value: string, required: boolean): string | undefined {
  if (value === '') {
    if (required) throw new InputError(name, 'is required');
    return undefined;
  }
  // Each id is one URL path segment; a slash or dot-segment would address another resource.
  if (value.includes('/') || value.includes('\\') || value === '.' || value === '..') {
    throw new InputError(name, `must be a single id, without "/" or "\\" (got ${quote(value)})`);
  }
  if (/[\s\p{Cc}]/u.test(value)) {
    throw new InputError(
      name,
      `must not contain white space or control characters (got ${quote(value)})`,
    );
  }
  if (value.length > 200)
    throw new InputError(name, `must be at most 200 characters (got ${quote(value)})`);
  return value;
}

function parseGitHub(sources: InputSources): Settings['github'] {
  const environment = sources.getInput('environment').trim();
  const token = sources.getInput('github-token').trim();
  if (token !== '') sources.setSecret(token);
  if (environment === '') return undefined;
  if (token === '') {
    throw new InputError(
      'github-token',
      'is required with "environment"; the default ${{ github.token }} works when the job has "permissions: deployments: write"',
    );
  }
  if (environment.length > 255)
    throw new InputError(
      'environment',
      `must be at most 255 characters (got ${quote(environment)})`,
    );
  return { environment, token };
}

function parseSmoke(sources: InputSources): SmokeSettings | undefined {
  const input = (name: string): string => sources.getInput(name).trim();
  const apiKey = input('smoke-api-key');
  if (apiKey !== '') sources.setSecret(apiKey);
  if (!parseBoolean('smoke-test', input('smoke-test') || 'false')) return undefined;
  const url = input('smoke-url');
  return {
    url: url === '' ? undefined : parseHttpUrl('smoke-url', url),
    timeoutMs: parseDurationInput('smoke-timeout', input('smoke-timeout') || DEFAULT_SMOKE_TIMEOUT),
    prompt: input('smoke-prompt') || undefined,
    apiKey: apiKey || undefined,
  };
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * `api-url`: https, or http only to this machine (the local emulator), since it carries the token.
 * A trailing `/v1` is dropped (with a warning), since the action adds it to every path itself.
 */
export function parseApiUrl(value: string, warnings: string[] = []): URL {
  const url = parseHttpUrl('api-url', value);
  if (/\/v1$/i.test(url.pathname)) {
    url.pathname = url.pathname.replace(/\/v1$/i, '');
    warnings.push(
      `Input "api-url" ends in /v1; the action adds /v1 itself, so it uses ${url.origin}${url.pathname} (drop /v1 from api-url to silence this warning).`,
    );
  }
  return url;
}

/** An https URL (or http to a loopback address), named `name` in errors. */
function parseHttpUrl(name: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    const example = name === 'api-url' ? DEFAULT_API_URL : 'https://model.example.com';
    throw new InputError(
      name,
      `must be an absolute URL such as ${example} (got "${shorten(value)}")`,
    );
  }
  if (url.username || url.password) {
    throw new InputError(name, 'must not contain credentials');
  }
  // Quoted without its query or fragment, which may carry a key.
  const shown = quote(`${url.protocol}//${url.host}${url.pathname}`);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new InputError(
      name,
      `must use https:// (http:// is allowed only to a loopback address such as 127.0.0.1), because it carries credentials (got ${shown})`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError(name, `must be an https:// URL (got ${shown})`);
  }
  if (url.search || url.hash)
    throw new InputError(
      name,
      `must not have a query or fragment (got ${shown}, then a query or fragment)`,
    );
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

function parseBoolean(name: string, value: string): boolean {
  // The same spellings as core.getBooleanInput (YAML 1.2 core schema), with our own message.
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new InputError(name, `must be true or false (got "${shorten(value)}")`);
}

function parseDurationInput(name: string, value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) {
    throw new InputError(
      name,
      `must be a duration such as 90s, 15m, 1h30m or a number of seconds (got "${shorten(value)}")`,
    );
  }
  if (ms <= 0) throw new InputError(name, `must be greater than zero (got ${quote(value)})`);
  return ms;
}

function parseOptionalDuration(name: string, value: string): number | undefined {
  return value === '' ? undefined : parseDurationInput(name, value);
}

function formatPath(segments: readonly PropertyKey[]): string {
  return segments
    .map((segment, i) =>
      typeof segment === 'number' ? `[${segment}]` : `${i === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
}

const MAX_QUOTED_CHARS = 60;

/** A value quoted for a message: JSON string syntax shows control characters, and it is cut. */
function quote(text: string): string {
  return JSON.stringify(shorten(text));
}

/** A value cut for quoting in a message. */
function shorten(text: string): string {
  if (text.length <= MAX_QUOTED_CHARS) return text;
  // Cut before a lone high surrogate, so the quote stays valid text.
  const end = /[\uD800-\uDBFF]/.test(text.charAt(MAX_QUOTED_CHARS - 1))
    ? MAX_QUOTED_CHARS - 1
    : MAX_QUOTED_CHARS;
  return `${text.slice(0, end)}… (${text.length} characters)`;
}

function valueAt(value: unknown, at: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of at) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** ` (got ...)` for an issue's offending value; nothing where the value is not the point. */
function describeValue(value: unknown, code: string): string {
  if (code === 'unrecognized_keys' || value === undefined) return '';
  if (typeof value === 'string') return ` (got "${shorten(value)}")`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null)
    return ` (got ${String(value)})`;
  if (typeof value !== 'object') return '';
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch {
    json = Array.isArray(value) ? 'a list' : 'an object';
  }
  return ` (got ${shorten(json)})`;
}

/** Validates `value` against `schema`, turning zod's issues into one InputError for `name`. */
function validate<S extends z.ZodMiniType>(
  name: string,
  schema: S,
  value: unknown,
  prefix: PropertyKey[] = [],
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((issue) => {
    const at = formatPath([...prefix, ...issue.path]);
    const rule = `${issue.message}${describeValue(valueAt(value, issue.path), issue.code)}`;
    return at ? `at ${at}: ${rule}` : rule;
  });
  const more =
    result.error.issues.length > 5 ? ` (and ${result.error.issues.length - 5} more)` : '';
  throw new InputError(name, problems.join('; ') + more);
}

/** Parses JSON or YAML text (JSON is YAML), naming the input and position on a syntax error. */
function parseStructured(name: string, text: string): unknown {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_INPUT_BYTES) {
    throw new InputError(name, `is ${bytes} bytes; the limit is ${MAX_INPUT_BYTES} bytes (1 MiB)`);
  }
  const json = parseJson(text);
  if (json.ok) return json.value;
  if (!yaml) throw new YamlNeeded();
  const { LineCounter, parseDocument } = yaml;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  const [first] = doc.errors;
  if (first) {
    const { line, col } = lineCounter.linePos(first.pos[0]);
    const reason = first.message.split('\n')[0] ?? '';
    throw new InputError(
      name,
      `is not valid JSON or YAML at line ${line}, column ${col}: ${reason}`,
    );
  }
  try {
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (error) {
    // The yaml library refuses alias bombs (and other unresolvable documents) only here.
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    const { line, col } = lineCounter.linePos(firstAliasOffset(yaml, doc) ?? 0);
    throw new InputError(
      name,
      `cannot be used as JSON or YAML at line ${line}, column ${col}: ${reason ?? 'unknown error'}`,
    );
  }
}

/**
 * `text` parsed as JSON, when it is JSON with no repeated key. JSON.parse keeps the last of
 * repeated keys silently; such text goes to the YAML parser, which names the key and its line.
 */
function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false };
  }
  return memberCount(text) === keyCount(value) ? { ok: true, value } : { ok: false };
}

/** How many `key: value` members JSON text holds: its colons outside strings. */
function memberCount(text: string): number {
  let count = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x3a) count++;
  }
  return count;
}

/** How many keys the objects in a parsed JSON value hold (iterative: nesting may be deep). */
function keyCount(value: unknown): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === null || typeof item !== 'object') continue;
    const children = Array.isArray(item) ? item : Object.values(item);
    if (!Array.isArray(item)) count += children.length;
    for (const child of children) stack.push(child);
  }
  return count;
}

/** Where the first alias (`*name`) is, for the position of an alias error. */
function firstAliasOffset(
  { visit }: typeof Yaml,
  doc: Parameters<typeof Yaml.visit>[0],
): number | undefined {
  let found: number | undefined;
  visit(doc, {
    Alias(_key, alias) {
      found = alias.range?.[0];
      return visit.BREAK;
    },
  });
  return found;
}

/** `tags`: a YAML/JSON list, or items separated by commas or new lines. */
function parseList(name: string, text: string): string[] {
  let items: string[];
  if (/^\s*(\[|- )/.test(text)) {
    const parsed = parseStructured(name, text);
    if (!Array.isArray(parsed)) {
      throw new InputError(name, 'must be a list such as [llm, production] or llm, production');
    }
    items = parsed.map((item: unknown, i) => {
      if (typeof item !== 'string' && typeof item !== 'number') {
        throw new InputError(
          name,
          `must be a list of words (got ${describeValue(item, '').replace(/^ \(got |\)$/g, '')})`,
          `[${i}]`,
        );
      }
      return String(item).trim();
    });
  } else {
    items = text.split(/[\n,]/).map((item) => item.trim());
  }
  items = items.filter((item) => item !== '');
  if (items.length === 0) {
    throw new InputError(
      name,
      `holds no tags (got "${shorten(text)}"); leave it empty to keep the tags unchanged`,
    );
  }
  return [...new Set(items)];
}

/** Builds the update body from the inputs that were given, and only those. */
export function parseUpdateBody(sources: InputSources): UpdateBody {
  const input = (name: string): string => sources.getInput(name).trim();
  const body: UpdateBody = {};

  const name = input('name');
  if (name !== '') body.name = validate('name', nameSchema(), name);

  // Descriptions may span lines; only surrounding white space is dropped.
  const description = input('description');
  if (description !== '')
    body.description = validate('description', descriptionSchema(), description);

  const tags = input('tags');
  if (tags !== '') {
    body.tags = parseList('tags', tags).map((tag, i) => validate('tags', tagSchema(), tag, [i]));
  }

  const ports = input('ports');
  if (ports !== '') {
    const parsed = parseStructured('ports', ports);
    if (!Array.isArray(parsed)) {
      throw new InputError(
        'ports',
        'must be a list of ports, e.g. [{"name": "http", "internalPort": 8000, "protocol": "HTTP"}]',
      );
    }
    body.ports = parsed.map((port: unknown, i) => validate('ports', portSchema(), port, [i]));
    const seen = new Set<string>();
    body.ports.forEach((port, i) => {
      if (seen.has(port.name))
        throw new InputError(
          'ports',
          `must have unique names (got "${port.name}", which is used twice)`,
          `[${i}].name`,
        );
      seen.add(port.name);
    });
  }

  const spec = input('spec');
  const specFile = input('spec-file');
  if (spec !== '' && specFile !== '') {
    throw new InputError(
      'spec-file',
      'cannot be used together with "spec"; give the spec in one of them',
    );
  }
  if (spec !== '') body.spec = validateSpec('spec', parseStructured('spec', spec));
  if (specFile !== '')
    body.spec = validateSpec(
      'spec-file',
      parseStructured('spec-file', readSpecFile(sources, specFile)),
    );

  return body;
}

function validateSpec(name: string, value: unknown): NonNullable<UpdateBody['spec']> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError(
      name,
      'must be an object such as {"configuration": {"name": "deepseek-ai/DeepSeek-V3"}}',
    );
  }
  return validate(name, specSchema(), value);
}

function readSpecFile(sources: InputSources, file: string): string {
  const workspace = path.resolve(sources.workspace);
  const absolute = path.resolve(workspace, file);
  if (!isInside(workspace, absolute)) {
    throw new InputError(
      'spec-file',
      `must be a path inside the workspace (${workspace}) (got "${shorten(file)}")`,
    );
  }
  try {
    return sources.readFile(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const missing = error instanceof FileRefusal ? error.missing : code === 'ENOENT';
    const reason =
      error instanceof FileRefusal
        ? error.reason
        : code === 'ENOENT'
          ? 'does not exist'
          : code === 'EISDIR'
            ? 'is a directory, not a file'
            : `cannot be read (${code ?? 'unknown error'})`;
    throw new InputError(
      'spec-file',
      `"${shorten(file)}" ${reason}${missing ? '; did the workflow run actions/checkout first?' : ''}`,
    );
  }
}
