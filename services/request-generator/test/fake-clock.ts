import type { Clock } from '../src/runner.ts';

/** setImmediate runs once every queued microtask has run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Virtual time: sleep() jumps the clock forward and fires due timers in order, so runs take no real time. */
export class FakeClock implements Clock {
  #now = 0;
  #timers: Array<{ at: number; fire: () => void }> = [];

  now(): number {
    return this.#now;
  }

  async sleep(ms: number): Promise<void> {
    const target = this.#now + Math.max(ms, 0.001);
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at);
      const next = this.#timers[0];
      if (!next || next.at > target) break;
      this.#timers.shift();
      this.#now = next.at;
      next.fire();
      // Let the fired timer's promise chain settle at this instant before time moves on.
      await settle();
    }
    this.#now = target;
    await settle();
  }

  /** A promise that resolves when virtual time reaches now + ms. */
  after(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#timers.push({ at: this.#now + ms, fire: resolve });
    });
  }
}
