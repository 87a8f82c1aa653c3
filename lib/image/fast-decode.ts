/**
 * The fast decoders for the usual photos: 8-bit RGB and RGBA PNGs (inflated with the system's
 * libdeflate) and YCbCr JPEGs (the system's libjpeg-turbo through TurboJPEG, the library and
 * settings sharp uses, without libvips' per-image cost), decoded by the addon; about 1.5x (PNG)
 * and 2x (JPEG) as fast as through sharp (docs/BENCHMARKS.md). Whatever they decline — other
 * formats and kinds, transparency keys, ICC profiles, damaged files, the pixel limit,
 * `autoOrient`, a machine without the libraries, DINOV3_IMAGE_DECODER=sharp — goes to sharp as
 * before, so the pixels (the same bytes either way) and the error messages are sharp's.
 * Internal: not part of the public API.
 * @module
 */
import { native } from '../binding';

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];

let loaded: Record<'png' | 'jpeg', boolean> | undefined;

/** Which fast decoders this process uses (library found, and not turned off by DINOV3_IMAGE_DECODER=sharp). */
export function fastDecoders(): Record<'png' | 'jpeg', boolean> {
  if (process.env.DINOV3_IMAGE_DECODER === 'sharp') return { png: false, jpeg: false };
  if (!loaded) {
    const s = native().fastDecoders();
    loaded = { png: s.png.available, jpeg: s.jpeg.available };
  }
  return loaded;
}

const startsWith = (bytes: Uint8Array, signature: readonly number[]): boolean => bytes.length >= signature.length && signature.every((b, i) => bytes[i] === b);

/**
 * Decodes `input` (a file path or encoded bytes) when a fast decoder takes it; undefined when
 * none does (see the module description), and the caller decodes with sharp.
 */
export async function decodeFast(input: string | Uint8Array, maxPixels: number): Promise<{ data: Uint8Array; width: number; height: number; channels: 3 | 4 } | undefined> {
  const on = fastDecoders();
  if (!on.png && !on.jpeg) return undefined;
  // A path is read by the same native job (one 8-byte read for files it does not take).
  if (typeof input !== 'string' && !(on.png && startsWith(input, PNG)) && !(on.jpeg && startsWith(input, JPEG))) return undefined;
  const r = await native().decodeFast(input, maxPixels);
  return 'declined' in r ? undefined : r;
}
