import * as z from 'zod/mini';
import type { Clock } from '../clock.js';
import { compactJson } from '../errors.js';
import { formatDuration } from '../duration.js';
import {
  httpRequest,
  isTlsFailure,
  parseJsonOrUndefined,
  readCapped,
  type Dispatcher,
} from '../http/request.js';
import type { Logger } from '../log.js';
import { neutralise } from '../log.js';
import { bodyEncoding, quoteBody } from '../http/body-text.js';
import { once } from '../lazy-schema.js';

/** `GET /v1/models` of an OpenAI-compatible server (vLLM serves one). */
const modelListSchema = once(() =>
  z.looseObject({ data: z.array(z.looseObject({ id: z.string() })) }),
);

/**
 * `POST /v1/chat/completions`: only the reply is read, the answer or, from a reasoning model
 * (vLLM with a reasoning parser), its thinking (`reasoning_content`, newer vLLM `reasoning`).
 */
const chatCompletionSchema = once(() =>
  z.looseObject({
    choices: z
      .array(
        z.looseObject({
          message: z.looseObject({
            content: z.optional(z.nullable(z.string())),
            reasoning_content: z.optional(z.nullable(z.string())),
            reasoning: z.optional(z.nullable(z.string())),
          }),
        }),
      )
      .check(z.minLength(1)),
  }),
);

export interface SmokeOptions {
  /** The model's base URL (the deployment's public URL, or `smoke-url`). */
  url: URL;
  /** The model that must be listed (the spec's model name), when known. */
  expectedModel: string | undefined;
  timeoutMs: number;
  prompt: string | undefined;
  apiKey: string | undefined;
  dispatcher: Dispatcher;
  requestTimeoutMs: number;
  clock: Clock;
  signal: AbortSignal;
  log: Logger;
}

export interface SmokeResult {
  ok: boolean;
  models: string[];
  reply?: string;
  message: string;
  /** The model was not listed before `timeoutMs` ran out (not a refused TLS connection). */
  timedOut?: boolean;
}

const FIRST_PAUSE_MS = 2000;
/** A model list or a short chat reply fits well within this. */
const MAX_ANSWER_BYTES = 100_000;
const LONGEST_PAUSE_MS = 15_000;

/** Probes the model until it lists itself (and answers a prompt), within the smoke timeout. */
export async function smokeTest(o: SmokeOptions): Promise<SmokeResult> {
  const base = o.url.href.replace(/\/+$/, '');
  const deadline = o.clock.now() + o.timeoutMs;
  let pause = FIRST_PAUSE_MS;
  let last = '';
  for (;;) {
    const answer = await call(o, deadline, 'GET', `${base}/v1/models`);
    if (answer.tls) {
      return {
        ok: false,
        models: [],
        message: `Could not set up a secure (TLS) connection to ${base}: ${answer.error ?? 'TLS error'}. This is not retried: the URL may be wrong (an https:// URL pointing at a plain-HTTP port, or a host whose certificate does not match); check smoke-url or the deployment's public port.`,
      };
    }
    const parsed =
      answer.status === 200
        ? modelListSchema().safeParse(parseJsonOrUndefined(answer.text))
        : undefined;
    const models = parsed?.success ? parsed.data.data.map((m) => m.id) : [];
    const listed =
      o.expectedModel === undefined ? models.length > 0 : models.includes(o.expectedModel);
    if (listed) {
      o.log.info(`The model answers at ${base}/v1/models: ${models.join(', ')}`);
      return o.prompt === undefined
        ? { ok: true, models, message: 'The model is listed.' }
        : prompt(o, deadline, base, models);
    }
    const state =
      answer.status === 200
        ? parsed?.success
          ? `it lists ${models.length ? models.join(', ') : 'no model'}${o.expectedModel ? `, not ${o.expectedModel}` : ''}`
          : `its answer is not a model list: ${quoteBody(answer.text, answer.encoding, 120)}`
        : (answer.error ?? `HTTP ${answer.status}`);
    if (state !== last) o.log.info(`Waiting for the model at ${base}/v1/models: ${state}`);
    last = state;
    if (o.clock.now() + pause > deadline) {
      return {
        ok: false,
        models,
        timedOut: true,
        message: `The model did not answer at ${base}/v1/models within ${formatDuration(o.timeoutMs)} (last: ${state}). ${probeAdvice(answer, base)}`,
      };
    }
    // A 429 says when to come back: not sooner (the pause grows from there as before).
    const retryAfterMs = answer.status === 429 ? retryAfter(answer.retryAfter) : undefined;
    if (retryAfterMs !== undefined) pause = Math.max(pause, retryAfterMs);
    await o.clock.sleep(Math.min(pause, Math.max(0, deadline - o.clock.now())), o.signal);
    pause = Math.min(LONGEST_PAUSE_MS, Math.round(pause * 1.5));
  }
}

async function prompt(
  o: SmokeOptions,
  deadline: number,
  base: string,
  models: string[],
): Promise<SmokeResult> {
  const model = o.expectedModel ?? models[0] ?? '';
  const body = JSON.stringify({
    model,
    messages: [{ role: 'user', content: o.prompt }],
    max_tokens: 64,
  });
  const answer = await call(o, deadline, 'POST', `${base}/v1/chat/completions`, body);
  const parsed =
    answer.status === 200
      ? chatCompletionSchema().safeParse(parseJsonOrUndefined(answer.text))
      : undefined;
  if (!parsed?.success) {
    const what =
      answer.error ?? `HTTP ${answer.status}: ${quoteBody(answer.text, answer.encoding, 200)}`;
    return {
      ok: false,
      models,
      message: `The model is listed but did not answer the smoke prompt (${what}).`,
    };
  }
  const message = parsed.data.choices[0]?.message;
  const said = firstLine(message?.content);
  const thought = firstLine(message?.reasoning_content ?? message?.reasoning);
  // A reasoning model may spend the whole reply thinking: it answered all the same.
  const reply = said || (thought ? `(reasoning only) ${thought}` : '');
  o.log.info(
    said
      ? `The model replied: ${said}`
      : thought
        ? `The model replied with reasoning only (its thinking took the reply's max_tokens before an answer): ${thought}`
        : 'The model replied with an empty message.',
  );
  return { ok: true, models, reply, message: 'The model is listed and answered the prompt.' };
}

function firstLine(text: string | null | undefined): string {
  return (text ?? '').trim().split('\n')[0] ?? '';
}

/** The Retry-After header (seconds, or an HTTP date) in milliseconds, at most a minute. Pure. */
export function retryAfter(value: string | undefined, nowMs = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - nowMs;
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 60_000) : undefined;
}

/**
 * What to check after the model never answered, from the last attempt's failure: the input that
 * decides it (smoke-url, smoke-api-key) and what failed (DNS, refused, TLS, the key, the path),
 * or, when the server answered but did not serve yet, the deployment itself. Pure.
 */
export function probeAdvice(answer: Pick<Answer, 'status' | 'code'>, base: string): string {
  const host = new URL(base).host;
  const v1 = /\/v1$/.test(base) ? ' (it ends in /v1: give the base URL without it)' : '';
  switch (answer.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `DNS: ${new URL(base).hostname} does not resolve (${answer.code}); check "smoke-url" (empty takes the deployment's public URL, which needs a public HTTP port).`;
    case 'ECONNREFUSED':
      return `Connection refused at ${host}: nothing listens there; check the port in "smoke-url" and the deployment's port.`;
    case 'ECONNRESET':
      return `The connection to ${host} was reset; check "smoke-url" (a proxy or a port that is not HTTP).`;
    default:
      break;
  }
  if (answer.status === 401 || answer.status === 403) {
    return `HTTP ${String(answer.status)}: the model server refuses the key; check "smoke-api-key" (the server's --api-key).`;
  }
  if (answer.status === 404) {
    return `HTTP 404: nothing at ${base}/v1/models; check the path in "smoke-url"${v1}.`;
  }
  return `The deployment runs but does not serve yet: check its logs in Northflank, the port's public setting, or raise "smoke-timeout".`;
}

interface Answer {
  status: number;
  text: string;
  /** The connection's error code (ENOTFOUND, ECONNREFUSED, …) when there was no HTTP answer. */
  code?: string | undefined;
  /** A 429's Retry-After header. */
  retryAfter?: string | undefined;
  /** The body's content-encoding, when the server encoded it (then it is never quoted). */
  encoding?: string | undefined;
  /** Why there was no HTTP answer. */
  error?: string;
  /** The TLS handshake failed, which waiting does not fix. */
  tls?: boolean;
}

async function call(
  o: SmokeOptions,
  deadline: number,
  method: 'GET' | 'POST',
  url: string,
  body?: string,
): Promise<Answer> {
  o.signal.throwIfAborted();
  // No request outlives the smoke timeout (which the caller keeps within the step's timeout).
  const requestTimeoutMs = Math.max(1, Math.min(o.requestTimeoutMs, deadline - o.clock.now()));
  const timeout = AbortSignal.timeout(requestTimeoutMs);
  try {
    const response = await httpRequest(o.dispatcher, new URL(url), {
      method,
      signal: AbortSignal.any([o.signal, timeout]),
      headers: {
        accept: 'application/json',
        'accept-encoding': 'identity',
        ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body,
    });
    const header = response.headers['retry-after'];
    return {
      status: response.statusCode,
      text: await readCapped(response.body, MAX_ANSWER_BYTES),
      retryAfter: Array.isArray(header) ? header[0] : header,
      encoding: bodyEncoding(response.headers['content-encoding']),
    };
  } catch (error) {
    o.signal.throwIfAborted();
    const reason = timeout.aborted
      ? `no answer within ${formatDuration(requestTimeoutMs)}`
      : compactJson(error instanceof Error ? error.message : error, 200);
    const code =
      typeof error === 'object' &&
      error !== null &&
      'code' in error &&
      typeof error.code === 'string'
        ? error.code
        : undefined;
    const tls = !timeout.aborted && isTlsFailure(code, reason);
    return { status: 0, text: '', error: neutralise(reason, 200), tls, code };
  }
}
