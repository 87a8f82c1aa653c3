/**
 * A bounded queue: at most `concurrency` tasks run at once and at most `maxQueue` wait;
 * beyond that new tasks are refused with ERR_DINO_BUSY (back-pressure instead of unbounded
 * memory).
 * Internal: not part of the public API.
 * @module
 */
import { DinoError } from '../errors';

export class Limiter {
  readonly #concurrency: number;
  readonly #maxQueue: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];
  #idle: Array<() => void> = [];

  constructor(concurrency: number, maxQueue: number) {
    this.#concurrency = concurrency;
    this.#maxQueue = maxQueue;
  }

  get running(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.#running >= this.#concurrency) {
      if (this.#waiting.length >= this.#maxQueue) {
        throw new DinoError(
          'ERR_DINO_BUSY',
          `Too many requests: ${this.#running} running and ${this.#waiting.length} queued (maxQueue ${this.#maxQueue}); retry later`,
        );
      }
      await new Promise<void>((resolve, reject) => {
        const start = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          const i = this.#waiting.indexOf(start);
          if (i >= 0) this.#waiting.splice(i, 1);
          reject(new DinoError('ERR_DINO_ABORTED', 'The request was aborted while queued', { cause: signal?.reason }));
        };
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        this.#waiting.push(start);
      });
    }
    this.#running++;
    try {
      return await task();
    } finally {
      this.#running--;
      const next = this.#waiting.shift();
      if (next) next();
      else if (this.#running === 0) {
        const idle = this.#idle;
        this.#idle = [];
        for (const done of idle) done();
      }
    }
  }

  /** Resolves when nothing is running or queued. */
  async drain(): Promise<void> {
    if (this.#running === 0 && this.#waiting.length === 0) return;
    await new Promise<void>((resolve) => this.#idle.push(resolve));
  }
}
