/**
 * Turns a message iterator into batches: the first message opens a batch, which goes when it
 * holds `size` messages or `maxWaitMs` after it opened. The iterator is read only while fewer
 * than `size` messages wait, so the client library never buffers more than one batch ahead.
 * Internal: not part of the public API.
 * @module
 */

export class BatchQueue<T> {
  readonly #size: number;
  readonly #maxWaitMs: number;
  #items: T[] = [];
  #ended = false;
  #wake: (() => void) | undefined;
  #room: (() => void) | undefined;

  constructor(size: number, maxWaitMs: number) {
    this.#size = size;
    this.#maxWaitMs = maxWaitMs;
  }

  /**
   * Reads `source` into the queue until it ends or {@link close} is called; an item that arrives
   * after close goes to `late`.
   */
  async pump(source: AsyncIterable<T>, late: (item: T) => void): Promise<void> {
    try {
      for await (const item of source) {
        if (this.#ended) {
          late(item);
          break;
        }
        this.#items.push(item);
        this.#notify();
        while (this.#items.length >= this.#size && !this.#ended) await new Promise<void>((resolve) => (this.#room = resolve));
        if (this.#ended) break;
      }
    } finally {
      this.#ended = true;
      this.#notify();
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #wait(ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
      this.#wake = () => {
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      };
    });
  }

  /** The next batch (1..size items), or undefined once the source has ended and nothing is left. */
  async next(): Promise<T[] | undefined> {
    while (this.#items.length === 0) {
      if (this.#ended) return undefined;
      await this.#wait();
    }
    const deadline = performance.now() + this.#maxWaitMs;
    while (this.#items.length < this.#size && !this.#ended) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      await this.#wait(left);
    }
    const batch = this.#items.splice(0, this.#size);
    const room = this.#room;
    this.#room = undefined;
    room?.();
    return batch;
  }

  /** The items waiting, oldest first (a copy). */
  waiting(): T[] {
    return [...this.#items];
  }

  /** Stops the pump and returns the items that were queued and not taken. */
  close(): T[] {
    this.#ended = true;
    this.#notify();
    const room = this.#room;
    this.#room = undefined;
    room?.();
    return this.#items.splice(0);
  }
}
