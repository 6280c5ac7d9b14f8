/**
 * `npm run emulator`: its options, and a stop that leaves nothing behind (with `--for`, and on
 * request), so a workflow step can start it in the background.
 */
import { describe, expect, it } from '@jest/globals';
import { CliUsageError, parseCliOptions, runEmulator } from '../../emulator/cli-run.js';

describe('the emulator command line', () => {
  it('defaults to port 8787, no time limit and rollouts that end running', () => {
    expect(parseCliOptions([], {})).toMatchObject({
      port: 8787,
      forMs: undefined,
      plan: { pendingMs: 2000, provisioningMs: 5000, startingMs: 5000, ending: 'running' },
      staleReadMs: 1000,
      metadataRollouts: false,
      modelServer: false,
      help: false,
    });
  });

  it('takes --metadata-rollouts, or EMULATOR_METADATA_ROLLOUTS=1, and says which world it plays', async () => {
    expect(parseCliOptions(['--metadata-rollouts'], {}).metadataRollouts).toBe(true);
    expect(parseCliOptions([], { EMULATOR_METADATA_ROLLOUTS: '1' }).metadataRollouts).toBe(true);
    const lines: string[] = [];
    const running = await runEmulator(
      { ...parseCliOptions(['--port', '0', '--metadata-rollouts'], {}), forMs: 60_000 },
      (l) => lines.push(l),
    );
    try {
      expect(running.emulator.metadataRollouts).toBe(true);
      expect(lines.join('\n')).toMatch(/rollouts start on every accepted update/);
    } finally {
      await running.stop('test');
    }
  });

  it('takes --model-server, or EMULATOR_MODEL_SERVER=1, and not on the last port', () => {
    expect(parseCliOptions(['--model-server'], {}).modelServer).toBe(true);
    expect(parseCliOptions([], { EMULATOR_MODEL_SERVER: '1' }).modelServer).toBe(true);
    expect(() => parseCliOptions(['--model-server', '--port', '65535'], {})).toThrow(
      /--model-server listens on --port \+ 1/,
    );
  });

  it('takes --model-stream, or EMULATOR_MODEL_STREAM, for the model server only', () => {
    expect(parseCliOptions(['--model-server'], {}).modelStream).toBe('vllm');
    expect(parseCliOptions(['--model-server', '--model-stream', 'reasoning'], {}).modelStream).toBe(
      'reasoning',
    );
    expect(
      parseCliOptions(['--model-server'], { EMULATOR_MODEL_STREAM: 'ping-stall' }).modelStream,
    ).toBe('ping-stall');
    expect(() => parseCliOptions(['--model-server', '--model-stream', 'vlm'], {})).toThrow(
      /--model-stream takes one of vllm, reasoning, reasoning-only, null-deltas, error-event, error-object, error-field, ping-stall, not-streaming, finish-abort, finish-error, usage-negative, usage-huge, usage-zero, usage-phantom-reasoning, huge-line, gzip, got "vlm"/,
    );
    expect(() => parseCliOptions(['--model-stream', 'reasoning'], {})).toThrow(
      /add --model-server/,
    );
  });

  it('takes --for as a duration, --ending and --port, flags before the environment', () => {
    expect(
      parseCliOptions(['--for', '10m', '--ending', 'crashed', '--port', '8788'], {
        EMULATOR_ENDING: 'paused',
        EMULATOR_PORT: '9000',
      }),
    ).toMatchObject({ port: 8788, forMs: 600_000, plan: { ending: 'crashed' } });
    expect(
      parseCliOptions([], { EMULATOR_FOR: '90s', EMULATOR_ENDING: 'deleted', EMULATOR_PORT: '0' }),
    ).toMatchObject({ port: 0, forMs: 90_000, plan: { ending: 'deleted' } });
  });

  it.each([
    [['--for', 'soon'], /--for takes a duration/],
    [['--for', '0s'], /--for takes a duration/],
    [['--ending', 'exploded'], /--ending takes one of running, crashed, paused, deleted/],
    [['--port', '70000'], /--port must be a whole number/],
    [['--forever'], /Unknown option '--forever'/],
  ])('refuses %j with a message naming the option', (argv, message) => {
    expect(() => parseCliOptions(argv, {})).toThrow(CliUsageError);
    expect(() => parseCliOptions(argv, {})).toThrow(message);
  });

  it('refuses a bad timing variable by name', () => {
    expect(() => parseCliOptions([], { EMULATOR_STARTING_MS: 'slow' })).toThrow(
      /EMULATOR_STARTING_MS must be a whole number/,
    );
  });
});

describe('the emulator process', () => {
  it('stops by itself at the end of --for and closes its port', async () => {
    const lines: string[] = [];
    const started = Date.now();
    const running = await runEmulator(
      { ...parseCliOptions(['--port', '0'], {}), forMs: 300 },
      (l) => lines.push(l),
    );
    const { url, token } = running.emulator;
    const answer = await fetch(`${url}/v1/projects/demo-project/llm-model-deployments/llama-chat`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(answer.status).toBe(200);
    expect(await running.stopped).toMatch(/--for/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await expect(fetch(url)).rejects.toThrow();
    expect(lines.join('\n')).toMatch(/Stops by itself in 0s \(or with Ctrl-C, or kill \d+\)/);
  });

  it('stops on request (Ctrl-C) before --for, once however often it is asked', async () => {
    const running = await runEmulator(
      { ...parseCliOptions(['--port', '0', '--for', '1h'], {}) },
      () => undefined,
    );
    await Promise.all([running.stop('SIGINT'), running.stop('SIGTERM')]);
    expect(await running.stopped).toBe('SIGINT');
    await expect(fetch(running.emulator.url)).rejects.toThrow();
  });

  it('says that it starts no model server, and how to start one', async () => {
    const lines: string[] = [];
    const running = await runEmulator(parseCliOptions(['--port', '0'], {}), (l) => lines.push(l));
    expect(running.modelServer).toBeUndefined();
    expect(lines).toContain(
      '  model server: none (nothing answers at the deployment URL: add --model-server for the smoke test or the benchmark)',
    );
    await running.stop('done');
  });

  it("with --model-server, serves the deployment's model beside it, and stops both", async () => {
    const lines: string[] = [];
    const running = await runEmulator(parseCliOptions(['--port', '0', '--model-server'], {}), (l) =>
      lines.push(l),
    );
    const model = running.modelServer;
    expect(model).toBeDefined();
    const url = model?.url ?? '';
    expect(lines).toContain(
      `  model server: ${url} (give it as smoke-url for the smoke test or the benchmark)`,
    );
    const listed = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(listed.data.map((m) => m.id)).toEqual(['meta-llama/Llama-3.1-8B-Instruct']);
    await running.stop('SIGINT');
    await expect(fetch(`${url}/v1/models`)).rejects.toThrow();
    await expect(fetch(running.emulator.url)).rejects.toThrow();
  });

  it('names the port when it is taken', async () => {
    const first = await runEmulator(parseCliOptions(['--port', '0'], {}), () => undefined);
    const port = Number(new URL(first.emulator.url).port);
    await expect(
      runEmulator({ ...parseCliOptions([], {}), port }, () => undefined),
    ).rejects.toThrow(`Port ${String(port)} is in use`);
    await first.stop('done');
  });
});
