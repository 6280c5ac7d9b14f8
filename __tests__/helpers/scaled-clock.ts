import { FakeClock } from './fake-clock.js';

/**
 * A fake clock whose sleeps also take `realShare` of their length in real time, so that real
 * streams (the model server's) run while the run's waits and deadlines pass on the fake clock:
 * the benchmark's deadline of a minute takes a few hundred milliseconds.
 */
export class ScaledClock extends FakeClock {
  constructor(
    time: number,
    private readonly realShare = 0.01,
  ) {
    super(time);
  }

  override async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason as Error);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms * this.realShare);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    await super.sleep(ms, signal);
  }
}
