/**
 * The API client against the real emulator over HTTP, with scripted faults. Backoff sleeps run on
 * a fake clock (recorded, not waited), so retry spacing is checked exactly and the suite stays fast.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { NorthflankClient, type ClientOptions } from '../../src/northflank/client.js';
import { createDispatcher } from '../../src/http/request.js';
import {
  DeadlineError,
  NetworkError,
  NorthflankApiError,
  ResponseFormatError,
  UpdateUnconfirmedError,
} from '../../src/errors.js';
import { DEFAULT_BACKOFF } from '../../src/http/retry.js';
import type { Deployment } from '../../src/northflank/schema.js';
import {
  DEMO_DEPLOYMENT,
  startEmulator,
  type Emulator,
  type EmulatorOptions,
} from '../../emulator/server.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { recordingLogger } from '../helpers/recording-logger.js';

let emu: Emulator | undefined;
let client: NorthflankClient | undefined;
afterEach(async () => {
  await client?.close();
  await emu?.close();
  client = undefined;
  emu = undefined;
});

interface Setup {
  emu: Emulator;
  client: NorthflankClient;
  clock: FakeClock;
  lines: string[];
}

async function setup(
  options: Partial<ClientOptions> = {},
  emulatorOptions: EmulatorOptions = {},
): Promise<Setup> {
  emu = await startEmulator(emulatorOptions);
  const clock = new FakeClock();
  const { log, lines } = recordingLogger();
  client = new NorthflankClient({
    apiUrl: new URL(emu.url),
    token: emu.token,
    target: {
      projectId: DEMO_DEPLOYMENT.projectId,
      deploymentId: DEMO_DEPLOYMENT.id,
      teamId: undefined,
    },
    userAgent: 'test',
    dispatcher: createDispatcher(2000),
    clock,
    // The top of each jitter window: the spacing is then the capped exponential itself.
    random: () => 0.999,
    signal: new AbortController().signal,
    deadlineMs: clock.now() + 30 * 60_000,
    requestTimeoutMs: 2000,
    backoff: DEFAULT_BACKOFF,
    log,
    ...options,
  });
  return { emu, client, clock, lines };
}

const SPEC_CHANGE = { spec: { configuration: { revision: 'v2' } } };

describe('GET retries', () => {
  it('retries 500, 502, 503, 504 and 408 with capped exponential backoff, then succeeds', async () => {
    const s = await setup();
    for (const status of [500, 502, 503, 504, 408])
      s.emu.faults.push({ method: 'GET', kind: 'status', status });
    const d = await s.client.getDeployment();
    expect(d.status).toBe('running');
    expect(s.emu.requests.map((r) => r.status)).toEqual([500, 502, 503, 504, 408, 200]);
    expect(s.clock.sleeps).toEqual([999, 1998, 3996, 7992, 15984]);
    expect(s.lines.filter((l) => l.startsWith('warning: GET'))).toHaveLength(5);
  });

  it('caps each pause and gives up after the last attempt with the status and error id', async () => {
    const s = await setup({ backoff: { baseMs: 1000, capMs: 4000, maxAttempts: 4 } });
    s.emu.faults.push({ method: 'GET', kind: 'status', status: 503, times: 10 });
    const error = await s.client.getDeployment().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NorthflankApiError);
    expect((error as Error).message).toMatch(
      /HTTP 503: Injected HTTP 503\. Request id: emu-err-\d+\. Northflank had a server error.*gave up after 4 attempts/,
    );
    expect(s.clock.sleeps).toEqual([999, 1998, 3996]);
    expect(s.emu.requests).toHaveLength(4);
  });

  it('draws each pause at random across the whole window (full jitter)', async () => {
    const draws = [0.1, 0.9, 0.5];
    const s = await setup({ random: () => draws.shift() ?? 0 });
    s.emu.faults.push({ method: 'GET', kind: 'status', status: 502, times: 3 });
    await s.client.getDeployment();
    expect(s.clock.sleeps).toEqual([100, 1800, 2000]);
  });

  it('does not retry 400, 401, 403, 404 or 422', async () => {
    for (const status of [400, 401, 403, 404, 422]) {
      const s = await setup();
      s.emu.faults.push({ kind: 'status', status });
      await expect(s.client.getDeployment()).rejects.toBeInstanceOf(NorthflankApiError);
      expect(s.emu.requests).toHaveLength(1);
      await client?.close();
      await emu?.close();
    }
  });

  it('names the permission a 403 needs', async () => {
    const s = await setup();
    s.emu.faults.push({
      kind: 'status',
      status: 403,
      body: { error: { status: 403, message: 'Forbidden', id: 'nf-req-42' } },
    });
    await expect(s.client.getDeployment()).rejects.toThrow(
      /HTTP 403: Forbidden\. Request id: nf-req-42\. The token lacks the permission "Project > AiModels > General > Read"/,
    );
  });

  it('retries a connection reset', async () => {
    const s = await setup();
    s.emu.faults.push({ method: 'GET', kind: 'reset', times: 2 });
    expect((await s.client.getDeployment()).id).toBe('llama-chat');
    expect(s.emu.requests).toHaveLength(3);
    expect(s.lines[0]).toMatch(
      /^warning: GET \S+ failed \((ECONNRESET|UND_ERR_SOCKET): .*\); retrying in 999ms \(attempt 2 of 6\)/,
    );
  });

  it('abandons a request that never answers after the request timeout, and retries it', async () => {
    const s = await setup({ requestTimeoutMs: 300, dispatcher: createDispatcher(300) });
    s.emu.faults.push({ method: 'GET', kind: 'hang' });
    const started = performance.now();
    expect((await s.client.getDeployment()).id).toBe('llama-chat');
    expect(performance.now() - started).toBeLessThan(1500);
    expect(s.lines[0]).toMatch(/GET \S+ failed \(no answer within 300ms\); retrying/);
  });

  it('names request-timeout when requests timed out, even if the deadline cut the last one short', async () => {
    const s = await setup({
      requestTimeoutMs: 200,
      dispatcher: createDispatcher(200),
      deadlineMs: new FakeClock().now() + 1000,
    });
    s.emu.faults.push({ method: 'GET', kind: 'hang', times: 2 });
    const error = await s.client.getDeployment().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    // The second attempt had 1 ms left before the deadline: cut short, not a request timeout.
    expect((error as Error).message).toMatch(/no answer within 1ms/);
    expect((error as Error).message).toMatch(/raise request-timeout/);
  });

  it('retries when the server refuses connections, and says so when it gives up', async () => {
    const s = await setup({ backoff: { baseMs: 100, capMs: 1000, maxAttempts: 3 } });
    await s.emu.close();
    const error = await s.client.getDeployment().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toMatch(
      /Could not reach the Northflank API at http:\/\/127\.0\.0\.1:\d+ \(GET \S+\): ECONNREFUSED.*gave up after 3 attempts\. Check api-url/,
    );
    expect(s.clock.sleeps).toHaveLength(2);
  });

  it('quotes a short, sanitised excerpt of a body that is not JSON, without retrying', async () => {
    const s = await setup();
    s.emu.faults.push({ kind: 'raw', body: `<html>\n::error::forged\n${'x'.repeat(5000)}</html>` });
    const error = await s.client.getDeployment().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseFormatError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /answered with a body that is not JSON: "<html> ::error::forged x+… \(\d+ more characters cut\)"/,
    );
    expect(message.length).toBeLessThan(600);
    expect(message).not.toContain('\n');
  });

  it('reports a deployment of the wrong shape by field', async () => {
    const s = await setup();
    s.emu.faults.push({
      kind: 'status',
      status: 200,
      body: { data: { id: 'llama-chat', name: 'x' } },
    });
    await expect(s.client.getDeployment()).rejects.toThrow(
      /unexpected shape \(data\.status: .*expected string/,
    );
  });

  it('does not follow a redirect with the token', async () => {
    const s = await setup();
    s.emu.faults.push({
      kind: 'status',
      status: 302,
      body: '',
      headers: { location: 'http://127.0.0.1:9/steal' },
    });
    await expect(s.client.getDeployment()).rejects.toThrow(
      /HTTP 302.*redirect, which the action does not follow/,
    );
    expect(s.emu.requests).toHaveLength(1);
  });
});

describe('rate limits', () => {
  it('on 429 waits for x-ratelimit-reset, not the backoff', async () => {
    const s = await setup();
    s.emu.faults.push({ kind: 'status', status: 429, headers: { 'x-ratelimit-reset': '42' } });
    await s.client.getDeployment();
    expect(s.clock.sleeps).toEqual([42_000]);
  });

  it('honours Retry-After when that is what the API sends', async () => {
    const s = await setup();
    s.emu.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '7' } });
    await s.client.getDeployment();
    expect(s.clock.sleeps).toEqual([7000]);
  });

  it('fails at once when the limit resets after the deadline, and says so', async () => {
    const s = await setup({ deadlineMs: new FakeClock().now() + 60_000 });
    s.emu.faults.push({ kind: 'status', status: 429, headers: { 'x-ratelimit-reset': '1800' } });
    await expect(s.client.getDeployment()).rejects.toThrow(
      /HTTP 429.*the rate limit, which resets in 30m, would end after the deadline set by the "timeout" input/,
    );
    expect(s.clock.sleeps).toEqual([]);
  });

  it('warns once when the hourly budget runs low', async () => {
    const s = await setup({}, { rateLimit: { limit: 20, windowMs: 3_600_000 } });
    for (let i = 0; i < 20; i++) await s.client.getDeployment();
    const warnings = s.lines.filter((l) => l.includes('requests left in the current hour'));
    expect(warnings).toEqual([
      expect.stringMatching(/^warning: This API token has 1 of its 20 requests left/) as unknown,
    ]);
    expect(s.client.rateLimitRemaining).toBe(0);
  });
});

describe('the update is never sent twice by a retry', () => {
  it('resends after 429 and 503, which are refusals', async () => {
    const s = await setup();
    await s.client.getDeployment();
    s.emu.faults.push(
      { method: 'POST', kind: 'status', status: 503 },
      { method: 'POST', kind: 'status', status: 429, headers: { 'x-ratelimit-reset': '1' } },
    );
    await s.client.updateDeployment(SPEC_CHANGE);
    expect(s.emu.requests.map((r) => `${r.method} ${r.status}`)).toEqual([
      'GET 200',
      'POST 503',
      'POST 429',
      'POST 200',
    ]);
    expect(s.emu.deployment().rollout.configurationId).toBe('cfg-0002');
  });

  it('does not retry a 500 on the update', async () => {
    const s = await setup();
    await s.client.getDeployment();
    s.emu.faults.push({ method: 'POST', kind: 'status', status: 500 });
    await expect(s.client.updateDeployment(SPEC_CHANGE)).rejects.toThrow(
      /POST \S+ failed with HTTP 500/,
    );
    expect(s.emu.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it.each([
    ['a connection reset after the request was handled', { kind: 'reset-after-handling' }],
    ['a 502 from a gateway', { kind: 'status', status: 502 }],
    ['a 504 from a gateway', { kind: 'status', status: 504 }],
  ] as const)('after %s, does not resend: the outcome is unknown', async (_name, fault) => {
    const s = await setup();
    await s.client.getDeployment();
    s.emu.faults.push({ method: 'POST', ...fault });
    await expect(s.client.updateDeployment(SPEC_CHANGE)).rejects.toBeInstanceOf(
      UpdateUnconfirmedError,
    );
    expect(s.emu.requests.map((r) => r.method)).toEqual(['GET', 'POST']);
  });

  it('after a timeout on the update, does not resend', async () => {
    const s = await setup({ requestTimeoutMs: 300, dispatcher: createDispatcher(300) });
    await s.client.getDeployment();
    s.emu.faults.push({ method: 'POST', kind: 'slow', ms: 600 });
    await expect(s.client.updateDeployment(SPEC_CHANGE)).rejects.toThrow(
      /No answer to the update: no answer within 300ms/,
    );
    expect(s.emu.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('resends after a refused connection: the server cannot have acted', async () => {
    const s = await setup();
    await s.emu.close();
    await expect(s.client.updateDeployment(SPEC_CHANGE)).rejects.toBeInstanceOf(NetworkError);
    expect(s.lines.filter((l) => /POST \S+ failed \(ECONNREFUSED/.test(l))).toHaveLength(5);
  });
});

describe('deadline and cancellation', () => {
  it('starts no request after the deadline', async () => {
    const s = await setup({ deadlineMs: new FakeClock().now() });
    await expect(s.client.getDeployment()).rejects.toBeInstanceOf(DeadlineError);
    expect(s.emu.requests).toHaveLength(0);
  });

  it('never sleeps past the deadline', async () => {
    const s = await setup({ deadlineMs: new FakeClock().now() + 5000 });
    s.emu.faults.push({ kind: 'status', status: 503, times: 10 });
    await expect(s.client.getDeployment()).rejects.toThrow(
      /gave up after 3 attempt\(s\): the next retry would end after the deadline/,
    );
    expect(s.clock.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(5000);
  });

  it('aborts an in-flight request at once when cancelled', async () => {
    const controller = new AbortController();
    const s = await setup({ signal: controller.signal });
    s.emu.faults.push({ kind: 'hang' });
    const started = performance.now();
    setTimeout(() => {
      controller.abort(new Error('cancelled by test'));
    }, 100);
    await expect(s.client.getDeployment()).rejects.toThrow('cancelled by test');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('proxy', () => {
  let proxy: Server | undefined;
  afterEach(async () => {
    const server = proxy;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends requests through HTTP_PROXY when it is set', async () => {
    const seen: string[] = [];
    // A minimal forward proxy: undici tunnels through it with CONNECT.
    proxy = createServer();
    proxy.on('connect', (req: IncomingMessage, client: Socket) => {
      seen.push(`${req.method ?? ''} ${req.url ?? ''}`);
      const [host, port] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy?.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
    process.env.HTTP_PROXY = proxyUrl;
    process.env.NO_PROXY = '';
    try {
      const s = await setup({ dispatcher: createDispatcher(2000) });
      const d: Deployment = await s.client.getDeployment();
      expect(d.id).toBe('llama-chat');
      expect(seen).toEqual([`CONNECT ${new URL(s.emu.url).host}`]);
      expect(s.emu.requests).toHaveLength(1);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) Reflect.deleteProperty(process.env, k);
        else process.env[k] = v;
      }
    }
  });
});
