/**
 * An OpenAI-compatible model endpoint like the one vLLM serves, on 127.0.0.1, for the smoke test
 * and the benchmark: `GET /v1/models` and `POST /v1/chat/completions`, plain or streamed. A stream
 * goes like vLLM's: a role chunk, one chunk per token, a finish chunk, a usage chunk when asked,
 * `[DONE]`; with the time to first token and between tokens of a latency profile (which may follow
 * the emulated deployment's configuration). It can be slow to come up, list another model, refuse
 * without the right key, fail to complete, refuse `ignore_eos` or break its streams, and play what
 * real servers and gateways send: a reasoning model's thinking, null deltas, errors inside the
 * stream, a stream kept open by pings that stalls, and one JSON completion in place of a stream.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import {
  DEFAULT_LATENCY,
  jittered,
  seededRandom,
  type Jitter,
  type LatencyProfile,
} from './latency.js';

export interface ModelServerOptions {
  /** The model id it serves; a function is read at each request (a configuration's name). */
  model: string | (() => string);
  /** `/v1/models` answers 503 until this long after start. */
  readyAfterMs?: number;
  /** Never becomes ready. */
  neverReady?: boolean;
  /** Chat completions answer 500. */
  completionFails?: boolean;
  /** Chat completions answer this client error (as a context length limit or a gateway's 429). */
  completionRefused?: { status: number; message: string };
  /** Required bearer key, if any. */
  apiKey?: string;
  /** The latency of streamed replies; a function is read at each request (a configuration's). */
  latency?: LatencyProfile | (() => LatencyProfile);
  /** Noise on each streamed reply's TTFT and ITL (lognormal, a slow request now and then), seeded. */
  jitter?: Jitter;
  /**
   * Serves other deployments too (a pull request's preview beside production), each under
   * `/deployments/<id>/v1/…` with its own model and latency (undefined: 404, no such deployment).
   */
  deployments?: (id: string) => { model: string; latency: LatencyProfile } | undefined;
  /** Without `ignore_eos`, a streamed reply ends (`stop`) after this many tokens. */
  eosAfterTokens?: number;
  /** Answers 400 to a request with `ignore_eos`, as OpenAI's API does. */
  refuseIgnoreEos?: boolean;
  /** Never sends the usage chunk. */
  noUsage?: boolean;
  /** Never sends `data: [DONE]`. */
  noDone?: boolean;
  /** Drops the connection of every stream after this many tokens. */
  breakAfterTokens?: number;
  /** Every this-many-th chat completion answers 500. */
  failEvery?: number;
  /** The line ending of the stream (default LF). */
  lineEnding?: '\n' | '\r\n';
  /** Sends a `: ping` comment before each event. */
  ping?: boolean;
  /**
   * A reasoning model behind vLLM's reasoning parser: the first `tokens` tokens of each reply
   * (`all`: every one) stream as thinking in `field` with `content: null`, the rest as the
   * answer; `reportTokens` adds `completion_tokens_details.reasoning_tokens` to the usage.
   */
  reasoning?: {
    tokens: number | 'all';
    field?: 'reasoning_content' | 'reasoning';
    reportTokens?: boolean;
  };
  /** The finish chunk carries `delta: null` and the usage chunk `choices: null`, as gateways send. */
  nullDeltas?: boolean;
  /**
   * After `afterTokens` tokens, an error inside the stream, then `[DONE]`: an SSE `event: error`
   * (`event`), vLLM's top-level ErrorResponse `{"object": "error", …}` (`object`), or
   * `{"error": {…}}` (`field`).
   */
  streamError?: { afterTokens: number; kind: 'event' | 'object' | 'field' };
  /** After this many tokens, only `: ping` comments (every `pingEveryMs`), no token, no finish. */
  stallAfterTokens?: number;
  /** How often a stalled stream sends its keep-alive comment (default 50 ms). */
  pingEveryMs?: number;
  /** Ignores `stream: true`: answers one JSON chat completion, like a buffering proxy. */
  notStreaming?: boolean;
  /** The finish chunk's `finish_reason` (vLLM's `abort`, `error`), in place of stop/length. */
  finishReason?: string;
  /** The usage chunk's `completion_tokens` (and `reasoning_tokens`), whatever was streamed. */
  usageTokens?: number;
  usageReasoningTokens?: number;
  /** The first token's chunk carries this many characters (one huge SSE line). */
  hugeTokenChars?: number;
  /** Streams compressed, with `content-encoding: gzip`, though no request asks for it. */
  gzip?: boolean;
  /** Called with each request as it arrives, before it is handled (a test acts at an exact point). */
  onRequest?: (request: { method: string; path: string; body: unknown }) => void;
  /** Its clock (a test's fake one, shared with the run); the wall clock by default. */
  now?: () => number;
  /** The port on 127.0.0.1 (default 0: a free one). */
  port?: number;
}

/** One streamed reply, timed by the server (performance.now): the truth a benchmark measures. */
export interface ServedStream {
  receivedMs: number;
  /** When it got a slot (after waiting for one when max_num_seqs were busy). */
  startedMs: number;
  firstTokenMs: number | undefined;
  lastTokenMs: number | undefined;
  tokens: number;
  profile: LatencyProfile;
  ignoreEos: boolean;
}

export interface ModelServer {
  url: string;
  requests: { method: string; path: string; authorization: string | undefined; body: unknown }[];
  /** The streamed replies, in the order they arrived. */
  streams: ServedStream[];
  options: ModelServerOptions;
  close(): Promise<void>;
}

const WORDS = [
  'The',
  ' model',
  ' serves',
  ' tokens',
  ' at',
  ' a',
  ' steady',
  ' pace',
  ',',
  ' one',
  ' by',
  ' one',
  '.',
];

interface ChatBody {
  model?: string;
  stream?: boolean;
  max_tokens?: number;
  ignore_eos?: boolean;
  stream_options?: { include_usage?: boolean };
  messages?: { content?: string }[];
}

function modelName(options: ModelServerOptions): string {
  return typeof options.model === 'function' ? options.model() : options.model;
}

/** Starts the model endpoint. */
export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  const now = options.now ?? Date.now;
  const startedAt = now();
  const jitterRandom = seededRandom(options.jitter?.seed ?? 1);
  const sockets = new Set<Socket>();
  const requests: ModelServer['requests'] = [];
  const streams: ServedStream[] = [];
  let completions = 0;
  let busy = 0;
  const waiting: (() => void)[] = [];
  const release = (): void => {
    busy--;
    waiting.shift()?.();
  };
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const receivedMs = performance.now();
      let body: unknown;
      try {
        body = text ? (JSON.parse(text) as unknown) : undefined;
      } catch {
        body = text;
      }
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: req.headers.authorization,
        body,
      });
      options.onRequest?.({ method: req.method ?? '', path: req.url ?? '', body });
      const send = (status: number, answer: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      };
      const routed = routeOf(options, req.url ?? '');
      if (!routed) {
        send(404, { error: { message: `No deployment is served at ${req.url ?? ''}` } });
        return;
      }
      const { path, options: o } = routed;
      if (
        options.apiKey !== undefined &&
        req.headers.authorization !== `Bearer ${options.apiKey}`
      ) {
        send(401, { error: { message: 'Invalid API key' } });
        return;
      }
      const ready = !options.neverReady && now() - startedAt >= (options.readyAfterMs ?? 0);
      if (!ready) {
        send(503, { error: { message: 'Model is loading' } });
        return;
      }
      if (req.method === 'GET' && path === '/v1/models') {
        send(200, {
          object: 'list',
          data: [{ id: modelName(o), object: 'model', owned_by: 'vllm' }],
        });
        return;
      }
      if (req.method !== 'POST' || path !== '/v1/chat/completions') {
        send(404, { error: { message: `No route ${req.method ?? ''} ${req.url ?? ''}` } });
        return;
      }
      completions++;
      const chat = (typeof body === 'object' && body !== null ? body : {}) as ChatBody;
      if (
        options.completionFails ||
        (options.failEvery !== undefined && completions % options.failEvery === 0)
      ) {
        send(500, { error: { message: 'CUDA out of memory' } });
        return;
      }
      if (options.completionRefused) {
        send(options.completionRefused.status, {
          object: 'error',
          message: options.completionRefused.message,
        });
        return;
      }
      if (options.refuseIgnoreEos && chat.ignore_eos !== undefined) {
        send(400, {
          error: {
            message: 'Unrecognized request argument supplied: ignore_eos',
            type: 'invalid_request_error',
            param: null,
            code: null,
          },
        });
        return;
      }
      if (chat.stream !== true || options.notStreaming) {
        send(200, {
          id: 'cmpl-1',
          object: 'chat.completion',
          model: chat.model ?? modelName(o),
          choices: [
            {
              index: 0,
              message: completionMessage(o),
              finish_reason: 'stop',
            },
          ],
          usage: { prompt_tokens: 10, completion_tokens: 8, total_tokens: 18 },
        });
        return;
      }
      if (options.gzip) {
        const body = `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: 'length' }] })}\n\ndata: [DONE]\n\n`;
        res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip' });
        res.end(gzipSync(body));
        return;
      }
      const steady = typeof o.latency === 'function' ? o.latency() : (o.latency ?? DEFAULT_LATENCY);
      const profile = options.jitter ? jittered(steady, options.jitter, jitterRandom) : steady;
      const served: ServedStream = {
        receivedMs,
        startedMs: receivedMs,
        firstTokenMs: undefined,
        lastTokenMs: undefined,
        tokens: 0,
        profile,
        ignoreEos: chat.ignore_eos === true,
      };
      streams.push(served);
      const start = (): void => {
        busy++;
        served.startedMs = performance.now();
        stream(res, chat, served, o, release);
      };
      if (profile.maxNumSeqs !== undefined && busy >= profile.maxNumSeqs) waiting.push(start);
      else start();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    streams,
    options,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** The message of a whole (not streamed) reply: a reasoning model's may be all thinking. */
function completionMessage(options: ModelServerOptions): Record<string, string | null> {
  const answer = 'Hello from the emulator!\nSecond line.';
  const reasoning = options.reasoning;
  if (!reasoning) return { role: 'assistant', content: answer };
  const thought = 'The user greets me.\nI should greet them back.';
  return {
    role: 'assistant',
    [reasoning.field ?? 'reasoning_content']: thought,
    content: reasoning.tokens === 'all' ? null : answer,
  };
}

/** The streams a `--model-stream` kind plays (emulator/cli-run.ts), as model server options. */
export const STREAM_KINDS = {
  vllm: {},
  reasoning: { reasoning: { tokens: 8 } },
  'reasoning-only': { reasoning: { tokens: 'all', field: 'reasoning' } },
  'null-deltas': { nullDeltas: true },
  'error-event': { streamError: { afterTokens: 2, kind: 'event' } },
  'error-object': { streamError: { afterTokens: 2, kind: 'object' } },
  'error-field': { streamError: { afterTokens: 2, kind: 'field' } },
  'ping-stall': { stallAfterTokens: 2, pingEveryMs: 1000 },
  'not-streaming': { notStreaming: true },
  'finish-abort': { finishReason: 'abort' },
  'finish-error': { finishReason: 'error' },
  'usage-negative': { usageTokens: -5 },
  'usage-huge': { usageTokens: 1e9 },
  'usage-zero': { usageTokens: 0 },
  'usage-phantom-reasoning': { usageReasoningTokens: 50 },
  'huge-line': { hugeTokenChars: 2 * 1024 * 1024 },
  gzip: { gzip: true },
} as const satisfies Record<string, Partial<ModelServerOptions>>;
export type StreamKind = keyof typeof STREAM_KINDS;

/** Streams one reply like vLLM, each token at its time from the slot's start (no drift). */
function stream(
  res: ServerResponse,
  chat: ChatBody,
  served: ServedStream,
  options: ModelServerOptions,
  release: () => void,
): void {
  const eol = options.lineEnding ?? '\n';
  const id = `chatcmpl-emu-${Math.random().toString(36).slice(2, 10)}`;
  const created = Math.floor(Date.now() / 1000);
  const model = chat.model ?? modelName(options);
  const maxTokens = chat.max_tokens ?? 16;
  const length =
    chat.ignore_eos === true || options.eosAfterTokens === undefined
      ? maxTokens
      : Math.min(maxTokens, options.eosAfterTokens);
  const finishReason = options.finishReason ?? (length < maxTokens ? 'stop' : 'length');
  const promptTokens = Math.ceil(
    (chat.messages ?? []).reduce((n, m) => n + (m.content?.length ?? 0), 0) / 4,
  );
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    release();
  };
  res.on('close', finish);
  const event = (data: unknown): string =>
    `${options.ping ? `: ping${eol}` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}${eol}${eol}`;
  const chunk = (
    delta: Record<string, string | null> | null,
    finish_reason: string | null = null,
  ): string =>
    event({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason }],
    });
  const reasoning = options.reasoning;
  const thinking = (token: number): boolean =>
    reasoning !== undefined && (reasoning.tokens === 'all' || token < reasoning.tokens);
  const reasoningTokens = reasoning
    ? Math.min(length, reasoning.tokens === 'all' ? length : reasoning.tokens)
    : 0;
  /** One token's chunk: thinking (with `content: null`, as vLLM's parser sends it) or answer. */
  const tokenChunk = (token: number): string => {
    const text =
      token === 0 && options.hugeTokenChars !== undefined
        ? 'x'.repeat(options.hugeTokenChars)
        : (WORDS[token % WORDS.length] ?? ' x');
    return thinking(token)
      ? chunk({ [reasoning?.field ?? 'reasoning_content']: text, content: null })
      : chunk({ content: text });
  };
  /** The error `streamError` sends, in the form asked. */
  const streamError = (kind: 'event' | 'object' | 'field'): string => {
    const message = 'The engine failed while generating (emulated)';
    if (kind === 'event')
      return `event: error${eol}data: ${JSON.stringify({ message })}${eol}${eol}`;
    if (kind === 'object') {
      return event({
        object: 'error',
        message,
        type: 'InternalServerError',
        param: null,
        code: 500,
      });
    }
    return event({ error: { message, type: 'InternalServerError', param: null, code: 500 } });
  };
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  // vLLM sends the role first, with empty content: not a token.
  res.write(chunk({ role: 'assistant', content: '' }));
  const { ttftMs, itlMs } = served.profile;
  // The first token is due at the slot's start + TTFT; each later one ITL after the first as
  // sent, so that a first token made late by a busy event loop does not bunch up the rest.
  const due = (token: number): number =>
    token === 0 || served.firstTokenMs === undefined
      ? served.startedMs + ttftMs
      : served.firstTokenMs + token * itlMs;
  const tick = (): void => {
    if (res.destroyed) return;
    const now = performance.now();
    // Every token that is due goes out, each in its own chunk, like vLLM's one chunk per token.
    let out = '';
    while (served.tokens < length && due(served.tokens) <= now + 0.5) {
      if (options.breakAfterTokens !== undefined && served.tokens >= options.breakAfterTokens) {
        // Written first, so the client sees the tokens before the connection drops.
        res.write(out, () => res.destroy());
        finish();
        return;
      }
      if (options.streamError && served.tokens >= options.streamError.afterTokens) {
        // As vLLM does when generation fails: the error as an event, then [DONE].
        res.end(out + streamError(options.streamError.kind) + event('[DONE]'));
        finish();
        return;
      }
      if (options.stallAfterTokens !== undefined && served.tokens >= options.stallAfterTokens) {
        // Kept open by comments, never another token: until the client gives up.
        res.write(out);
        const ping = setInterval(() => {
          if (res.destroyed) clearInterval(ping);
          else res.write(`: ping${eol}${eol}`);
        }, options.pingEveryMs ?? 50);
        res.on('close', () => {
          clearInterval(ping);
        });
        return;
      }
      out += tokenChunk(served.tokens);
      served.tokens++;
      served.firstTokenMs ??= now;
      served.lastTokenMs = now;
    }
    if (served.tokens < length) {
      if (out) res.write(out);
      setTimeout(tick, Math.max(0, due(served.tokens) - performance.now()));
      return;
    }
    out += chunk(options.nullDeltas ? null : { content: '' }, finishReason);
    if (chat.stream_options?.include_usage === true && !options.noUsage) {
      out += event({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: options.nullDeltas ? null : [],
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: options.usageTokens ?? served.tokens,
          total_tokens: promptTokens + (options.usageTokens ?? served.tokens),
          ...(reasoning?.reportTokens || options.usageReasoningTokens !== undefined
            ? {
                completion_tokens_details: {
                  reasoning_tokens: options.usageReasoningTokens ?? reasoningTokens,
                },
              }
            : {}),
        },
      });
    }
    if (!options.noDone) out += event('[DONE]');
    res.end(out);
    finish();
  };
  setTimeout(tick, Math.max(0, due(0) - performance.now()));
}

/** The path and the options a request is served with: production's, or a deployment's under /deployments/<id>. */
function routeOf(
  options: ModelServerOptions,
  url: string,
): { path: string; options: ModelServerOptions } | undefined {
  const match = /^\/deployments\/([^/]+)(\/.*)$/.exec(url);
  if (!match?.[1] || !match[2] || !options.deployments) return { path: url, options };
  const found = options.deployments(decodeURIComponent(match[1]));
  return found ? { path: match[2], options: { ...options, ...found } } : undefined;
}
