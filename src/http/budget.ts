/**
 * The run's own request budget. Northflank allows 1,000 requests an hour per token, shared by
 * every workflow that uses it; one run must not take a large share of that whatever the API
 * answers (a flapping status, an outage, retries). Pure apart from the state it keeps.
 */

/**
 * At most `limit` requests in any window of `windowMs`, as a token bucket: `burst` requests at
 * once, then refilled evenly so that `burst` plus the refill over one window stays under `limit`.
 * A bucket slows a busy run down smoothly instead of stopping it dead once a window is full.
 */
export interface BudgetWindow {
  limit: number;
  windowMs: number;
  burst: number;
}

/**
 * 20 a minute and 100 in 30 minutes, each with one request of room for the time a request takes
 * to reach the server (the limits hold where the API counts them, not only where we do).
 */
export const DEFAULT_BUDGET: readonly BudgetWindow[] = [
  { limit: 20, windowMs: 60_000, burst: 11 },
  { limit: 100, windowMs: 30 * 60_000, burst: 59 },
];

interface Bucket {
  window: BudgetWindow;
  /** Refill per millisecond. */
  rate: number;
  tokens: number;
  atMs: number | undefined;
}

/** The requests made so far, and when the next one may start. */
export class RequestBudget {
  private readonly buckets: Bucket[];
  private sent = 0;

  constructor(windows: readonly BudgetWindow[] = DEFAULT_BUDGET) {
    this.buckets = windows.map((window) => ({
      window,
      // One token short of the limit over a window: with the burst, `limit - 1` in all.
      rate: (window.limit - 1 - window.burst) / window.windowMs,
      tokens: window.burst,
      atMs: undefined,
    }));
  }

  /** How many requests were counted. */
  get count(): number {
    return this.sent;
  }

  /** Counts a request started at `nowMs`. */
  record(nowMs: number): void {
    for (const bucket of this.buckets) {
      bucket.tokens = tokensAt(bucket, nowMs) - 1;
      bucket.atMs = nowMs;
    }
    this.sent++;
  }

  /** How long to wait from `nowMs` before the next request keeps every window within its limit. */
  delayMs(nowMs: number): number {
    let delay = 0;
    for (const bucket of this.buckets) {
      const tokens = tokensAt(bucket, nowMs);
      if (tokens < 1) delay = Math.max(delay, Math.ceil((1 - tokens) / bucket.rate));
    }
    return delay;
  }
}

function tokensAt(bucket: Bucket, nowMs: number): number {
  if (bucket.atMs === undefined) return bucket.tokens;
  return Math.min(bucket.window.burst, bucket.tokens + (nowMs - bucket.atMs) * bucket.rate);
}
