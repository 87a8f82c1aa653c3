/**
 * Pixel loops that give the event loop a turn between slices, so rendering a large picture
 * never blocks it for more than about a millisecond.
 * @internal
 * @module
 */
import { setImmediate as turn } from 'node:timers/promises';

/** Pixels processed between two turns of the event loop. */
export const PIXELS_PER_SLICE = 1 << 17;

/**
 * Calls `fn(y0, y1)` for consecutive row ranges covering `0..height`, yielding to the event loop
 * between ranges of about {@link PIXELS_PER_SLICE} pixels.
 */
export async function forRows(height: number, width: number, fn: (y0: number, y1: number) => void): Promise<void> {
  const rows = Math.max(1, Math.floor(PIXELS_PER_SLICE / Math.max(1, width)));
  for (let y = 0; y < height; y += rows) {
    if (y > 0) await turn();
    fn(y, Math.min(height, y + rows));
  }
}
