/**
 * GitHub's rate limits, as its REST documentation describes them, pure: a primary limit (403 or
 * 429 with `x-ratelimit-remaining: 0`, until `x-ratelimit-reset`, in epoch seconds) and a
 * secondary one (403 or 429 saying "secondary rate limit", with or without `Retry-After`).
 */

/** A rate-limited answer: which limit, and how long GitHub asks to wait before the next request. */
export interface GitHubRateLimit {
  kind: 'primary' | 'secondary';
  /**
   * How long GitHub asks to wait (Retry-After, or until x-ratelimit-reset); undefined when it
   * names no time (a secondary limit without Retry-After: the caller backs off on its own).
   */
  waitMs: number | undefined;
}
/** A wait is never shorter than this, whatever a header says (0, or a reset already past). */
const MIN_WAIT_MS = 1000;

type Headers = Readonly<Record<string, string | number | string[] | undefined>>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : String(first).trim();
}

/** `Retry-After` in milliseconds: seconds, or an HTTP date. */
function retryAfterMs(headers: Headers, nowMs: number): number | undefined {
  const value = header(headers, 'retry-after');
  if (value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at - nowMs;
}

/** The time until `x-ratelimit-reset` (epoch seconds), when the limit is used up. */
function resetMs(headers: Headers, nowMs: number): number | undefined {
  if (header(headers, 'x-ratelimit-remaining') !== '0') return undefined;
  const reset = Number(header(headers, 'x-ratelimit-reset'));
  return Number.isFinite(reset) && reset > 0 ? reset * 1000 - nowMs : undefined;
}

/**
 * The rate limit an answer reports, or undefined when it is not one (a 403 for a missing
 * permission is not). `nowMs` is the wall clock (the reset time is one).
 */
export function gitHubRateLimit(
  status: number | undefined,
  headers: Headers,
  message: string,
  nowMs: number,
): GitHubRateLimit | undefined {
  if (status !== 403 && status !== 429) return undefined;
  const secondary = /secondary rate limit/i.test(message);
  const asked = retryAfterMs(headers, nowMs);
  const reset = resetMs(headers, nowMs);
  if (!secondary && asked === undefined && reset === undefined && status === 403) return undefined;
  const waitMs = asked ?? reset;
  return {
    kind: secondary || reset === undefined ? 'secondary' : 'primary',
    waitMs: waitMs === undefined ? undefined : Math.max(MIN_WAIT_MS, Math.round(waitMs)),
  };
}
