/**
 * What a streamed chat completion's events mean, pure: content chunks, the finish chunk, the
 * usage chunk, `[DONE]` and an error sent inside the stream. Timestamps come from the caller.
 */
import * as z from 'zod/mini';
import { once } from '../northflank/schema.js';
import type { SseEvent } from './sse.js';

/** One `chat.completion.chunk`; only what the measurement reads. */
const chunkSchema = once(() =>
  z.looseObject({
    choices: z.optional(
      z.array(
        z.looseObject({
          delta: z.optional(z.looseObject({ content: z.optional(z.nullable(z.string())) })),
          finish_reason: z.optional(z.nullable(z.string())),
        }),
      ),
    ),
    usage: z.optional(
      z.nullable(z.looseObject({ completion_tokens: z.optional(z.nullable(z.number())) })),
    ),
    error: z.optional(z.unknown()),
  }),
);

/** The state of one stream as its events arrive. */
export interface ChatStreamState {
  /** When the first chunk with non-empty `delta.content` arrived. */
  firstContentMs: number | undefined;
  /** When the last such chunk arrived. */
  lastContentMs: number | undefined;
  /** How many chunks carried content (one per token on vLLM). */
  contentChunks: number;
  /** `usage.completion_tokens` from the usage chunk, when the server sent one. */
  usageTokens: number | undefined;
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
    firstContentMs: undefined,
    lastContentMs: undefined,
    contentChunks: 0,
    usageTokens: undefined,
    finished: false,
    done: false,
    error: undefined,
  };
}

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
    state.error ??= `a stream event is not JSON: ${data.slice(0, 120)}`;
    return;
  }
  const parsed = chunkSchema().safeParse(json);
  if (!parsed.success) {
    state.error ??= `a stream event is not a chat completion chunk: ${data.slice(0, 120)}`;
    return;
  }
  const chunk = parsed.data;
  if (chunk.error !== undefined) {
    state.error ??= `the server reported an error in the stream: ${errorText(chunk.error)}`;
    return;
  }
  for (const choice of chunk.choices ?? []) {
    const content = choice.delta?.content;
    if (typeof content === 'string' && content !== '') {
      state.firstContentMs ??= atMs;
      state.lastContentMs = atMs;
      state.contentChunks++;
    }
    if (typeof choice.finish_reason === 'string' && choice.finish_reason !== '') {
      state.finished = true;
    }
  }
  const tokens = chunk.usage?.completion_tokens;
  if (typeof tokens === 'number' && Number.isFinite(tokens)) state.usageTokens = tokens;
}

function errorText(error: unknown): string {
  if (typeof error === 'string') return error.slice(0, 200);
  if (typeof error === 'object' && error !== null && 'message' in error) {
    return String(error.message).slice(0, 200);
  }
  return JSON.stringify(error).slice(0, 200);
}

/** Whether the stream has said all it will: `[DONE]`, or its finish chunk and then its usage. */
export function streamComplete(state: ChatStreamState): boolean {
  return state.done || (state.finished && state.usageTokens !== undefined);
}

/** Why a stream that ended counts as an error, or undefined when it is complete. */
export function incompleteReason(state: ChatStreamState): string | undefined {
  if (state.error !== undefined) return state.error;
  if (state.contentChunks === 0) return 'the stream ended without any content';
  // A missing `[DONE]` is tolerated once the finish chunk came, and the reverse.
  if (!state.finished && !state.done) {
    return `the stream broke off after ${state.contentChunks} content chunk(s), before its finish chunk or [DONE]`;
  }
  return undefined;
}
