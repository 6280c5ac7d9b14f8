/**
 * The action against an API that answers oddly (a scripted server on 127.0.0.1): nulls, other
 * ids, huge and hostile bodies, odd rate-limit headers. Whatever it sends, the run writes its
 * outputs and summary, ends with a message, and never prints the token. `run()` runs in-process
 * on a fake clock that the scripted server shares: waits and backoff take no time, durations
 * are the run's own. odd-responses.e2e.test.ts keeps what needs the bundle.
 */
import { describe, expect, it } from '@jest/globals';
import { actionYml, leaks, type ActionRun } from '../helpers/action.js';
import { FakeClock } from '../helpers/fake-clock.js';
import {
  closeAfter,
  runInProcess,
  startScriptedWorld,
  type InProcessRun,
} from '../helpers/harness.js';
import {
  deployment,
  rollout,
  scriptedInputs,
  startScriptedApi,
  type Script,
  type ScriptedApi,
} from '../helpers/scripted-api.js';
import { ODD_RESPONSES_INPUTS } from '../helpers/twins.js';

/** Every output action.yml declares: each run must set them all. */
const OUTPUT_NAMES = Object.keys(actionYml().outputs);

/** The clock of the latest run, which its scripted server shares. */
let clock = new FakeClock();

async function runAgainst(
  script: Script,
  inputs: Record<string, string> = {},
  env: Record<string, string> = {},
): Promise<{ run: InProcessRun; api: ScriptedApi }> {
  clock = new FakeClock(Date.now());
  const world = await startScriptedWorld(script, { clock, inputs: ODD_RESPONSES_INPUTS });
  return { run: await world.run(inputs, { env }), api: world.api };
}

/** Runs the action once more against `api`, on a clock of its own. */
async function runAgain(api: ScriptedApi, inputs: Record<string, string>): Promise<ActionRun> {
  return runInProcess({
    inputs: { ...scriptedInputs(api), ...inputs },
    clock: new FakeClock(Date.now()),
  });
}

/** Every output set, a summary written, the last line the closing message, no token anywhere. */
function expectReported(run: ActionRun, token: string): void {
  expect(Object.keys(run.outputs).sort()).toEqual([...OUTPUT_NAMES].sort());
  expect(run.summary).toMatch(/^## Northflank: /);
  const last = run.stdout.trimEnd().split('\n').at(-1) ?? '';
  expect(last).toMatch(/^(::error title=[^:]*::|::warning[^:]*::)?\S/);
  expect(last).not.toMatch(/^::(debug|group|endgroup)/);
  expect(run.stderr).toBe('');
  expect(leaks(run, token)).toEqual([]);
}

describe('null is absent in every optional field of a deployment', () => {
  const nulls = {
    deploymentConfiguration: null,
    description: null,
    tags: null,
    ports: null,
    dns: null,
    spec: null,
    updatedAt: null,
    createdAt: null,
    projectId: null,
  };

  it('rolls out when the deployment is full of nulls, before and after the update', async () => {
    // With no configuration id and no updatedAt on either side, no wait could tell the rollouts apart.
    const ports = [
      { id: null, name: 'http', internalPort: 8000, protocol: 'HTTP', public: null, dns: null },
    ];
    const before = deployment({
      ...nulls,
      ports,
      deploymentConfiguration: { id: 'cfg-1', createdAt: null },
    });
    // The new configuration shows what was sent and, otherwise, what was there before (a
    // configuration is ours only then), nulls beside.
    const after = deployment({
      ...nulls,
      spec: { type: null, configuration: { revision: 'v2', name: null } },
      deploymentConfiguration: { id: 'cfg-2', createdAt: null },
      ports,
    });
    const { run, api } = await runAgainst(rollout(before, after), {
      spec: '{"configuration": {"revision": "v2"}}',
    });
    expect(run.code).toBe(0);
    expect(run.outputs.outcome).toBe('running');
    expect(run.outputs['deployment-configuration-id']).toBe('cfg-2');
    expect(run.outputs.url).toBe('');
    expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expectReported(run, api.token);
  });
});

describe('whatever the API sends, the run reports', () => {
  it('writes outputs and summary when a field the action does not read is nested 100,000 deep', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const body = `{"data": ${JSON.stringify(deployment()).replace(/}$/, `, "extra": ${deep}}`)}}`;
    const { run, api } = await runAgainst(() => ({ body }), { 'dry-run': 'true' });
    expect(run.code).toBe(0);
    expect(run.outputs.outcome).toBe('dry-run');
    expect(run.outputs.deployment).toContain('nested too deeply');
    expect(run.stdout).not.toMatch(/RangeError|Maximum call stack/);
    expectReported(run, api.token);
  });

  it('keeps the status of a 500 with a 10 MB body, and reads only a little of it', async () => {
    const huge = JSON.stringify({ error: { message: `boom ${'x'.repeat(10 * 1024 * 1024)}` } });
    const { run, api } = await runAgainst(() => ({ status: 500, body: huge }), {
      timeout: '4s',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^::error title=Northflank API error::.*failed with HTTP 500/m);
    expect(run.stdout).not.toMatch(/could not reach/i);
    expect(run.stdout).not.toMatch(/response larger than/);
    expectReported(run, api.token);
  });

  it('shows a dry run whose current spec is nested too deeply to print', async () => {
    const deep = `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`;
    const current = JSON.stringify(
      deployment({ spec: { type: 'custom', configuration: { name: 'm', revision: 'X' } } }),
    ).replace('"X"', deep);
    const { run, api } = await runAgainst(() => ({ body: `{"data": ${current}}` }), {
      'dry-run': 'true',
      spec: '{"configuration": {"revision": "v2"}}',
    });
    expect(run.code).toBe(0);
    expect(run.outputs.outcome).toBe('dry-run');
    expect(run.stdout).toMatch(
      /Would change spec\.configuration\.revision: .*nested too deeply.* → "v2"/,
    );
    expect(run.summary).toContain('Changes the update would make');
    expectReported(run, api.token);
  });

  it('refuses a GET that answers another deployment', async () => {
    const { run, api } = await runAgainst(
      () => ({ body: { data: deployment({ id: 'someone-else' }) } }),
      { spec: '{"configuration": {"revision": "v2"}}' },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /answered with deployment "someone-else", not "llama-chat"; the action will not act on another deployment's state/,
    );
    expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
    expectReported(run, api.token);
  });

  it('redacts the token when the API echoes it, from the log, outputs and summary', async () => {
    let token = '';
    const { run, api } = await runAgainst((request) => {
      token ||= 'nf-scripted-token-7f3a';
      return {
        status: 403,
        headers: { 'x-request-id': `req-${token}` },
        body: {
          error: { message: `token ${token} may not read ${request.path}`, id: `id-${token}` },
        },
      };
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('token *** may not read');
    expect(run.stdout.split('\n').filter((l) => l.includes(api.token))).toEqual([
      `::add-mask::${api.token}`,
    ]);
    expect(run.summary).not.toContain(api.token);
    expectReported(run, api.token);
  });

  it('escapes Markdown in API text that reaches the summary', async () => {
    const hostile =
      'see [docs](https://evil.example/x) ![pixel](https://evil.example/p.png) `code` *bold* <b>x</b>';
    const { run, api } = await runAgainst(() => ({
      status: 404,
      body: { error: { message: hostile } },
    }));
    expect(run.code).toBe(1);
    for (const raw of ['[docs](', '![pixel](', '`code`', '*bold*', '<b>']) {
      expect(run.summary).not.toContain(raw);
    }
    expect(run.summary).toContain('see &#91;docs&#93;&#40;https://evil.example/x&#41;');
    expectReported(run, api.token);
  });

  it('builds the url output only from a DNS name that is a valid host name', async () => {
    const port = (dns: string): Record<string, unknown> => ({
      name: 'http',
      internalPort: 8000,
      protocol: 'HTTP',
      public: true,
      dns,
    });
    for (const dns of ['evil.example/path?x=1', 'a b.example', 'x.example:444', '[x](y).example']) {
      const { run } = await runAgainst(
        () => ({ body: { data: deployment({ ports: [port(dns)] }) } }),
        { 'dry-run': 'true' },
      );
      expect(run.outputs.url).toBe('');
    }
  });

  it('ends with a message, not a stack trace, on a body that is JSON of the wrong kind', async () => {
    for (const body of ['null', '[]', '"running"', '{"data": null}', '{"data": {"id": 7}}']) {
      const { run, api } = await runAgainst(() => ({ body }));
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^::error title=Unexpected API response::/m);
      expectReported(run, api.token);
    }
  });
});

describe('rate limits with odd reset headers', () => {
  it('waits at least a second when x-ratelimit-reset is 0 or in the past', async () => {
    for (const reset of ['0', '1700000000']) {
      let calls = 0;
      const { run, api } = await runAgainst(
        () =>
          ++calls <= 2
            ? { status: 429, headers: { 'x-ratelimit-reset': reset }, body: { error: {} } }
            : { body: { data: deployment() } },
        { 'dry-run': 'true' },
      );
      expect(run.code).toBe(0);
      const times = api.requests.map((r) => r.atMs);
      expect(times).toHaveLength(3);
      expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(990);
      expect((times[2] ?? 0) - (times[1] ?? 0)).toBeGreaterThanOrEqual(990);
    }
  });

  it('bounds an absurd reset in the wait and in the text', async () => {
    const { run, api } = await runAgainst(() => ({
      status: 429,
      headers: { 'x-ratelimit-reset': '1' + '0'.repeat(400) },
      body: { error: { message: 'slow down' } },
    }));
    expect(run.code).toBe(1);
    expect(run.durationMs).toBeLessThan(10_000);
    expect(run.stdout).not.toMatch(/Infinity|NaN/);
    expect(run.stdout).toMatch(/the rate limit, which resets in 1h,/);
    expect(api.requests).toHaveLength(1);
    expectReported(run, api.token);
  });
});

describe('messages', () => {
  it('keeps ".." in an API message and request id', async () => {
    const { run } = await runAgainst(() => ({
      status: 404,
      headers: { 'x-request-id': 'req..42' },
      body: { error: { message: 'no such thing..really' } },
    }));
    expect(run.stdout).toContain('no such thing..really');
    expect(run.stdout).toContain('Request id: req..42');
  });

  it('with no fields to change, a crash is not blamed on the spec', async () => {
    const { run } = await runAgainst(() => ({
      body: { data: deployment({ status: 'crashed' }) },
    }));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/no update was sent/);
    expect(run.stdout).not.toMatch(/fix the spec/);
  });

  it('with wait: false and no fields, does not say both "only waiting" and "not waiting"', async () => {
    const { run } = await runAgainst(() => ({ body: { data: deployment() } }), { wait: 'false' });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/only waiting/);
    expect(run.stdout).toMatch(/No update sent \(no fields to change\); not waiting/);
  });

  it('counts the timeout from the start of the step', async () => {
    let posted = false;
    const { run } = await runAgainst(
      async (request) => {
        if (request.method === 'POST') {
          posted = true;
          // A slow update (1.5 s on the run's clock): the timeout counts from the step's start,
          // not from here.
          clock.advance(1500);
          await Promise.resolve();
          return { body: { data: {} } };
        }
        return {
          body: {
            data: deployment(
              posted ? { status: 'starting', deploymentConfiguration: { id: 'cfg-2' } } : {},
            ),
          },
        };
      },
      { timeout: '3s', spec: '{"configuration": {"revision": "v2"}}' },
    );
    // Ended near 3 s of the run's time, not 3 s after the update was accepted (4.5 s).
    expect(run.durationMs).toBeGreaterThanOrEqual(2500);
    expect(run.durationMs).toBeLessThan(4000);
    expect(run.outputs.outcome).toBe('timeout');
    expect(run.stdout).toMatch(/Timed out after 3s waiting/);
  });

  it('names request-timeout when it is too short to connect (request-timeout: 1ms)', async () => {
    const { run } = await runAgainst(() => ({ body: { data: deployment() } }), {
      'request-timeout': '1ms',
      timeout: '3s',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^::error title=[^:]*::.*raise request-timeout/m);
  });

  it('names request-timeout when requests time out', async () => {
    const { run } = await runAgainst(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 500));
        return { body: { data: deployment() } };
      },
      { 'request-timeout': '100ms', timeout: '3s' },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^::error title=[^:]*::.*raise request-timeout/m);
  });
});

describe('request-timeout named however the reads fail', () => {
  it('names request-timeout when the reads of the wait run out of it, after the first answered in time', async () => {
    let reads = 0;
    const { run } = await runAgainst(
      async () => {
        // The plan's read answers at once; every later one too late for request-timeout.
        if (reads++ > 0) await new Promise((resolve) => setTimeout(resolve, 400));
        return { body: { data: deployment() } };
      },
      { 'request-timeout': '100ms', timeout: '3s', 'poll-interval': '1s' },
    );
    expect(run.code).toBe(1);
    expect(run.outputs.outcome).toBe('timeout');
    expect(run.stdout).toMatch(
      /^::error title=Timed out::.*The reads ran out of "request-timeout": raise request-timeout/m,
    );
  });
});

describe('connection problems', () => {
  it('does not retry https:// to a plain-HTTP port, and says the URL may be wrong', async () => {
    const { run, api } = await runAgainst(() => ({ body: { data: deployment() } }));
    const https = await runAgain(api, { 'api-url': api.url.replace('http:', 'https:') });
    expect(run.code).toBe(0);
    expect(https.code).toBe(1);
    expect(https.stdout).not.toMatch(/retrying/);
    expect(https.stdout).toMatch(/secure \(TLS\) connection.*the URL may be wrong/);
    expect(https.durationMs).toBeLessThan(5000);
  });

  it('stops the smoke test at a TLS failure (https:// smoke-url to a plain-HTTP port)', async () => {
    const model = closeAfter(await startScriptedApi(() => ({ body: { data: [] } })));
    const { run } = await runAgainst(() => ({ body: { data: deployment() } }), {
      'smoke-test': 'true',
      'smoke-url': model.url.replace('http:', 'https:'),
      'smoke-timeout': '60s',
    });
    expect(run.code).toBe(1);
    expect(run.outputs.outcome).toBe('smoke-failed');
    expect(run.stdout).toMatch(/secure \(TLS\) connection.*the URL may be wrong.*check smoke-url/);
    expect(run.durationMs).toBeLessThan(10_000);
  });

  it.each(['HTTPS_PROXY', 'HTTP_PROXY'])('names %s when it is not a URL', async (name) => {
    const { run, api } = await runAgainst(
      () => ({ body: { data: deployment() } }),
      {},
      { [name]: 'not a proxy :: url' },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(
        `^::error title=Invalid proxy setting::The environment variable ${name} is not a proxy URL`,
        'm',
      ),
    );
    expect(run.stdout).not.toContain('not a proxy :: url');
    expectReported(run, api.token);
  });
});

describe('inputs a user can get wrong', () => {
  it('drops a trailing /v1 from api-url and says so', async () => {
    const { run, api } = await runAgainst(() => ({ body: { data: deployment() } }), {
      'dry-run': 'true',
    });
    const v1 = await runAgain(api, { 'api-url': `${api.url}/v1`, 'dry-run': 'true' });
    expect(run.code).toBe(0);
    expect(v1.code).toBe(0);
    expect(v1.stdout).toMatch(/^::warning title=Input ignored::Input "api-url" ends in \/v1/m);
    expect(api.requests.map((r) => r.path)).toEqual([
      '/v1/projects/demo-project/llm-model-deployments/llama-chat',
      '/v1/projects/demo-project/llm-model-deployments/llama-chat',
    ]);
  });

  it.each([
    ['tags: ","', { tags: ',' }, /Input "tags" is invalid: holds no tags/],
    ['a "Bearer " token', { 'api-token': 'Bearer nf-x' }, /starts with "Bearer "/],
    ['a token with a non-ASCII letter', { 'api-token': 'nf-tökén' }, /HTTP header cannot carry/],
  ])('refuses %s before any request', async (_case, inputs, message) => {
    const { run, api } = await runAgainst(() => ({ body: { data: deployment() } }), inputs);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^::error title=Invalid input::/m);
    expect(run.stdout).toMatch(message);
    expect(api.requests).toHaveLength(0);
    expect(run.durationMs).toBeLessThan(5000);
  });

  it('warns that wait: false ignores environment and smoke-test', async () => {
    const { run } = await runAgainst(() => ({ body: { data: deployment() } }), {
      wait: 'false',
      environment: 'production',
      'github-token': 'ghs_x',
      'smoke-test': 'true',
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^::warning title=Input ignored::Input "environment" is ignored/m);
    expect(run.stdout).toMatch(/^::warning title=Input ignored::Input "smoke-test" is ignored/m);
  });
});

describe('timeout bounds the whole step', () => {
  it('stops the smoke test at timeout, not at smoke-timeout', async () => {
    const model = closeAfter(await startScriptedApi(() => ({ status: 503, body: 'loading' })));
    const { run } = await runAgainst(() => ({ body: { data: deployment() } }), {
      timeout: '5s',
      'smoke-test': 'true',
      'smoke-url': model.url,
      'smoke-timeout': '20s',
    });
    expect(run.code).toBe(1);
    expect(run.outputs.outcome).toBe('smoke-failed');
    expect(run.durationMs).toBeLessThan(7000);
    expect(run.stdout).toMatch(/which bounds the whole step/);
  });
});
