/**
 * The benchmark runner: a warm-up, then the measured requests, each phase at the configured
 * concurrency; bounded by a deadline and stopped at once by cancellation, reporting what it
 * measured until then.
 */
import type { Clock } from '../clock.js';
import { formatDuration } from '../duration.js';
import type { Logger } from '../log.js';
import type { Dispatcher } from '../http/request.js';
import { effectiveConcurrency, type BenchmarkSettings } from './benchmark-settings.js';
import { formatMetric, type Measured } from './gate.js';
import type { RunSamples } from './intervals.js';
import { sampleOf, summarise, wallOf, type CutShort, type Measurement } from './stats.js';
import { streamChatCompletion, type RequestRecord } from './stream-request.js';

export interface BenchmarkOptions {
  /** The endpoint's base URL, without a trailing slash. */
  base: string;
  model: string;
  apiKey: string | undefined;
  settings: BenchmarkSettings;
  dispatcher: Dispatcher;
  requestTimeoutMs: number;
  /** On `clock`: the benchmark stops its requests at this time. */
  deadlineMs: number;
  clock: Clock;
  /** A monotonic clock in milliseconds for the requests' timestamps (performance.now). */
  now: () => number;
  signal: AbortSignal;
  log: Logger;
  /** Whether to send `ignore_eos`; set to false for good once a server refuses it. */
  ignoreEos: { send: boolean };
  /** A progress line at most this often while measuring. */
  progressEveryMs?: number;
  /**
   * After each batch of measured requests (the first is `settings.requests`): how many more to
   * send, 0 to stop. Without it, one batch.
   */
  more?: (soFar: Measured) => number;
}

/** A benchmark's result, complete or cut short. */
export interface BenchmarkRun {
  measurement: Measurement;
  /** The per-request samples the gate's intervals come from. */
  samples: RunSamples;
  /** Why it stopped before every request ran; undefined when they all did. */
  stopped: 'cancelled' | 'deadline' | undefined;
  /** Requests that ran in the warm-up and how many of them failed. */
  warmup: { requests: number; errors: number };
  /** The first error message, to quote. */
  firstError: string | undefined;
  /** The first two different error messages, to quote. */
  errorQuotes: string[];
  /** Each measured request as it went (the warm-up left out), for a gate that uses samples. */
  records: readonly RequestRecord[];
}

/** The measurement and samples of a run's measured requests (and, cut short, its cut). */
export function measuredOf(
  records: readonly RequestRecord[],
  wallMs: number,
  cut: CutShort | undefined,
  notStarted: number,
  maxTokens: number,
): Measured {
  const measurement = summarise(records, { ...(cut ? { cut } : {}), wallMs, maxTokens });
  const samples: RunSamples = {
    requests: [
      ...records.map((r) => sampleOf(r, maxTokens)),
      ...(cut?.inFlight ?? []).map((r) => sampleOf(r, maxTokens, cut?.stoppedMs)),
    ],
    wallMs,
    tokensPerSecond: measurement.tokensPerSecond,
    ...(notStarted > 0 ? { notStarted } : {}),
  };
  return { measurement, samples };
}

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)];
}

const DEFAULT_PROGRESS_EVERY_MS = 10_000;
const DEADLINE = 'deadline';

/** Runs the warm-up and the measured requests; never throws for a failed request. */
export async function runBenchmark(o: BenchmarkOptions): Promise<BenchmarkRun> {
  const { settings, log } = o;
  const stop = new Stop(o);
  try {
    // The concurrency a phase reaches: no more than its requests.
    const shape = (count: number): string =>
      `at concurrency ${effectiveConcurrency(settings.concurrency, count)}, max_tokens ${settings.maxTokens}`;
    let warm: Pooled = { records: [], inFlight: [] };
    if (settings.warmup > 0) {
      log.info(`Warm-up: ${settings.warmup} request(s) ${shape(settings.warmup)}, not counted.`);
      warm = await pool(o, stop.signal, settings.warmup, undefined);
    }
    const warmErrors = warm.records.filter((r) => r.error !== undefined);
    const records: RequestRecord[] = [];
    let cut: { inFlight: RequestRecord[]; stoppedMs: number } | undefined;
    let wallMs = 0;
    let notStarted = 0;
    let planned = 0;
    let batch = settings.requests;
    const startedMs = o.now();
    while (batch > 0 && !stop.signal.aborted) {
      log.info(
        planned === 0
          ? `Measuring: ${batch} request(s) ${shape(batch)}.`
          : `Measuring ${batch} more request(s) (${planned + batch} in all) ${shape(batch)}.`,
      );
      planned += batch;
      const done = records.length;
      const measured = await pool(o, stop.signal, batch, (finished, errors) => {
        log.info(
          `Measuring: ${done + finished}/${planned} requests done, ${errors} error(s), ${formatDuration(o.now() - startedMs)} so far.`,
        );
      });
      records.push(...measured.records);
      // Stopped (the deadline or a cancel): what was in flight is counted as cut off, either way.
      if (stop.why() !== undefined) {
        const stoppedMs = Math.max(
          0,
          ...measured.inFlight.map((r) => r.endMs),
          ...measured.records.map((r) => r.endMs),
        );
        cut = { inFlight: measured.inFlight, stoppedMs };
        wallMs += wallOf(measured.records, cut);
        notStarted = batch - measured.records.length - measured.inFlight.length;
        break;
      }
      wallMs += wallOf(measured.records);
      if (stop.why() !== undefined || !o.more) break;
      batch = Math.max(0, o.more(measuredOf(records, wallMs, undefined, 0, settings.maxTokens)));
    }
    const why = stop.why();
    const result = measuredOf(records, wallMs, cut, notStarted, settings.maxTokens);
    const measurement = result.measurement;
    log.info(
      `${why ? `Stopped (${why === 'deadline' ? "the step's timeout" : 'cancelled'})` : 'Done'}: ${measurement.requests} request(s) measured, ${measurement.errors} error(s)${measurement.cutOff ? `, ${measurement.cutOff} cut off` : ''}${notStarted ? `, ${notStarted} not sent` : ''}; TTFT p50 ${formatMetric('ttft-p50', measurement.ttftMs.p50)}, ITL p50 ${formatMetric('itl-p50', measurement.itlMs.p50)}, ${formatMetric('tokens-per-second', measurement.tokensPerSecond)}${splitText(measurement)}.`,
    );
    if (measurement.usageIgnored) {
      log.notice(
        `${measurement.usageIgnored} repl(ies) reported a usage count that cannot be right (below the token chunks streamed, above max_tokens, or not a whole number): their tokens were counted from the chunks.`,
        { title: 'Usage not believed' },
      );
    }
    const errors = [...warm.records, ...records].filter((r) => r.error !== undefined);
    return {
      measurement,
      samples: result.samples,
      stopped: why,
      warmup: { requests: warm.records.length, errors: warmErrors.length },
      firstError: errors[0]?.error,
      errorQuotes: distinct(errors.map((r) => r.error ?? '')).slice(0, 2),
      records,
    };
  } finally {
    stop.dispose();
  }
}

/** What stops a benchmark: the run's cancellation, or its deadline on the action's clock. */
class Stop {
  private readonly stop = new AbortController();
  private readonly sleeper = new AbortController();
  private readonly onCancel = (): void => {
    this.stop.abort(this.o.signal.reason);
  };

  constructor(private readonly o: BenchmarkOptions) {
    if (o.signal.aborted) this.onCancel();
    o.signal.addEventListener('abort', this.onCancel, { once: true });
    // The deadline on the action's clock, so that it holds on a test's clock too.
    o.clock.sleep(Math.max(0, o.deadlineMs - o.clock.now()), this.sleeper.signal).then(
      () => {
        this.stop.abort(DEADLINE);
      },
      () => undefined,
    );
  }

  /** Aborts when the benchmark must stop. */
  get signal(): AbortSignal {
    return this.stop.signal;
  }

  /** Why it stopped, if it did. */
  why(): BenchmarkRun['stopped'] {
    if (!this.stop.signal.aborted) return undefined;
    return this.stop.signal.reason === DEADLINE ? 'deadline' : 'cancelled';
  }

  /** Lets go of the deadline's sleep and the cancellation listener. */
  dispose(): void {
    this.sleeper.abort();
    this.o.signal.removeEventListener('abort', this.onCancel);
  }
}

/** `; of 2048 tokens, 1900 reasoning and 148 answer`, when the replies reasoned; else empty. */
export function splitText(m: Measurement): string {
  if (m.reasoningTokens === 0 && m.reasoningChunks === 0) return '';
  return `; of ${m.outputTokens} output tokens, ${m.reasoningTokens} reasoning and ${m.answerTokens} answer (${m.reasoningChunks} and ${m.answerChunks} chunks)`;
}

/** The requests of a phase: those that finished, and those the signal stopped in flight. */
interface Pooled {
  records: RequestRecord[];
  inFlight: RequestRecord[];
}

/**
 * `count` requests, `concurrency` at a time. A request stopped by the signal is kept apart: it
 * measured the action, not the model, except for the tokens it had received (a run cut short).
 */
async function pool(
  o: BenchmarkOptions,
  signal: AbortSignal,
  count: number,
  progress: ((done: number, errors: number) => void) | undefined,
): Promise<Pooled> {
  const records: RequestRecord[] = [];
  const inFlight: RequestRecord[] = [];
  let next = 0;
  let errors = 0;
  let lastProgressMs = o.now();
  const every = o.progressEveryMs ?? DEFAULT_PROGRESS_EVERY_MS;
  const worker = async (): Promise<void> => {
    while (next < count && !signal.aborted) {
      next++;
      const record = await oneRequest(o, signal);
      if (record.aborted) {
        inFlight.push(record);
        return;
      }
      records.push(record);
      if (record.error !== undefined) errors++;
      if (progress && records.length < count && o.now() - lastProgressMs >= every) {
        lastProgressMs = o.now();
        progress(records.length, errors);
      }
    }
  };
  await Promise.all(
    Array.from({ length: effectiveConcurrency(o.settings.concurrency, count) }, worker),
  );
  return { records, inFlight };
}

/** One request; when the server refuses `ignore_eos`, the same request once more without it. */
async function oneRequest(o: BenchmarkOptions, signal: AbortSignal): Promise<RequestRecord> {
  const send = (ignoreEos: boolean): Promise<RequestRecord> =>
    streamChatCompletion({
      dispatcher: o.dispatcher,
      base: o.base,
      apiKey: o.apiKey,
      model: o.model,
      prompt: o.settings.prompt,
      maxTokens: o.settings.maxTokens,
      ignoreEos,
      requestTimeoutMs: o.requestTimeoutMs,
      signal,
      now: o.now,
    });
  const record = await send(o.ignoreEos.send);
  if (!record.ignoreEosRefused) return record;
  if (o.ignoreEos.send) {
    // Other requests in flight may be refused too; one notice is enough.
    o.ignoreEos.send = false;
    o.log.notice(
      `The model server refused "ignore_eos" (${record.error ?? 'refused'}); the benchmark sends its requests without it, so replies may end before max-tokens and before and after may generate different lengths.`,
      { title: 'Benchmark without ignore_eos' },
    );
  }
  return send(false);
}
