/**
 * One streamed chat completion against an OpenAI-compatible endpoint, timed: when it was sent,
 * when its first and last tokens arrived, and how it ended.
 */
import { compactJson } from '../errors.js';
import { formatDuration } from '../duration.js';
import { httpRequest, parseJsonOrUndefined, readPrefix, type Dispatcher } from '../http/request.js';
import { neutralise } from '../log.js';
import {
  applyEvent,
  errorText,
  incompleteReason,
  newStreamState,
  streamComplete,
  tokenChunks,
  type ChatStreamState,
  type StreamTokens,
} from './chat-stream.js';
import { SseParser, SseTooLargeError } from './sse.js';
import { bodyEncoding, quoteBody, unquotableBody } from '../http/body-text.js';

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
  /** The first token must come within this, and each later token within this of the one before. */
  requestTimeoutMs: number;
  /** Aborts on cancellation or at the deadline: the request stops at once. */
  signal: AbortSignal;
  /** A monotonic clock in milliseconds (performance.now in the action). */
  now: () => number;
}

/** How one request went, with timestamps from `now`. */
export interface RequestRecord extends StreamTokens {
  sentMs: number;
  endMs: number;
  /** Why the request counts as an error; undefined when it succeeded. */
  error: string | undefined;
  /** The server refused `ignore_eos` (the caller sends the request again without it). */
  ignoreEosRefused: boolean;
  /** Stopped by the signal (cancellation or the deadline), not the server's doing. */
  aborted: boolean;
}

/** An error answer is read this far for its message. */
const MAX_ERROR_BYTES = 4000;
/** A JSON answer in place of a stream (one whole completion) is read this far. */
const MAX_JSON_BYTES = 64_000;
/** What a stream that yields no event is kept of, to tell what it was instead. */
const MAX_RAW_CHARS = 4000;

/** What to try when the endpoint does not stream. */
const NOT_STREAMING_HINT =
  'A proxy or gateway in front of the model may buffer the response (it must pass text/event-stream through unbuffered, e.g. nginx "proxy_buffering off"), or the server ignores "stream": true; point smoke-url at the model server itself to tell which.';

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
    firstTokenMs: state.firstTokenMs,
    lastTokenMs: state.lastTokenMs,
    answerChunks: state.answerChunks,
    reasoningChunks: state.reasoningChunks,
    usageTokens: state.usageTokens,
    usageReasoningTokens: state.usageReasoningTokens,
    error,
    ignoreEosRefused: false,
    aborted: false,
    ...extra,
  });
  // request-timeout bounds the wait for the first token, then each wait for the next one:
  // comments (`: ping`) and empty chunks keep a connection open, but they are not tokens.
  const silence = new SilenceWatch(o.requestTimeoutMs);
  try {
    const response = await httpRequest(o.dispatcher, new URL(`${o.base}/v1/chat/completions`), {
      method: 'POST',
      signal: AbortSignal.any([o.signal, silence.signal]),
      headers: {
        accept: 'text/event-stream',
        'accept-encoding': 'identity',
        'content-type': 'application/json',
        ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}),
      },
      body: chatRequestBody(o),
    });
    const encoding = bodyEncoding(response.headers['content-encoding']);
    const type = headerText(response.headers['content-type']).toLowerCase();
    if (response.statusCode < 200 || response.statusCode > 299) {
      const { text } = await readPrefix(response.body, MAX_ERROR_BYTES);
      const refused =
        (response.statusCode === 400 || response.statusCode === 422) &&
        o.ignoreEos &&
        encoding === undefined &&
        text.includes('ignore_eos');
      return record(`HTTP ${response.statusCode}: ${apiMessage(text, encoding)}`, {
        ignoreEosRefused: refused,
      });
    }
    if (encoding !== undefined) {
      return record(
        `the endpoint answered HTTP 200 with ${type || 'no content-type'} in ${unquotableBody('', encoding) ?? ''}: no token can be read from it. A proxy in front of the model compresses its answers; turn compression off for text/event-stream (nginx "gzip off" for that location), or point smoke-url at the model server itself.`,
      );
    }
    if (type.includes('json') && !type.includes('event-stream')) {
      const { text } = await readPrefix(response.body, MAX_JSON_BYTES);
      return record(notAStream(text, type));
    }
    return record(await readEvents(response.body, type, state, silence, o.now));
  } catch (error) {
    if (o.signal.aborted) return record('stopped', { aborted: true });
    return record(brokenOff(error, state, silence, o.requestTimeoutMs));
  } finally {
    silence.stop();
  }
}

/** Aborts its signal once `ms` pass without a token; a token (`arm`) starts the wait again. */
class SilenceWatch {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Bytes that came since the last token (keep-alives, empty chunks). */
  sinceToken = 0;

  constructor(private readonly ms: number) {
    this.arm();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.controller.abort();
    }, this.ms);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/** Reads the event stream into `state`; resolves to why the request is an error, if it is. */
async function readEvents(
  body: AsyncIterable<Uint8Array>,
  type: string,
  state: ChatStreamState,
  silence: SilenceWatch,
  now: () => number,
): Promise<string | undefined> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  let events = 0;
  let raw = '';
  const fold = (text: string, atMs: number, last = false): void => {
    const before = tokenChunks(state);
    const parsed = last ? [...parser.push(text), ...parser.end()] : parser.push(text);
    if (events === 0 && raw.length < MAX_RAW_CHARS) raw += text.slice(0, MAX_RAW_CHARS);
    if (events === 0 && parsed.length === 0 && looksBinaryStart(raw)) throw new NotTextError();
    for (const [i, event] of parsed.entries()) {
      applyEvent(state, event, atMs, last && i === parsed.length - 1);
    }
    events += parsed.length;
    if (tokenChunks(state) > before) {
      silence.sinceToken = 0;
      silence.arm();
    } else {
      silence.sinceToken += text.length;
    }
  };
  try {
    for await (const piece of body) {
      fold(decoder.decode(piece, { stream: true }), now());
      // Done once `[DONE]`, or the finish and usage chunks, came: a server that keeps the
      // connection open after them has answered, and waiting would count it as an error.
      if (state.error !== undefined || streamComplete(state)) break;
    }
    fold(decoder.decode(), now(), true);
  } catch (error) {
    // Leaving the loop drops the connection: nothing more of the stream is read.
    if (error instanceof SseTooLargeError) return error.message;
    if (error instanceof NotTextError) return noEvents(raw, type);
    throw error;
  }
  if (events === 0) return noEvents(raw, type);
  return incompleteReason(state);
}

/** The first bytes of a stream are not text: no event can come of it. */
class NotTextError extends Error {}

/** Whether the start of a stream is binary (judged on its first few hundred characters). */
function looksBinaryStart(text: string): boolean {
  return text.length >= 64 && unquotableBody(text.slice(0, MAX_RAW_CHARS), undefined) !== undefined;
}

/** Why a request that threw is an error: no token in time (request-timeout), or a broken stream. */
function brokenOff(
  error: unknown,
  state: ChatStreamState,
  silence: SilenceWatch,
  requestTimeoutMs: number,
): string {
  const timeout = formatDuration(requestTimeoutMs);
  const keptAlive = silence.sinceToken > 0 ? ', kept alive by comments or empty chunks' : '';
  const tokens = tokenChunks(state);
  // undici's own body and headers timeouts (request-timeout long too) may fire first.
  const code =
    typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  if (
    silence.signal.aborted ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT'
  ) {
    return tokens === 0
      ? `no first token within ${timeout} (request-timeout)${keptAlive ? `: the stream stayed open${keptAlive}, without a token` : ''}`
      : `the stream stalled: no token for ${timeout} (request-timeout) after ${tokens} token(s)${keptAlive}`;
  }
  const reason = neutralise(compactJson(error instanceof Error ? error.message : error, 200), 200);
  return tokens > 0 ? `the stream broke off after ${tokens} token chunk(s): ${reason}` : reason;
}

function headerText(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

/** Why a 200 answer in JSON, not an event stream, is an error. */
function notAStream(text: string, type: string): string {
  const json = parseJsonOrUndefined(text);
  if (typeof json === 'object' && json !== null) {
    const record = json as Record<string, unknown>;
    if (record.error !== undefined && record.error !== null) {
      return `the server answered HTTP 200 with an error: ${errorText(record.error)}`;
    }
    if (record.object === 'error')
      return `the server answered HTTP 200 with an error: ${errorText(record)}`;
    if (Array.isArray(record.choices) || record.object === 'chat.completion') {
      return `the endpoint does not stream: it answered one whole chat completion (${type || 'no content-type'}) instead of an event stream, so no token can be timed. ${NOT_STREAMING_HINT}`;
    }
  }
  return `the endpoint answered HTTP 200 with ${type || 'no content-type'}, not an event stream: ${quoteBody(text, undefined, 120)}. ${NOT_STREAMING_HINT}`;
}

/** Why a 200 answer that held no event at all is an error: what it held instead. */
function noEvents(raw: string, type: string): string {
  const text = raw.trim();
  if (text.startsWith('{')) return notAStream(text, type || 'no content-type');
  if (text === '') return 'the stream ended without any event (an empty answer)';
  return `the endpoint answered HTTP 200 with ${type || 'no content-type'} and no server-sent event: ${quoteBody(text, undefined, 120)}`;
}

/** The `error.message` of an OpenAI-style error body, or the body itself; bounded, safe to log. */
function apiMessage(text: string, encoding: string | undefined): string {
  const json = encoding === undefined ? parseJsonOrUndefined(text) : undefined;
  if (typeof json === 'object' && json !== null) return errorText(json);
  return quoteBody(text, encoding, 200);
}
