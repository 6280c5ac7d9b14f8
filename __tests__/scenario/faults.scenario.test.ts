/**
 * Transient faults, in-process on a fake clock that the emulator shares: retries, backoff and
 * rate-limit waits are checked on the run's own time and take none of the machine's. The log's
 * safety, outputs without GITHUB_OUTPUT and cancellation by signal run the bundle, in
 * faults.e2e.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { toApi, type Emulator, type EmulatorOptions } from '../../emulator/server.js';
import { once, type World } from '../helpers/harness.js';
import { FAULTS, OURS_PLAN as FAST_PLAN, startTwin } from '../helpers/twins.js';

let world: World;
async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  world = await startTwin(FAULTS, 'in-process', options);
  return world.emu;
}

describe('transient faults', () => {
  it('retries 503s on the first read, then rolls out', async () => {
    const e = await start();
    e.faults.push({ method: 'GET', kind: 'status', status: 503, times: 2 });
    const run = await world.run();
    expect(run.code).toBe(0);
    expect(e.requests.slice(0, 4).map((r) => `${r.method} ${r.status}`)).toEqual([
      'GET 503',
      'GET 503',
      'GET 200',
      'POST 200',
    ]);
    // Full jitter within 1 s, then 2 s.
    const gaps = [
      e.requests[1]!.atMs - e.requests[0]!.atMs,
      e.requests[2]!.atMs - e.requests[1]!.atMs,
    ];
    expect(gaps[0]).toBeLessThan(1200);
    expect(gaps[1]).toBeLessThan(2200);
    expect(run.stdout).toMatch(
      /^::warning::GET \S+ failed \(HTTP 503\); retrying in \S+ \(attempt 2 of 6\)/m,
    );
  });

  it('waits for x-ratelimit-reset after a 429', async () => {
    const e = await start();
    e.faults.push({
      method: 'GET',
      kind: 'status',
      status: 429,
      headers: { 'x-ratelimit-reset': '1' },
    });
    const run = await world.run();
    expect(run.code).toBe(0);
    expect(e.requests[0]!.status).toBe(429);
    expect(e.requests[1]!.atMs - e.requests[0]!.atMs).toBeGreaterThanOrEqual(950);
  });

  it('abandons a request that never answers after request-timeout, and goes on', async () => {
    const e = await start();
    e.faults.push({ method: 'GET', kind: 'hang' });
    const run = await world.run({ 'request-timeout': '500ms' });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/GET \S+ failed \(no answer within 500ms\); retrying/);
  });

  it('keeps waiting through an unknown status value', async () => {
    const e = await start({ plan: { ...FAST_PLAN, provisioningMs: 1500 } });
    // Once the update is in, the next two reads show a status the action does not know.
    once(
      e,
      () => e.requests.some((r) => r.method === 'POST') && e.requests.at(-1)?.method === 'GET',
      () => {
        const body = {
          data: { ...toApi(e.deployment(), world.clock.now()), status: 'warming-up' },
        };
        e.faults.push({ method: 'GET', kind: 'status', status: 200, body, times: 2 });
      },
    );
    const run = await world.run();
    expect(run.code).toBe(0);
    expect(run.outputs.outcome).toBe('running');
    expect(run.stdout).toMatch(/Status: warming-up/);
  });

  it('reports a body that is not JSON with a short excerpt, not a stack trace', async () => {
    const e = await start();
    e.faults.push({ kind: 'raw', body: '<html><body>Bad gateway ##[error]x</body></html>' });
    const run = await world.run();
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^::error title=Unexpected API response::Northflank API GET \S+ answered with a body that is not JSON: "<html><body>Bad gateway #\u200B#\[error\]x/m,
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).not.toMatch(/\n\s+at /);
  });
});
