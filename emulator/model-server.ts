/**
 * An OpenAI-compatible model endpoint like the one vLLM serves, on 127.0.0.1, for the smoke test:
 * `GET /v1/models` and `POST /v1/chat/completions`. It can be slow to come up, list another
 * model, refuse without the right key, or fail to complete.
 */
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ModelServerOptions {
  /** The model id it serves. */
  model: string;
  /** `/v1/models` answers 503 until this long after start. */
  readyAfterMs?: number;
  /** Never becomes ready. */
  neverReady?: boolean;
  /** Chat completions answer 500. */
  completionFails?: boolean;
  /** Required bearer key, if any. */
  apiKey?: string;
  /** Its clock (a test's fake one, shared with the run); the wall clock by default. */
  now?: () => number;
}

export interface ModelServer {
  url: string;
  requests: { method: string; path: string; authorization: string | undefined; body: unknown }[];
  close(): Promise<void>;
}

/** Starts the model endpoint. */
export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  const now = options.now ?? Date.now;
  const startedAt = now();
  const sockets = new Set<Socket>();
  const requests: ModelServer['requests'] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: req.headers.authorization,
        body: text ? (JSON.parse(text) as unknown) : undefined,
      });
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
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
      if (req.method === 'GET' && req.url === '/v1/models') {
        send(200, {
          object: 'list',
          data: [{ id: options.model, object: 'model', owned_by: 'vllm' }],
        });
      } else if (req.method === 'POST' && req.url === '/v1/chat/completions') {
        if (options.completionFails) send(500, { error: { message: 'CUDA out of memory' } });
        else
          send(200, {
            id: 'cmpl-1',
            object: 'chat.completion',
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: 'Hello from the emulator!\nSecond line.' },
                finish_reason: 'stop',
              },
            ],
          });
      } else {
        send(404, { error: { message: `No route ${req.method ?? ''} ${req.url ?? ''}` } });
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
