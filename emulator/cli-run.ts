/**
 * The emulator's command line (`npm run emulator -- --help`), apart from the process it runs in,
 * so that its options and its timed stop are tested in-process.
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '../src/duration.js';
import type { Jitter } from './latency.js';
import type { RolloutEnding, RolloutPlan } from './model.js';
import { latencyOf } from './latency.js';
import {
  startModelServer,
  STREAM_KINDS,
  type ModelServer,
  type StreamKind,
} from './model-server.js';
import { DEMO_DEPLOYMENT, startEmulator, type Emulator } from './server.js';

export const USAGE = `Usage: npm run emulator -- [options]

  --port <n>        port on 127.0.0.1 (default 8787; 0 picks a free one)   env EMULATOR_PORT
  --for <duration>  stop by itself after this long, e.g. 90s, 10m          env EMULATOR_FOR
  --ending <status> how every rollout ends: running, crashed, paused or deleted (default running)
                                                                          env EMULATOR_ENDING
  --metadata-rollouts
                    every accepted update starts a rollout, also one of name, description
                    or tags alone, or of ports re-sent as they are (Northflank does not
                    document whether it does; by default only a spec or ports change does)
                                                                          env EMULATOR_METADATA_ROLLOUTS=1
  --model-server    also start a model server (OpenAI-compatible, streams like vLLM) on the
                    next port (8788), serving the deployment's model at its configuration's
                    speed: give its URL as smoke-url for the smoke test or the benchmark
                    (without it, nothing answers at the deployment's public URL)
                                                                          env EMULATOR_MODEL_SERVER=1
  --model-stream <kind>  what the model server streams: vllm (default), reasoning (8 tokens of
                    thinking, then the answer), reasoning-only (every token thinking), null-deltas,
                    error-event, error-object, error-field (an error inside the stream after 2
                    tokens), ping-stall (2 tokens, then only ": ping" comments), not-streaming (one
                    JSON completion), finish-abort, finish-error (vLLM's finish reasons),
                    usage-negative, usage-huge, usage-zero, usage-phantom-reasoning (a usage count
                    that cannot be right), huge-line (a 2 MiB first token), gzip (a gzip body)                                      env EMULATOR_MODEL_STREAM
  --model-jitter <sigma>  noise on each reply: TTFT and ITL each times a lognormal draw of this
                    sigma (such as 0.15); with --model-slow <p>:<factor> (such as 0.02:3) a
                    request is that many times slower with chance p; --model-seed <n> seeds them
  --help            this text

Rollout phases (milliseconds): EMULATOR_PENDING_MS (2000), EMULATOR_PROVISIONING_MS (5000),
EMULATOR_STARTING_MS (5000); stale reads after an update: EMULATOR_STALE_MS (1000).
Stop it with Ctrl-C, or kill with the pid it prints (killing a backgrounded npm does not stop
it): it closes its connections and exits 0.`;

const ENDINGS: readonly RolloutEnding[] = ['running', 'crashed', 'paused', 'deleted'];

/** What the command line asks for. */
export interface CliOptions {
  port: number;
  /** Stop after this long; undefined runs until a signal. */
  forMs: number | undefined;
  plan: Partial<RolloutPlan>;
  staleReadMs: number;
  /** Whether every accepted update starts a rollout (see EmulatorOptions.metadataRollouts). */
  metadataRollouts: boolean;
  /** Whether to start a model server beside the API, on the next port. */
  modelServer: boolean;
  /** What that model server streams. */
  modelStream: StreamKind;
  /** The model server's noise, with --model-jitter. */
  modelJitter?: Jitter;
  help: boolean;
}

/** A command line the emulator cannot run with; the message says which option and what it takes. */
export class CliUsageError extends Error {}

function whole(name: string, text: string, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new CliUsageError(
      `${name} must be a whole number from 0 to ${String(max)}, got "${text}".`,
    );
  }
  return value;
}

/** Reads flags first, then the environment, then the defaults. Pure. */
export function parseCliOptions(
  argv: string[],
  env: Record<string, string | undefined>,
): CliOptions {
  let values: {
    port?: string;
    for?: string;
    ending?: string;
    'metadata-rollouts'?: boolean;
    'model-server'?: boolean;
    'model-stream'?: string;
    'model-jitter'?: string;
    'model-slow'?: string;
    'model-seed'?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        for: { type: 'string' },
        ending: { type: 'string' },
        'metadata-rollouts': { type: 'boolean' },
        'model-server': { type: 'boolean' },
        'model-stream': { type: 'string' },
        'model-jitter': { type: 'string' },
        'model-slow': { type: 'string' },
        'model-seed': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new CliUsageError(
      `${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`,
    );
  }
  const port = whole('--port', values.port ?? env.EMULATOR_PORT ?? '8787', 65535);
  const forText = values.for ?? env.EMULATOR_FOR;
  let forMs: number | undefined;
  if (forText !== undefined) {
    forMs = parseDuration(forText);
    if (forMs === undefined || forMs <= 0) {
      throw new CliUsageError(`--for takes a duration such as 90s, 10m or 1h, got "${forText}".`);
    }
  }
  const ending = values.ending ?? env.EMULATOR_ENDING ?? 'running';
  if (!(ENDINGS as readonly string[]).includes(ending)) {
    throw new CliUsageError(`--ending takes one of ${ENDINGS.join(', ')}, got "${ending}".`);
  }
  const modelServer =
    values['model-server'] ?? ['1', 'true'].includes(env.EMULATOR_MODEL_SERVER ?? '');
  const metadataRollouts =
    values['metadata-rollouts'] ?? ['1', 'true'].includes(env.EMULATOR_METADATA_ROLLOUTS ?? '');
  if (modelServer && port === 65535) {
    throw new CliUsageError('--model-server listens on --port + 1: pick a --port below 65535.');
  }
  const modelStream = values['model-stream'] ?? env.EMULATOR_MODEL_STREAM ?? 'vllm';
  if (!(modelStream in STREAM_KINDS)) {
    throw new CliUsageError(
      `--model-stream takes one of ${Object.keys(STREAM_KINDS).join(', ')}, got "${modelStream}".`,
    );
  }
  if (values['model-stream'] !== undefined && !modelServer) {
    throw new CliUsageError('--model-stream is for the model server: add --model-server.');
  }
  const modelJitter = jitterOf(values, modelServer);
  const ms = (name: string, fallback: number): number =>
    whole(name, env[name] ?? String(fallback), 86_400_000);
  return {
    port,
    forMs,
    plan: {
      pendingMs: ms('EMULATOR_PENDING_MS', 2000),
      provisioningMs: ms('EMULATOR_PROVISIONING_MS', 5000),
      startingMs: ms('EMULATOR_STARTING_MS', 5000),
      ending: ending as RolloutEnding,
    },
    staleReadMs: ms('EMULATOR_STALE_MS', 1000),
    metadataRollouts,
    modelServer,
    modelStream: modelStream as StreamKind,
    ...(modelJitter ? { modelJitter } : {}),
    help: values.help ?? false,
  };
}

/** The model server's jitter from --model-jitter, --model-slow and --model-seed. */
function jitterOf(
  values: { 'model-jitter'?: string; 'model-slow'?: string; 'model-seed'?: string },
  modelServer: boolean,
): Jitter | undefined {
  const sigmaText = values['model-jitter'];
  if (sigmaText === undefined) {
    if (values['model-slow'] !== undefined || values['model-seed'] !== undefined) {
      throw new CliUsageError('--model-slow and --model-seed go with --model-jitter <sigma>.');
    }
    return undefined;
  }
  if (!modelServer)
    throw new CliUsageError('--model-jitter is for the model server: add --model-server.');
  const sigma = Number(sigmaText);
  if (!Number.isFinite(sigma) || sigma < 0 || sigma > 2) {
    throw new CliUsageError(
      `--model-jitter takes a sigma from 0 to 2, such as 0.15, got "${sigmaText}".`,
    );
  }
  const jitter: Jitter = { sigma };
  const slow = values['model-slow'];
  if (slow !== undefined) {
    const [p, factor] = slow.split(':').map(Number);
    if (p === undefined || factor === undefined || !(p >= 0 && p <= 1) || !(factor >= 1)) {
      throw new CliUsageError(
        `--model-slow takes <probability>:<factor>, such as 0.02:3, got "${slow}".`,
      );
    }
    jitter.slowProbability = p;
    jitter.slowFactor = factor;
  }
  if (values['model-seed'] !== undefined)
    jitter.seed = whole('--model-seed', values['model-seed'], 2 ** 31);
  return jitter;
}

/** A running emulator and the promise that settles once it has stopped (by `stop`, or `--for`). */
export interface RunningEmulator {
  emulator: Emulator;
  /** With --model-server. */
  modelServer: ModelServer | undefined;
  stop(reason: string): Promise<void>;
  stopped: Promise<string>;
}

/** Starts the emulator as the command line asks, printing where it listens and how to stop it. */
export async function runEmulator(
  options: CliOptions,
  print: (line: string) => void,
): Promise<RunningEmulator> {
  let emulator: Emulator;
  try {
    emulator = await startEmulator({
      port: options.port,
      plan: options.plan,
      staleReadMs: options.staleReadMs,
      metadataRollouts: options.metadataRollouts,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new CliUsageError(
        `Port ${String(options.port)} is in use (another emulator?). Stop it, or pick another with --port.`,
      );
    }
    throw error;
  }
  let modelServer: ModelServer | undefined;
  if (options.modelServer) {
    const port = options.port === 0 ? 0 : options.port + 1;
    const serving = emulator;
    try {
      modelServer = await startModelServer({
        port,
        // The model and the speed of whichever configuration the emulated deployment holds.
        model: () => serving.deployment().configuration.name ?? '',
        latency: () => latencyOf(serving.deployment().configuration),
        ...STREAM_KINDS[options.modelStream],
        ...(options.modelJitter ? { jitter: options.modelJitter } : {}),
      });
    } catch (error) {
      await emulator.close();
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new CliUsageError(
          `Port ${String(port)} (the model server's: --port + 1) is in use. Stop what holds it, or pick another --port.`,
        );
      }
      throw error;
    }
  }
  let resolveStopped: (reason: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => {
    resolveStopped = resolve;
  });
  let closing: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    closing ??= Promise.all([emulator.close(), modelServer?.close()]).then(() => {
      clearTimeout(timer);
      resolveStopped(reason);
    });
    return closing;
  };
  const timer =
    options.forMs === undefined
      ? undefined
      : setTimeout(() => void stop(`--for ${String(options.forMs)}ms elapsed`), options.forMs);

  print(`Northflank API emulator listening on ${emulator.url}`);
  print(`  token:      ${emulator.token}`);
  print(
    `  project-id: ${DEMO_DEPLOYMENT.projectId}   team-id: ${DEMO_DEPLOYMENT.teamId}   deployment-id: ${DEMO_DEPLOYMENT.id}`,
  );
  print(`  rollouts end: ${options.plan.ending ?? 'running'}`);
  print(
    options.metadataRollouts
      ? '  rollouts start on every accepted update (--metadata-rollouts), metadata-only too'
      : '  rollouts start on spec or ports changes only (--metadata-rollouts: on every update)',
  );
  print(
    modelServer
      ? `  model server: ${modelServer.url} (give it as smoke-url for the smoke test or the benchmark)${options.modelStream === 'vllm' ? '' : `; it streams: ${options.modelStream}`}`
      : '  model server: none (nothing answers at the deployment URL: add --model-server for the smoke test or the benchmark)',
  );
  // `npm run emulator &` puts npm in the background, and killing npm leaves this process running:
  // name this process so that it can be stopped directly.
  const kill = `kill ${String(process.pid)}`;
  print(
    options.forMs === undefined
      ? `  Stop it with Ctrl-C, or ${kill}.`
      : `  Stops by itself in ${String(Math.round(options.forMs / 1000))}s (or with Ctrl-C, or ${kill}).`,
  );
  return { emulator, modelServer, stop, stopped };
}
