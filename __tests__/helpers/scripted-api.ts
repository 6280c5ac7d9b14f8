import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedRequest {
  method: string;
  path: string;
  body: string;
  atMs: number;
}

/** How the scripted API answers one request: status, headers and body (JSON-encoded unless a string). */
export interface ScriptedAnswer {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export type Script = (
  request: ScriptedRequest,
  index: number,
) => ScriptedAnswer | undefined | Promise<ScriptedAnswer | undefined>;

/** A scripted API server, and the requests it answered. */
export interface ScriptedApi {
  url: string;
  token: string;
  requests: ScriptedRequest[];
  close(): Promise<void>;
}

export const SCRIPTED_TOKEN = 'nf-scripted-token-7f3a';

/**
 * A Northflank API stand-in on 127.0.0.1 that answers each request as `script` says, for the
 * odd responses the emulator does not make (nulls, wrong ids, huge or hostile bodies). Requests
 * are timed by `now` (a fake clock's, when the run is on one).
 */
export async function startScriptedApi(
  script: Script,
  now: () => number = () => performance.now(),
): Promise<ScriptedApi> {
  const requests: ScriptedRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        path: req.url ?? '',
        body,
        atMs: now(),
      };
      requests.push(request);
      res.on('error', () => undefined);
      void Promise.resolve(script(request, requests.length - 1)).then((answer = {}) => {
        if (res.destroyed) return;
        const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
        res.writeHead(answer.status ?? 200, {
          'content-type': 'application/json',
          ...answer.headers,
        });
        res.end(text);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token: SCRIPTED_TOKEN,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A deployment as GET returns it, with `overrides` merged in. */
export function deployment(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'llama-chat',
    name: 'llama chat',
    status: 'running',
    projectId: 'demo-project',
    description: 'Chat model',
    tags: ['llm'],
    spec: { type: 'custom', configuration: { name: 'meta-llama/Llama-3.1-8B-Instruct' } },
    dns: { base: 'llama-chat--demo.example.code.run' },
    ports: [
      {
        id: 'http',
        name: 'http',
        internalPort: 8000,
        protocol: 'HTTP',
        public: true,
        dns: 'http--llama-chat--demo.example.code.run',
      },
    ],
    deploymentConfiguration: { id: 'cfg-1', createdAt: '2026-01-01T00:00:00.000Z' },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** Inputs that point the action at a scripted API. */
export function scriptedInputs(api: { url: string; token: string }): Record<string, string> {
  return {
    'api-token': api.token,
    'api-url': api.url,
    'project-id': 'demo-project',
    'deployment-id': 'llama-chat',
  };
}

/** A rollout: GETs answer `before` until the POST, then the new configuration, running. */
export function rollout(before: Record<string, unknown>, after: Record<string, unknown>): Script {
  let posted = false;
  return (request) => {
    if (request.method === 'POST') {
      posted = true;
      return { status: 200, body: { data: {} } };
    }
    return { body: { data: posted ? after : before } };
  };
}

/**
 * An API whose GETs answer from `phases[n]` after n accepted POSTs (the last phase repeats), one
 * reading after another within a phase (its last reading repeats). POSTs answer 200.
 */
export function phased(phases: Record<string, unknown>[][]): Script {
  let posts = 0;
  let readsInPhase = 0;
  return (request) => {
    if (request.method === 'POST') {
      posts++;
      readsInPhase = 0;
      return { status: 200, body: { data: { id: 'llama-chat' } } };
    }
    const phase = phases[Math.min(posts, phases.length - 1)] ?? [];
    const answer = phase[Math.min(readsInPhase, phase.length - 1)];
    readsInPhase++;
    return { body: { data: answer } };
  };
}

/** A reading: configuration `cfg` created at minute `minute` of 2026-01-01, with overrides. */
export function reading(
  cfg: string,
  minute: number,
  status: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const at = new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
  return deployment({
    status,
    deploymentConfiguration: { id: cfg, createdAt: at },
    updatedAt: at,
    ...overrides,
  });
}

/** A spec (as GET shows it) with the model `name` and more configuration. */
export function specOf(name: string, more: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'custom', configuration: { name, ...more } };
}
