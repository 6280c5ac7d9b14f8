/**
 * What a streamed chat completion's events mean, pure: token chunks (the answer's `content`, and
 * a reasoning model's thinking in `reasoning_content` or `reasoning`), the finish chunk, the usage
 * chunk, `[DONE]`, and errors sent inside the stream. Timestamps come from the caller.
 */
import * as z from 'zod/mini';
import { valueAt } from '../json.js';
import { neutralise } from '../log.js';
import { once } from '../lazy-schema.js';
import type { SseEvent } from './sse.js';

/** A text field a server may send as a string, null or not at all: null carries nothing. */
const text = () => z.optional(z.nullable(z.string()));

/**
 * One event of the stream: a `chat.completion.chunk`, or an error a server sends in its place
 * (`{"error": …}`, or vLLM's top-level ErrorResponse `{"object": "error", "message", "code"}`).
 * Null is accepted wherever a value carries nothing (`choices`, `delta`, `content`,
 * `finish_reason`, `usage`), as gateways in front of models send it.
 */
export const chunkSchema = once(() =>
  z.looseObject({
    object: text(),
    message: z.optional(z.unknown()),
    code: z.optional(z.unknown()),
    choices: z.optional(
      z.nullable(
        z.array(
          z.looseObject({
            delta: z.optional(
              z.nullable(
                z.looseObject({
                  content: text(),
                  // vLLM's reasoning parsers: `reasoning_content` up to 0.10, `reasoning` after.
                  reasoning_content: text(),
                  reasoning: text(),
                }),
              ),
            ),
            finish_reason: text(),
          }),
        ),
      ),
    ),
    usage: z.optional(
      z.nullable(
        z.looseObject({
          completion_tokens: z.optional(z.nullable(z.number())),
          completion_tokens_details: z.optional(
            z.nullable(z.looseObject({ reasoning_tokens: z.optional(z.nullable(z.number())) })),
          ),
        }),
      ),
    ),
    error: z.optional(z.unknown()),
  }),
);

/** One parsed event of the stream. */
export type ChatChunk = z.infer<ReturnType<typeof chunkSchema>>;

/** What a stream's tokens showed: when they came, how many chunks of each kind, the usage. */
export interface StreamTokens {
  /** When the first token of either kind (answer or reasoning) arrived. */
  firstTokenMs: number | undefined;
  /** When the last token of either kind arrived. */
  lastTokenMs: number | undefined;
  /** Chunks that carried answer text (`delta.content`): one per token on vLLM. */
  answerChunks: number;
  /** Chunks that carried reasoning (`delta.reasoning_content` or `delta.reasoning`). */
  reasoningChunks: number;
  /** `usage.completion_tokens` from the usage chunk, when the server sent one. */
  usageTokens: number | undefined;
  /** `usage.completion_tokens_details.reasoning_tokens`, when the server reports it. */
  usageReasoningTokens: number | undefined;
}

/** The state of one stream as its events arrive. */
export interface ChatStreamState extends StreamTokens {
  /** A choice reported its `finish_reason`. */
  finished: boolean;
  /** `data: [DONE]` arrived. */
  done: boolean;
  /** The server reported an error inside the stream, or sent something that is not a chunk. */
  error: string | undefined;
}

/** A stream before its first event. */
export function newStreamState(): ChatStreamState {
  return {
    firstTokenMs: undefined,
    lastTokenMs: undefined,
    answerChunks: 0,
    reasoningChunks: 0,
    usageTokens: undefined,
    usageReasoningTokens: undefined,
    finished: false,
    done: false,
    error: undefined,
  };
}

/** Token chunks of either kind so far. */
export function tokenChunks(state: ChatStreamState): number {
  return state.answerChunks + state.reasoningChunks;
}

/** How much of the server's own text an error message quotes. */
const MAX_QUOTE_CHARS = 200;

/**
 * Folds one event, received at `atMs`, into the stream's state. `last` marks the event the end
 * of the stream closed: when it is not JSON it was cut off, which the missing finish tells.
 */
export function applyEvent(
  state: ChatStreamState,
  event: SseEvent,
  atMs: number,
  last = false,
): void {
  const data = event.data.trim();
  if (event.event === 'error') {
    // An SSE error event, whatever its data: the server says the request failed.
    state.error ??= `the server sent an error event in the stream: ${errorText(data)}`;
    return;
  }
  if (data === '[DONE]') {
    state.done = true;
    return;
  }
  if (data === '') return;
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    if (last) return;
    state.error ??= `a stream event is not JSON: ${neutralise(data, 120)}`;
    return;
  }
  const parsed = chunkSchema().safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    const got = issue ? describeGot(valueAt(json, issue.path)) : '';
    state.error ??= `a stream event is not a chat completion chunk${where} (${issue?.message ?? 'unexpected shape'}${got}): ${neutralise(data, 120)}`;
    return;
  }
  const error = chunkError(parsed.data);
  if (error !== undefined) {
    state.error ??= `the server reported an error in the stream: ${error}`;
    return;
  }
  for (const choice of parsed.data.choices ?? []) {
    const delta = choice.delta;
    const answer = nonEmpty(delta?.content);
    const reasoning = nonEmpty(delta?.reasoning_content) || nonEmpty(delta?.reasoning);
    if (answer || reasoning) {
      state.firstTokenMs ??= atMs;
      state.lastTokenMs = atMs;
    }
    // A chunk carrying both (a parser's last thinking token and the answer's first) counts once each.
    if (answer) state.answerChunks++;
    if (reasoning) state.reasoningChunks++;
    if (nonEmpty(choice.finish_reason)) {
      state.finished = true;
      // vLLM ends a request it gave up on with `abort` or `error`: not an answer.
      const reason = choice.finish_reason;
      if ((reason === 'abort' || reason === 'error') && state.error === undefined) {
        state.error = `the server ended the reply with finish_reason "${reason}" after ${tokenChunks(state)} token chunk(s)`;
      }
    }
  }
  const tokens = parsed.data.usage?.completion_tokens;
  if (typeof tokens === 'number' && Number.isFinite(tokens)) state.usageTokens = tokens;
  const reasoningTokens = parsed.data.usage?.completion_tokens_details?.reasoning_tokens;
  if (typeof reasoningTokens === 'number' && Number.isFinite(reasoningTokens)) {
    state.usageReasoningTokens = reasoningTokens;
  }
}

function nonEmpty(value: string | null | undefined): boolean {
  return typeof value === 'string' && value !== '';
}

/** The error a chunk reports, in words; undefined when it reports none. */
function chunkError(chunk: ChatChunk): string | undefined {
  if (chunk.error !== undefined && chunk.error !== null) return errorText(chunk.error);
  if (chunk.object === 'error') return errorText(chunk);
  return undefined;
}

/**
 * An error's message, bounded and safe to log: `message` (with its `code`) of an object,
 * `error.message` of a nested one, a string as it is, anything else as JSON.
 */
export function errorText(error: unknown): string {
  let value = error;
  if (typeof error === 'string') {
    try {
      value = JSON.parse(error) as unknown;
    } catch {
      return neutralise(error.trim() || '(no message)', MAX_QUOTE_CHARS);
    }
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const inner = record.error;
    if (typeof inner === 'object' && inner !== null) return errorText(inner);
    if (typeof inner === 'string' && inner !== '') return neutralise(inner, MAX_QUOTE_CHARS);
    const message = record.message;
    if (message !== undefined && message !== null) {
      const code =
        typeof record.code === 'string' || typeof record.code === 'number'
          ? ` (code ${record.code})`
          : '';
      const said = typeof message === 'string' ? message : JSON.stringify(message);
      return neutralise(`${said}${code}`, MAX_QUOTE_CHARS);
    }
  }
  // Undefined (not a string) for a value JSON cannot hold, despite the declared type.
  const json = JSON.stringify(value) as string | undefined;
  return neutralise(json ?? '(no message)', MAX_QUOTE_CHARS);
}

function describeGot(value: unknown): string {
  if (value === undefined) return '';
  const json = (JSON.stringify(value) as string | undefined) ?? typeof value;
  return `, got ${json.length > 40 ? `${json.slice(0, 40)}…` : json}`;
}

/** Whether the stream has said all it will: `[DONE]`, or its finish chunk and then its usage. */
export function streamComplete(state: ChatStreamState): boolean {
  return state.done || (state.finished && state.usageTokens !== undefined);
}

/** Why a stream that ended counts as an error, or undefined when it is complete. */
export function incompleteReason(state: ChatStreamState): string | undefined {
  if (state.error !== undefined) return state.error;
  const chunks = tokenChunks(state);
  if (chunks === 0) {
    return state.finished || state.done
      ? 'the stream ended without any token: neither answer (delta.content) nor reasoning (delta.reasoning_content, delta.reasoning) came before its end'
      : 'the stream ended without any token';
  }
  // A missing `[DONE]` is tolerated once the finish chunk came, and the reverse.
  if (!state.finished && !state.done) {
    return `the stream broke off after ${chunks} token chunk(s), before its finish chunk or [DONE]`;
  }
  return undefined;
}
