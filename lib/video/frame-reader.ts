/**
 * Splitting a byte stream of raw RGB frames into frames. Reading is pull-based: while the
 * consumer does not ask for the next frame, the stream stays paused, the pipe fills and the
 * decoder blocks (back-pressure).
 * Internal: not part of the public API.
 * @module
 */
import type { Readable } from 'node:stream';

/**
 * Yields `width x height` packed RGB frames from `stream`, whose rows are `stride` bytes apart
 * (GStreamer pads RGB rows to 4 bytes). A trailing partial frame is dropped.
 */
export async function* readRawFrames(stream: Readable, width: number, height: number, stride = width * 3): AsyncGenerator<Uint8Array> {
  const frameBytes = stride * height;
  const row = width * 3;
  let frame = new Uint8Array(frameBytes);
  let filled = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(frameBytes - filled, chunk.length - off);
      frame.set(chunk.subarray(off, off + n), filled);
      filled += n;
      off += n;
      if (filled === frameBytes) {
        if (stride === row) yield frame;
        else {
          const packed = new Uint8Array(row * height);
          for (let y = 0; y < height; y++) packed.set(frame.subarray(y * stride, y * stride + row), y * row);
          yield packed;
        }
        frame = new Uint8Array(frameBytes);
        filled = 0;
      }
    }
  }
}
