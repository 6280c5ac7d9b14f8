/** How retries are spaced. */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, capMs: 30_000, maxAttempts: 6 };

/**
 * "Full jitter" backoff: a random delay in [0, min(cap, base * 2^attempt)). Spreading retries
 * over the whole window keeps many runners that failed together from retrying together.
 * `attempt` counts from 0 for the first retry.
 */
export function backoffDelayMs(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number,
): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

export const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/**
 * The update is not idempotent in effect (each accepted POST may start a rollout), so it is sent
 * again only when the server cannot have acted on it: 429 and 503 are explicit refusals.
 */
export const UPDATE_RETRYABLE_STATUSES = new Set([429, 503]);

/** Gateway answers after which the update may or may not have reached Northflank. */
export const UPDATE_AMBIGUOUS_STATUSES = new Set([502, 504]);

/** A 429 is never retried sooner than this, whatever its headers say (0, or a time past). */
export const MIN_RATE_LIMIT_WAIT_MS = 1000;
/** Nor later than this: Northflank's window is an hour, so a longer wait is a bogus header. */
export const MAX_RATE_LIMIT_WAIT_MS = 60 * 60 * 1000;

/**
 * How long a 429 asks us to wait: `Retry-After` (seconds, or an HTTP date) when the response
 * carries one, as the most specific instruction; else `x-ratelimit-reset` (seconds until the
 * window resets, as Northflank documents it), bounded to [1 s, 1 h]. Undefined when neither is usable.
 */
export function rateLimitDelayMs(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  nowMs: number,
): number | undefined {
  const asked = askedDelayMs(headers, nowMs);
  if (asked === undefined || Number.isNaN(asked)) return undefined;
  return Math.min(MAX_RATE_LIMIT_WAIT_MS, Math.max(MIN_RATE_LIMIT_WAIT_MS, asked));
}

function askedDelayMs(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  nowMs: number,
): number | undefined {
  const header = (name: string): string | undefined => {
    const value = headers[name];
    return (Array.isArray(value) ? value[0] : value)?.trim();
  };
  const seconds = (value: string | undefined): number | undefined =>
    value !== undefined && /^\d+(\.\d+)?$/.test(value) ? Number(value) : undefined;

  const retryAfter = header('retry-after');
  const retryAfterSeconds = seconds(retryAfter);
  if (retryAfterSeconds !== undefined) return Math.ceil(retryAfterSeconds * 1000);
  if (retryAfter !== undefined && !Number.isNaN(Date.parse(retryAfter))) {
    return Math.max(0, Date.parse(retryAfter) - nowMs);
  }
  const reset = seconds(header('x-ratelimit-reset'));
  if (reset === undefined) return undefined;
  // Some APIs send an epoch timestamp here instead of a number of seconds; accept both.
  return Math.max(0, Math.ceil(reset > 1e9 ? reset * 1000 - nowMs : reset * 1000));
}
