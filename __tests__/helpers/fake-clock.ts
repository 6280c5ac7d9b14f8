import type { Clock } from '../../src/clock.js';

/** A clock whose time moves only when the code under test sleeps. */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(private time = 1_000_000) {}

  now(): number {
    return this.time;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.time += ms;
    await Promise.resolve();
    signal?.throwIfAborted();
  }

  advance(ms: number): void {
    this.time += ms;
  }
}
