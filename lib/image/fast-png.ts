/**
 * The PNG fast path: 8-bit RGB and RGBA PNGs (the usual photo or screenshot) decoded by the
 * addon, inflating with libdeflate (about twice as fast as zlib; the whole decode about 1.5x
 * as fast as through sharp: docs/BENCHMARKS.md). Whatever it
 * declines — other PNG kinds, a transparency key, an ICC profile, a damaged file, a machine
 * without libdeflate, `autoOrient`, or DINOV3_PNG_DECODER=sharp — goes to sharp as before, so
 * the pixels (PNG is lossless: the same bytes either way) and the error messages are sharp's.
 * Internal: not part of the public API.
 * @module
 */
import { native } from '../binding';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

let available: boolean | undefined;

/** Whether this process decodes PNGs itself (libdeflate found, not turned off by DINOV3_PNG_DECODER=sharp). */
export function fastPngEnabled(): boolean {
  if (process.env.DINOV3_PNG_DECODER === 'sharp') return false;
  available ??= native().pngStatus().available;
  return available;
}

function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

/**
 * Decodes `input` (a file path or encoded bytes) when the fast path takes it; undefined when it
 * declines (see the module description), and the caller decodes with sharp.
 */
export async function decodePngFast(input: string | Uint8Array, maxPixels: number): Promise<{ data: Uint8Array; width: number; height: number; channels: 3 | 4 } | undefined> {
  if (!fastPngEnabled()) return undefined;
  // A path is read by the same native job (one 8-byte read for files that are not PNGs).
  if (typeof input !== 'string' && !isPng(input)) return undefined;
  const r = await native().decodePng(input, maxPixels);
  return 'declined' in r ? undefined : r;
}
