/**
 * A progress bar on stderr for work of known length. It draws only on a terminal (TTY) and at
 * most ten times a second; elsewhere (logs, pipes) it stays silent.
 * @module
 */

/** Where the bar is drawn: any stream with `write`, and `isTTY`/`columns` when it is a terminal. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

function seconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

/** Formats one line of the bar (exported for tests). */
export function progressLine(label: string, done: number, total: number, elapsedMs: number, columns: number): string {
  const fps = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const share = total > 0 ? Math.min(1, done / total) : 0;
  const eta = fps > 0 ? (total - done) / fps : Infinity;
  const tail = ` ${String(done).padStart(String(total).length)}/${total} ${String(Math.floor(share * 100)).padStart(3)}% ${fps.toFixed(1)} fps ETA ${seconds(eta)}`;
  const barWidth = Math.max(10, Math.min(40, columns - label.length - tail.length - 4));
  const full = Math.round(share * barWidth);
  return `${label} [${'#'.repeat(full)}${'-'.repeat(barWidth - full)}]${tail}`;
}

/**
 * @example
 * ```ts
 * const bar = new ProgressBar('segment', info.frames);
 * for (...) bar.update(++done);
 * bar.finish();
 * ```
 */
export class ProgressBar {
  readonly #label: string;
  readonly #total: number | undefined;
  readonly #stream: ProgressStream;
  readonly #start = performance.now();
  #last = 0;
  #drawn = false;

  constructor(label: string, total: number | undefined, stream: ProgressStream = process.stderr) {
    this.#label = label;
    this.#total = total;
    this.#stream = stream;
  }

  /** True when the bar will draw (a terminal and a known total). */
  get active(): boolean {
    return this.#stream.isTTY === true && this.#total !== undefined && this.#total > 0;
  }

  update(done: number): void {
    if (!this.active) return;
    const now = performance.now();
    if (now - this.#last < 100 && done < (this.#total as number)) return;
    this.#last = now;
    this.#drawn = true;
    this.#stream.write(`\r${progressLine(this.#label, done, this.#total as number, now - this.#start, this.#stream.columns ?? 80)}\x1b[K`);
  }

  /** Clears the bar's line. */
  finish(): void {
    if (this.#drawn) this.#stream.write('\r\x1b[K');
    this.#drawn = false;
  }
}
