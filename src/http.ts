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
  return new EnvHttpProxyAgent({
    connectTimeout: timeouts.connectTimeoutMs,
    headersTimeout: timeouts.headersTimeoutMs,
    bodyTimeout: timeouts.bodyTimeoutMs,
  });
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

/** The JSON value that `text` holds, or undefined when it holds none. */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
