import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHubCall {
  method: string;
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown>;
}

/** A local server that plays GitHub's deployments API and records the calls made to it. */
export async function startFakeGitHub(
  options: { refuse?: boolean } = {},
): Promise<{ url: string; calls: GitHubCall[]; close(): Promise<void> }> {
  const calls: GitHubCall[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      calls.push({
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: req.headers.authorization,
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      });
      res.setHeader('content-type', 'application/json');
      if (options.refuse) {
        res.writeHead(403);
        res.end(JSON.stringify({ message: 'Resource not accessible by integration' }));
      } else if (req.method === 'POST' && /\/deployments$/.test(req.url ?? '')) {
        res.writeHead(201);
        res.end(JSON.stringify({ id: 4242, sha: 'abc', environment: 'production' }));
      } else if (req.method === 'POST' && /\/deployments\/4242\/statuses$/.test(req.url ?? '')) {
        res.writeHead(201);
        res.end(
          JSON.stringify({
            id: calls.length,
            state: (JSON.parse(text) as { state: string }).state,
          }),
        );
      } else {
        res.writeHead(404);
        res.end(JSON.stringify({ message: 'Not Found' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  };
}
