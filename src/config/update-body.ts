// The update body: only the fields whose inputs were given (name, description, tags, ports, and the
// spec from "spec" or "spec-file").
import * as path from 'node:path';
import { InputError } from '../errors.js';
import {
  descriptionSchema,
  nameSchema,
  portSchema,
  specSchema,
  tagSchema,
  type UpdateBody,
} from '../northflank/schema.js';
import { FileRefusal, isInside } from '../runner/files.js';
import type * as z from 'zod/mini';
import { didYouMean } from '../northflank/spec-suggest.js';
import {
  dropNullSpecFields,
  splitUnknownSpecFields,
  withUnknownSpecFields,
} from '../northflank/spec-unknown.js';
import { shorten } from '../shorten.js';
import { parseBoolean } from './scalars.js';
import type { InputSources } from '../runner/deps.js';
import { input } from './input.js';
import { parseList, parseStructured, validate } from './structured.js';

/** What parsing the spec noticed, for the log: paths from the spec's root. */
export interface SpecNotes {
  /** Unknown fields kept as given (`allow-unknown-spec-fields`). */
  unvalidated: string[];
  /** Fields given as null: not set, so neither compared nor sent. */
  nulls: string[];
}

/**
 * Builds the update body from the inputs that were given, and only those. With
 * `allow-unknown-spec-fields`, the spec fields the schema does not know are kept as given and
 * their paths pushed to `notes.unvalidated`; spec fields given as null are left out.
 */
export function parseUpdateBody(
  sources: InputSources,
  notes: SpecNotes = { unvalidated: [], nulls: [] },
): UpdateBody {
  const body: UpdateBody = {};

  const name = input(sources, 'name');
  if (name !== '') body.name = validate('name', nameSchema(), name);

  // Descriptions may span lines; only surrounding white space is dropped.
  const description = input(sources, 'description');
  if (description !== '')
    body.description = validate('description', descriptionSchema(), description);

  const tags = input(sources, 'tags');
  if (tags !== '') {
    body.tags = parseList('tags', tags).map((tag, i) => validate('tags', tagSchema(), tag, [i]));
  }

  const ports = input(sources, 'ports');
  if (ports !== '') body.ports = parsePorts(ports);
  const spec = parseSpecInputs(sources, notes);
  if (spec) body.spec = spec;
  return body;
}

/** `ports`: a list of ports, each valid, no name twice. */
function parsePorts(text: string): NonNullable<UpdateBody['ports']> {
  const parsed = parseStructured('ports', text);
  if (!Array.isArray(parsed)) {
    throw new InputError(
      'ports',
      'must be a list of ports, e.g. [{"name": "http", "internalPort": 8000, "protocol": "HTTP"}]',
    );
  }
  const ports = parsed.map((port: unknown, i) => validate('ports', portSchema(), port, [i]));
  const seen = new Set<string>();
  ports.forEach((port, i) => {
    if (seen.has(port.name))
      throw new InputError(
        'ports',
        `must have unique names (got "${port.name}", which is used twice)`,
        `[${i}].name`,
      );
    seen.add(port.name);
  });
  return ports;
}

/** The spec, from `spec` or `spec-file` (never both); undefined when neither is given. */
function parseSpecInputs(sources: InputSources, notes: SpecNotes): Spec | undefined {
  const spec = input(sources, 'spec');
  const specFile = input(sources, 'spec-file');
  if (spec !== '' && specFile !== '') {
    throw new InputError(
      'spec-file',
      'cannot be used together with "spec"; give the spec in one of them',
    );
  }
  const allowUnknown = parseBoolean(
    'allow-unknown-spec-fields',
    input(sources, 'allow-unknown-spec-fields') || 'false',
  );
  if (spec !== '') return validateSpec('spec', parseStructured('spec', spec), allowUnknown, notes);
  if (specFile === '') return undefined;
  const parsed = parseStructured('spec-file', readSpecFile(sources, specFile));
  return validateSpec('spec-file', parsed, allowUnknown, notes);
}

type Spec = NonNullable<UpdateBody['spec']>;

function validateSpec(name: string, value: unknown, allowUnknown: boolean, notes: SpecNotes): Spec {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError(
      name,
      'must be an object such as {"configuration": {"name": "deepseek-ai/DeepSeek-V3"}}',
    );
  }
  // Null and absent are the same everywhere (as GET shows them): `revision: ~` is "not set".
  const { kept, dropped } = dropNullSpecFields(value);
  notes.nulls.push(...dropped);
  if (!allowUnknown) return validate(name, specSchema(), kept, [], unknownKeyHint);
  // The known fields are validated as usual; the unknown ones go as given (a newer Northflank's).
  const { known, unknown } = splitUnknownSpecFields(kept);
  const checked = validate(name, specSchema(), known, [], unknownKeyHint);
  notes.unvalidated.push(...unknown.map((field) => field.path));
  return withUnknownSpecFields(checked, unknown);
}

/** For an unknown key: the known path it most likely means, and where every field is listed. */
function unknownKeyHint(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'unrecognized_keys') return '';
  const parent = issue.path.map(String).join('.');
  const guesses = issue.keys
    .map((key) => ({ key, text: didYouMean(parent, key) }))
    .filter((guess) => guess.text !== '')
    .map((guess) => (issue.keys.length > 1 ? `"${guess.key}": ${guess.text}` : guess.text));
  return [
    ...guesses,
    'every field is in docs/spec-reference.md; a field newer than the action can be sent with allow-unknown-spec-fields: true',
  ].join('; ');
}

/** Where a missing spec file was looked for, what is near it, and the usual cause. */
function missingSpecFile(
  file: string,
  absolute: string,
  workspace: string,
  nearby: readonly string[],
): string {
  const guesses = nearby.map(
    (near) => `"${path.relative(workspace, near).split(path.sep).join('/')}"`,
  );
  return [
    `"${shorten(file)}" does not exist: looked for ${shorten(absolute)} (spec-file is relative to the workspace, GITHUB_WORKSPACE ${shorten(workspace)})`,
    ...(guesses.length > 0 ? [`did you mean ${guesses.join(' or ')}?`] : []),
    'did the workflow run actions/checkout first?',
  ].join('; ');
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
    const nearby = error instanceof FileRefusal ? error.nearby : [];
    throw new InputError(
      'spec-file',
      missing ? missingSpecFile(file, absolute, workspace, nearby) : `"${shorten(file)}" ${reason}`,
    );
  }
}
