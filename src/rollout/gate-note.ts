/**
 * The benchmark gate's note: one line the action appends to the deployment's description when a
 * configuration fails its gate and stays serving, so that the next run (a re-run of the same
 * commit, a push that changes nothing) can read the verdict back and fail too, until the
 * configuration changes, is reverted or is forced. The description is the one place every user
 * has (a GitHub deployment needs `environment`) and that every GET already returns. Pure.
 */
import { createHash } from 'node:crypto';

/** How the note's line starts; the rest of the description is the user's and is never touched. */
export const GATE_NOTE_PREFIX = '[benchmark gate] ';

/** Northflank's limit on a description. */
export const MAX_DESCRIPTION_CHARS = 1024;

/** What a note says: the spec it judged (by hash), the run that judged it, and why. */
export interface GateNote {
  /** The hash of the spec as GET showed it when the gate failed (see specFingerprint). */
  spec: string;
  /** The run that judged it: its URL, or its id outside GitHub. */
  run: string;
  /** The note's line as written (for the message). */
  line: string;
}

const NOTE_LINE = /^\[benchmark gate\] .*\bspec ([0-9a-f]{12})\b.* in run (\S+) .*$/m;

/** A spec's identity: sha256 of its JSON with keys sorted, 12 hex digits. */
export function specFingerprint(spec: unknown): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 12);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The note in a description, if it has one. */
export function parseGateNote(description: string | null | undefined): GateNote | undefined {
  const [line, spec, run] = NOTE_LINE.exec(description ?? '') ?? [];
  if (line === undefined || spec === undefined || run === undefined) return undefined;
  return { spec, run, line };
}

/** The description without the note (and the blank line before it); undefined when it had none. */
export function withoutGateNote(description: string | null | undefined): string | undefined {
  if (description === null || description === undefined) return undefined;
  if (!parseGateNote(description)) return description;
  return description
    .split('\n')
    .filter((line) => !NOTE_LINE.test(line))
    .join('\n')
    .replace(/\s+$/, '');
}

/** What the note is made from. */
export interface GateNoteFacts {
  spec: string;
  configurationId: string | undefined;
  run: string;
  /** The exceeded limits, e.g. `itl-p50 +20%`. */
  exceeded: string[];
}

/** The note's line. */
export function formatGateNote(facts: GateNoteFacts): string {
  const config = facts.configurationId ? ` (configuration ${facts.configurationId})` : '';
  const limits = facts.exceeded.join(', ').slice(0, 200);
  return `${GATE_NOTE_PREFIX}Exceeded ${limits} on spec ${facts.spec}${config} in run ${facts.run} . The action fails re-runs of this spec until it changes, is reverted, or force: true is set.`;
}

/**
 * The user's description with the note as its last line (any older note replaced); undefined
 * when the two do not fit in Northflank's 1024 characters.
 */
export function withGateNote(
  description: string | null | undefined,
  note: string,
): string | undefined {
  const own = withoutGateNote(description) ?? '';
  const text = own === '' ? note : `${own}\n\n${note}`;
  return text.length <= MAX_DESCRIPTION_CHARS ? text : undefined;
}
