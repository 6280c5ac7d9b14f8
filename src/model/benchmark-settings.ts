/**
 * The `benchmark` input, pure: off, `true` (every default), or an object of load settings and
 * `fail-if` limits. Every rule broken is an InputError naming the key, the rule and the value.
 */
import * as z from 'zod/mini';
import { didYouMeanName } from '../closest.js';
import { compactJson, InputError } from '../errors.js';
import { once } from '../lazy-schema.js';
import { DEFAULT_BENCHMARK_PROMPT } from './default-prompt.js';
import { METRICS, type Metric } from './stats.js';
import { valueAt } from '../json.js';

const INPUT = 'benchmark';

/** A `fail-if` limit: relative to the baseline (a rise or drop in percent), or absolute. */
export type Limit =
  | {
      kind: 'relative';
      /** The change allowed, in percent: a rise for latencies, a drop for throughput. */
      percent: number;
      text: string;
    }
  | {
      kind: 'absolute';
      /** Milliseconds (latencies), tokens per second (a minimum) or a fraction of requests (errors). */
      value: number;
      text: string;
    };

/** The benchmark, as the input asks for it. */
export interface BenchmarkSettings {
  requests: number;
  concurrency: number;
  warmup: number;
  maxTokens: number;
  prompt: string;
  baseline: 'previous' | 'none';
  /** The most measured requests per side when a limit is inconclusive (`requests` at first). */
  maxRequests: number;
  /** The confidence of the gate's verdicts, 0..1 (split over its looks). */
  confidence: number;
  /** Refuse to send the update when the serving model cannot be measured. */
  requireBaseline: boolean;
  /** Benchmark even when the run rolls nothing out (nothing to compare with). */
  onNoRollout: 'skip' | 'measure';
  failIf: Partial<Record<Metric, Limit>>;
}

export const BENCHMARK_DEFAULTS = {
  requests: 16,
  concurrency: 4,
  maxTokens: 128,
  baseline: 'previous',
  maxRequests: 128,
  confidence: 0.95,
} as const;

/** The requests in flight at once for a phase of `count` requests. */
export function effectiveConcurrency(concurrency: number, count: number): number {
  return Math.min(concurrency, count);
}

/** The longest prompt accepted (characters); a benchmark prompt is a few hundred tokens. */
const MAX_PROMPT_CHARS = 100_000;

function wholeNumber(min: number, max: number): z.ZodMiniInt {
  const range = `must be a whole number from ${min} to ${max}`;
  return z.int({ error: range }).check(z.gte(min, { error: range }), z.lte(max, { error: range }));
}

const KEYS = [
  'requests',
  'max-requests',
  'concurrency',
  'warmup',
  'max-tokens',
  'prompt',
  'baseline',
  'require-baseline',
  'confidence',
  'on-no-rollout',
  'fail-if',
];

const CONFIDENCE_RULE = 'must be a percentage from 50% to 99.9%, such as 95%';

const limitValue = z.union([z.string(), z.number()], {
  error:
    'must be a limit such as +25%, 800ms or 2s (latencies), -15% or 100 (tokens-per-second), 5% (error-rate)',
});

const benchmarkSchema = once(() =>
  z.strictObject(
    {
      requests: z.optional(wholeNumber(1, 1000)),
      'max-requests': z.optional(wholeNumber(1, 1000)),
      confidence: z.optional(z.union([z.string(), z.number()], { error: CONFIDENCE_RULE })),
      'require-baseline': z.optional(z.boolean({ error: 'must be true or false' })),
      'on-no-rollout': z.optional(
        z.enum(['skip', 'measure'], {
          error:
            'must be skip (no benchmark when the run rolls nothing out) or measure (benchmark anyway)',
        }),
      ),
      concurrency: z.optional(wholeNumber(1, 64)),
      warmup: z.optional(wholeNumber(0, 100)),
      'max-tokens': z.optional(wholeNumber(1, 4096)),
      prompt: z.optional(
        z.string({ error: 'must be text' }).check(
          z.minLength(1, { error: 'must not be empty (leave it out for the default prompt)' }),
          z.maxLength(MAX_PROMPT_CHARS, {
            error: `must be at most ${MAX_PROMPT_CHARS} characters`,
          }),
        ),
      ),
      baseline: z.optional(
        z.enum(['previous', 'none'], {
          error: 'must be previous (also measure the serving model before the update) or none',
        }),
      ),
      'fail-if': z.optional(
        z.strictObject(
          Object.fromEntries(METRICS.map((m) => [m, z.optional(limitValue)])) as Record<
            Metric,
            z.ZodMiniOptional<typeof limitValue>
          >,
          { error: `must be an object of limits, with keys among ${METRICS.join(', ')}` },
        ),
      ),
    },
    {
      error:
        'must be true, false, or an object such as {"requests": 16, "fail-if": {"ttft-p50": "+25%"}}',
    },
  ),
);

/**
 * The benchmark the input asks for, or undefined when it is off. `value` is the input parsed as
 * JSON or YAML (`true`, `false`, an object); `text` is the raw input, for messages.
 */
export function parseBenchmarkSettings(value: unknown): BenchmarkSettings | undefined {
  // Only empty (undefined) or false is off: a YAML null (`null`, `~`) is no way to say so.
  if (value === false || value === undefined) return undefined;
  if (value === null) {
    throw new InputError(
      INPUT,
      'must be empty or false (off), true (every default), or an object such as {"requests": 16}; null (or YAML\'s ~) does not turn it off: write false',
    );
  }
  if (value === true) value = {};
  const unknown = unknownKeys(value);
  if (unknown) throw new InputError(INPUT, unknown.rule, unknown.at);
  const result = benchmarkSchema().safeParse(value);
  if (!result.success) {
    const [issue] = result.error.issues;
    const at = issue?.path.map(String).join('.');
    if (issue?.code === 'unrecognized_keys') {
      const inFailIf = issue.path[0] === 'fail-if';
      const known = inFailIf ? METRICS : KEYS;
      throw new InputError(
        INPUT,
        `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}; the keys are ${known.join(', ')}`,
        at || undefined,
      );
    }
    const got = issue ? valueAt(value, issue.path) : value;
    throw new InputError(
      INPUT,
      `${issue?.message ?? 'is not valid'}${describe(got)}`,
      at || undefined,
    );
  }
  const data = result.data;
  const concurrency = data.concurrency ?? BENCHMARK_DEFAULTS.concurrency;
  const failIf: Partial<Record<Metric, Limit>> = {};
  for (const metric of METRICS) {
    const given = data['fail-if']?.[metric];
    if (given !== undefined) failIf[metric] = parseLimit(metric, given);
  }
  const requests = data.requests ?? BENCHMARK_DEFAULTS.requests;
  const maxRequests = data['max-requests'] ?? Math.max(requests, BENCHMARK_DEFAULTS.maxRequests);
  if (maxRequests < requests) {
    throw new InputError(
      INPUT,
      `must be at least requests (${requests}): it is the most requests measured per side when a limit is inconclusive (got ${maxRequests})`,
      'max-requests',
    );
  }
  return {
    requests,
    maxRequests,
    confidence:
      data.confidence === undefined
        ? BENCHMARK_DEFAULTS.confidence
        : parseConfidence(data.confidence),
    requireBaseline: data['require-baseline'] ?? false,
    onNoRollout: data['on-no-rollout'] ?? 'skip',
    concurrency,
    warmup: data.warmup ?? Math.min(concurrency, 100),
    maxTokens: data['max-tokens'] ?? BENCHMARK_DEFAULTS.maxTokens,
    prompt: data.prompt ?? DEFAULT_BENCHMARK_PROMPT,
    baseline: data.baseline ?? BENCHMARK_DEFAULTS.baseline,
    failIf,
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Every key the benchmark and its fail-if do not have, each with the one it likely means, in one
 * message: a user fixing them one push at a time would wait for a run per typo.
 */
function unknownKeys(value: unknown): { rule: string; at?: string } | undefined {
  if (!isRecord(value)) return undefined;
  const failIf = value['fail-if'];
  const top = Object.keys(value).filter((key) => !KEYS.includes(key));
  const inFailIf = isRecord(failIf)
    ? Object.keys(failIf).filter((key) => !(METRICS as readonly string[]).includes(key))
    : [];
  const named = (keys: string[], known: readonly string[]): string =>
    `unknown key ${keys.map((k) => `"${k}"${didYouMeanName(k, known)}`).join(', ')}; the keys are ${known.join(', ')}`;
  if (top.length === 0) {
    return inFailIf.length === 0 ? undefined : { rule: named(inFailIf, METRICS), at: 'fail-if' };
  }
  const andFailIf = inFailIf.length > 0 ? `. And at fail-if: ${named(inFailIf, METRICS)}` : '';
  return { rule: `${named(top, KEYS)}${andFailIf}` };
}

/** `95%`, `95`, or 0.95: the gate's confidence as a fraction. */
function parseConfidence(given: string | number): number {
  const text = String(given).trim().replace(/%$/, '').trim();
  let value = NUMBER.test(text) ? Number(text) : NaN;
  // 0.95 is a fraction; 95 or 95% a percentage.
  if (typeof given === 'number' && value < 1) value *= 100;
  if (!Number.isFinite(value) || value < 50 || value > 99.9) {
    throw new InputError(INPUT, `${CONFIDENCE_RULE}${describe(given)}`, 'confidence');
  }
  return value / 100;
}

const PERCENT = /^([+-]?)(\d+(?:\.\d+)?)\s*%$/;
const NUMBER = /^\d+(?:\.\d+)?$/;

/** A limit as written: its value as given, the text, its percentage parts, and its failure. */
interface GivenLimit {
  given: string | number;
  text: string;
  /** `[sign, number]` of a percentage, when it is one. */
  percent: RegExpExecArray | null;
  fail: (rule: string) => never;
}

/** One `fail-if` limit, by the rules of its metric. */
export function parseLimit(metric: Metric, given: string | number): Limit {
  const text = String(given).trim();
  const limit: GivenLimit = {
    given,
    text,
    percent: PERCENT.exec(text),
    fail: (rule) => {
      throw new InputError(INPUT, `${rule}${describe(given)}`, `fail-if.${metric}`);
    },
  };
  if (metric === 'error-rate') return errorRateLimit(limit);
  if (metric === 'tokens-per-second') return throughputLimit(limit);
  return latencyLimit(metric, limit);
}

/** error-rate: always absolute, a percentage of the measured requests. */
function errorRateLimit({ given, percent, fail }: GivenLimit): Limit {
  if (!percent || typeof given === 'number') {
    return fail('error-rate is always absolute: a percentage of the measured requests, such as 5%');
  }
  if (percent[1] !== '') {
    return fail(
      'error-rate is always absolute, never relative to the baseline: write the highest rate allowed, such as 5% (no sign)',
    );
  }
  const value = Number(percent[2]);
  if (value > 100) return fail('error-rate must be from 0% to 100%');
  return { kind: 'absolute', value: value / 100, text: `${percent[2]}%` };
}

/** tokens-per-second: a drop relative to the baseline, or an absolute minimum. */
function throughputLimit({ given, text, percent, fail }: GivenLimit): Limit {
  if (percent) {
    if (percent[1] !== '-') {
      return fail(
        'tokens-per-second takes a drop relative to the baseline (-N%), or an absolute minimum in tokens per second (such as 100); a rise (+N%) or an unsigned percentage is not a limit on throughput',
      );
    }
    const value = Number(percent[2]);
    if (value <= 0 || value >= 100) {
      return fail('a drop of tokens-per-second must be more than 0% and less than 100%');
    }
    return { kind: 'relative', percent: value, text: `-${percent[2]}%` };
  }
  const number = typeof given === 'number' ? given : NUMBER.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(number) || number <= 0) {
    return fail(
      'tokens-per-second takes a drop relative to the baseline (-N%), or an absolute minimum above 0 in tokens per second (such as 100)',
    );
  }
  return { kind: 'absolute', value: number, text: String(number) };
}

/** A latency: a rise relative to the baseline, or an absolute limit with a unit. */
function latencyLimit(metric: Metric, { given, text, percent, fail }: GivenLimit): Limit {
  if (percent) {
    if (percent[1] !== '+') {
      return fail(
        `${metric} is a latency: its limit is a rise relative to the baseline (+N%, such as +25%) or an absolute limit (such as 800ms or 2s); ${percent[1] === '-' ? 'a drop (-N%) is not a limit on a latency' : 'write the percentage with its + sign'}`,
      );
    }
    const value = Number(percent[2]);
    if (value > 10_000) return fail(`a rise of ${metric} must be at most +10000%`);
    return { kind: 'relative', percent: value, text: `+${percent[2]}%` };
  }
  const ms = typeof given === 'number' ? undefined : latencyMs(text);
  if (ms === undefined) {
    return fail(
      `${metric} is a latency: its limit is a rise relative to the baseline (+N%, such as +25%) or an absolute limit with a unit, ms or s (such as 800ms or 2s)`,
    );
  }
  if (ms <= 0) return fail(`an absolute limit of ${metric} must be more than 0ms`);
  return { kind: 'absolute', value: ms, text };
}

const LATENCY_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };
const LATENCY = /^(\d+(?:\.\d+)?)\s*(ms|s|m)$/i;

/**
 * An absolute latency in milliseconds, exactly: `20.5ms` stays 20.5 (the duration inputs'
 * parser rounds to whole milliseconds, too coarse for inter-token latencies).
 */
function latencyMs(text: string): number | undefined {
  const match = LATENCY.exec(text);
  const unit = LATENCY_UNITS_MS[match?.[2]?.toLowerCase() ?? ''];
  return match && unit !== undefined ? Number(match[1]) * unit : undefined;
}

/** ` (got ...)` for a value in a message, cut short. */
function describe(value: unknown): string {
  if (value === undefined) return '';
  const text = typeof value === 'string' ? `"${value}"` : compactJson(value, 80);
  return ` (got ${text.length > 82 ? `${text.slice(0, 80)}…` : text})`;
}
