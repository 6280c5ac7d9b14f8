// undici's index loads everything it ships (fetch, WebSocket, caches, mocks) at start-up, which
// costs tens of milliseconds on every run of the action; the client needs only a proxy-aware
// agent and `request`. This module does what the index does for those: load the classes and put
// the request API (request, connect...) on Dispatcher.prototype, which ProxyAgent relies on.
// undici is pinned to an exact version, and every black-box test (a proxy one too) goes through here.
import api from 'undici/lib/api/index.js';
import DispatcherClass from 'undici/lib/dispatcher/dispatcher.js';
import EnvHttpProxyAgent from 'undici/lib/dispatcher/env-http-proxy-agent.js';
import type { Dispatcher } from 'undici';

Object.assign(DispatcherClass.prototype, api);

export type { Dispatcher };

export interface HttpTimeouts {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

/** A connection pool with per-phase timeouts that honours HTTPS_PROXY/HTTP_PROXY/NO_PROXY. */
export function createAgent(timeouts: HttpTimeouts): Dispatcher {
  checkProxyVariables(process.env);
  return new EnvHttpProxyAgent({
    connectTimeout: timeouts.connectTimeoutMs,
    headersTimeout: timeouts.headersTimeoutMs,
    bodyTimeout: timeouts.bodyTimeoutMs,
  });
}

const MAX_CONNECT_TIMEOUT_MS = 10_000;

/** The connection pool with per-phase timeouts, honouring HTTPS_PROXY/HTTP_PROXY/NO_PROXY. */
export function createDispatcher(requestTimeoutMs: number): Dispatcher {
  return createAgent({
    connectTimeoutMs: Math.min(MAX_CONNECT_TIMEOUT_MS, requestTimeoutMs),
    headersTimeoutMs: requestTimeoutMs,
    bodyTimeoutMs: requestTimeoutMs,
  });
}

/** A proxy variable that is set but is not a URL; names the variable, not its value (it may hold a password). */
export class ProxyConfigError extends Error {
  override readonly name = 'ProxyConfigError';
}

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'] as const;

/** Throws ProxyConfigError for the first proxy variable that undici could not use. */
export function checkProxyVariables(env: Readonly<Record<string, string | undefined>>): void {
  for (const name of PROXY_VARIABLES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new ProxyConfigError(
        `The environment variable ${name} is not a proxy URL such as http://proxy.example.com:3128 (its value is not shown: it may hold a password). Fix or unset ${name} in the workflow or on the runner.`,
      );
    }
  }
}

/** One HTTP request through `dispatcher`; redirects are not followed. */
export function httpRequest(
  dispatcher: Dispatcher,
  url: URL,
  options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'>,
): Promise<Dispatcher.ResponseData> {
  return dispatcher.request({ ...options, origin: url.origin, path: url.pathname + url.search });
}

/** A response body as UTF-8 text; fails once it passes `maxBytes` instead of buffering it all. */
export async function readCapped(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new Error(`response larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * At most `maxBytes` of a body as UTF-8 text, and whether there was more; the rest is not
 * downloaded (leaving the loop destroys the stream).
 */
export async function readPrefix(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
): Promise<{ text: string; truncated: boolean }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body) {
    const room = maxBytes - size;
    if (chunk.byteLength > room) {
      chunks.push(chunk.subarray(0, room));
      truncated = true;
      break;
    }
    chunks.push(chunk);
    size += chunk.byteLength;
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated };
}

/** The JSON value that `text` holds, or undefined when it holds none. */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Whether a request failed in TLS (a certificate, or https:// to a plain-HTTP port): not transient. */
export function isTlsFailure(code: string | undefined, message: string): boolean {
  const tlsCode =
    code !== undefined &&
    (code === 'EPROTO' ||
      code.startsWith('ERR_SSL_') ||
      code.startsWith('ERR_TLS_') ||
      code.includes('CERT') ||
      code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  return tlsCode || /\bSSL\b|\bTLS\b|certificate/i.test(message);
}
