/**
 * One streamed chat completion against an OpenAI-compatible endpoint, timed: when it was sent,
 * when its first and last content chunks arrived, and how it ended.
 */
import { compactJson } from '../errors.js';
import { formatDuration } from '../duration.js';
import { httpRequest, readPrefix, type Dispatcher } from '../northflank/http.js';
import { neutralise } from '../log.js';
import { applyEvent, incompleteReason, newStreamState, streamComplete } from './chat-stream.js';
import { SseParser } from './sse.js';

export interface StreamRequestOptions {
  dispatcher: Dispatcher;
  /** The endpoint's base URL, without a trailing slash. */
  base: string;
  apiKey: string | undefined;
  model: string;
  prompt: string;
  maxTokens: number;
  /** Send vLLM's `ignore_eos`, so that every reply is `maxTokens` long. */
  ignoreEos: boolean;
  /** The first token must come within this; it also bounds any silence after it. */
  requestTimeoutMs: number;
  /** Aborts on cancellation or at the deadline: the request stops at once. */
  signal: AbortSignal;
  /** A monotonic clock in milliseconds (performance.now in the action). */
  now: () => number;
}

/** How one request went, with timestamps from `now`. */
export interface RequestRecord {
  sentMs: number;
  endMs: number;
  firstContentMs: number | undefined;
  lastContentMs: number | undefined;
  contentChunks: number;
  usageTokens: number | undefined;
  /** Why the request counts as an error; undefined when it succeeded. */
  error: string | undefined;
  /** The server refused `ignore_eos` (the caller sends the request again without it). */
  ignoreEosRefused: boolean;
  /** Stopped by the signal (cancellation or the deadline), not the server's doing. */
  aborted: boolean;
}

/** An error answer is read this far for its message. */
const MAX_ERROR_BYTES = 4000;

/** The request body: streaming, greedy, with usage, and `ignore_eos` when asked. */
export function chatRequestBody(
  o: Pick<StreamRequestOptions, 'model' | 'prompt' | 'maxTokens' | 'ignoreEos'>,
): string {
  return JSON.stringify({
    model: o.model,
    messages: [{ role: 'user', content: o.prompt }],
    max_tokens: o.maxTokens,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
    ...(o.ignoreEos ? { ignore_eos: true } : {}),
  });
}

/** Sends one streamed chat completion and records its timing; never throws. */
export async function streamChatCompletion(o: StreamRequestOptions): Promise<RequestRecord> {
  const state = newStreamState();
  const sentMs = o.now();
  const record = (
    error: string | undefined,
    extra: Partial<RequestRecord> = {},
  ): RequestRecord => ({
    sentMs,
    endMs: o.now(),
    firstContentMs: state.firstContentMs,
    lastContentMs: state.lastContentMs,
    contentChunks: state.contentChunks,
    usageTokens: state.usageTokens,
    error,
    ignoreEosRefused: false,
    aborted: false,
    ...extra,
  });
  // The first token has its own limit; undici's body timeout (the same length) bounds the
  // silences after it.
  const firstToken = new AbortController();
  const timer = setTimeout(() => {
    firstToken.abort();
  }, o.requestTimeoutMs);
  try {
    const response = await httpRequest(o.dispatcher, new URL(`${o.base}/v1/chat/completions`), {
      method: 'POST',
      signal: AbortSignal.any([o.signal, firstToken.signal]),
      headers: {
        accept: 'text/event-stream',
        'content-type': 'application/json',
        ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}),
      },
      body: chatRequestBody(o),
    });
    if (response.statusCode < 200 || response.statusCode > 299) {
      const { text } = await readPrefix(response.body, MAX_ERROR_BYTES);
      const refused =
        (response.statusCode === 400 || response.statusCode === 422) &&
        o.ignoreEos &&
        text.includes('ignore_eos');
      return record(`HTTP ${response.statusCode}: ${neutralise(apiMessage(text), 200)}`, {
        ignoreEosRefused: refused,
      });
    }
    const parser = new SseParser();
    const decoder = new TextDecoder();
    for await (const piece of response.body as AsyncIterable<Uint8Array>) {
      const atMs = o.now();
      for (const event of parser.push(decoder.decode(piece, { stream: true }))) {
        applyEvent(state, event, atMs);
      }
      if (state.firstContentMs !== undefined) clearTimeout(timer);
      // Done once `[DONE]`, or the finish and usage chunks, came: a server that keeps the
      // connection open after them has answered, and waiting would count it as an error.
      if (state.error !== undefined || streamComplete(state)) break;
    }
    const atMs = o.now();
    for (const event of parser.push(decoder.decode())) applyEvent(state, event, atMs);
    for (const event of parser.end()) applyEvent(state, event, atMs, true);
    return record(incompleteReason(state));
  } catch (error) {
    if (o.signal.aborted) return record('stopped', { aborted: true });
    if (firstToken.signal.aborted && state.firstContentMs === undefined) {
      return record(
        `no first token within ${formatDuration(o.requestTimeoutMs)} (request-timeout)`,
      );
    }
    const reason = compactJson(error instanceof Error ? error.message : error, 200);
    return record(
      state.contentChunks > 0
        ? `the stream broke off after ${state.contentChunks} content chunk(s): ${neutralise(reason, 200)}`
        : neutralise(reason, 200),
    );
  } finally {
    clearTimeout(timer);
  }
}

/** The `error.message` of an OpenAI-style error body, or the body itself. */
function apiMessage(text: string): string {
  try {
    const json = JSON.parse(text) as unknown;
    if (typeof json === 'object' && json !== null && 'error' in json) {
      const error = json.error;
      if (typeof error === 'object' && error !== null && 'message' in error) {
        return String(error.message);
      }
      if (typeof error === 'string') return error;
    }
    if (typeof json === 'object' && json !== null && 'message' in json) return String(json.message);
  } catch {
    // Not JSON: the text itself.
  }
  return text.trim() || '(empty body)';
}
