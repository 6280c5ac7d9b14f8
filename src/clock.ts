import { setTimeout as delay } from 'node:timers/promises';

/** Time as the action sees it, so waiting logic can run on a fake clock in tests. */
export interface Clock {
  /** Milliseconds since some fixed point (wall clock in the action). */
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    if (signal?.aborted) throw signal.reason;
    try {
      await delay(Math.max(0, ms), undefined, { signal });
    } catch (error) {
      // timers/promises rejects with a generic AbortError; surface why we were aborted instead.
      throw signal?.aborted ? signal.reason : error;
    }
  },
};
