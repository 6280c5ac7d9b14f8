// The inputs that hold structure: JSON or YAML (the YAML parser loaded on first need), lists, and
// their validation against a zod schema with a message that points into the value.
import type * as z from 'zod/mini';
import type * as Yaml from 'yaml';
import { InputError } from '../errors.js';
import { MAX_INPUT_BYTES } from '../runner/files.js';
import { shorten } from '../shorten.js';
import { valueAt } from '../json.js';

// yaml costs ~15 ms of start-up, and most runs give no YAML (JSON parses without it): it is
// loaded on first need, by readSettings.
let yaml: typeof Yaml | undefined;

/** Loads the YAML parser, once; parseSettings needs it for inputs that are not plain JSON. */
export async function loadYaml(): Promise<void> {
  yaml ??= await import('yaml');
}

/** A YAML file's contents (a workflow file, for instance), loading the parser on first need. */
export async function parseYaml(text: string): Promise<unknown> {
  await loadYaml();
  return yaml?.parse(text) as unknown;
}

/** Thrown by parseSettings when an input is YAML and the parser is not loaded yet. */
export class YamlNeeded extends Error {}

function formatPath(segments: readonly PropertyKey[]): string {
  return segments
    .map((segment, i) =>
      typeof segment === 'number' ? `[${segment}]` : `${i === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
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

/** More to say about an issue (such as a "did you mean"), appended to its rule; '' for nothing. */
export type IssueHint = (issue: z.core.$ZodIssue) => string;

/** Validates `value` against `schema`, turning zod's issues into one InputError for `name`. */
export function validate<S extends z.ZodMiniType>(
  name: string,
  schema: S,
  value: unknown,
  prefix: PropertyKey[] = [],
  hint: IssueHint = () => '',
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((issue) => {
    const at = formatPath([...prefix, ...issue.path]);
    const more = hint(issue);
    const rule = `${issue.message}${describeValue(valueAt(value, issue.path), issue.code)}${more ? `; ${more}` : ''}`;
    return at ? `at ${at}: ${rule}` : rule;
  });
  const more =
    result.error.issues.length > 5 ? ` (and ${result.error.issues.length - 5} more)` : '';
  throw new InputError(name, problems.join('; ') + more);
}

/** Parses JSON or YAML text (JSON is YAML), naming the input and position on a syntax error. */
export function parseStructured(name: string, text: string): unknown {
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
export function parseList(name: string, text: string): string[] {
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
