/**
 * Image inputs: file paths, encoded buffers (any format sharp decodes) and raw pixels, all
 * turned into raw 8-bit pixels for the native preprocessing.
 * @module
 */
import { stat } from 'node:fs/promises';

import sharp from 'sharp';

import { NativePixelFormat } from '../binding';
import { DinoError } from '../errors';
import { integer, invalid, isObject, oneOf } from '../validate';
import { decodeFast } from './fast-decode';

/** Layout of raw 8-bit pixels. */
export type PixelFormat = 'rgb' | 'rgba' | 'bgr' | 'bgra' | 'gray';

/** Raw 8-bit pixels, row-major, `rowBytes` bytes per row (default width * channels). */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  format: PixelFormat;
  rowBytes?: number;
}

/** An image: a file path, an encoded image in memory (PNG, JPEG, WebP, ...), or raw pixels. */
export type ImageInput = string | Uint8Array | RawImage;

/** A decoded image with its pitch resolved. */
export interface DecodedImage extends RawImage {
  rowBytes: number;
}

const CHANNELS: Record<PixelFormat, number> = { rgb: 3, rgba: 4, bgr: 3, bgra: 4, gray: 1 };
const NATIVE_FORMAT: Record<PixelFormat, NativePixelFormat> = {
  rgb: NativePixelFormat.RGB,
  rgba: NativePixelFormat.RGBA,
  bgr: NativePixelFormat.BGR,
  bgra: NativePixelFormat.BGRA,
  gray: NativePixelFormat.Gray,
};

export function nativeFormat(format: PixelFormat): NativePixelFormat {
  return NATIVE_FORMAT[format];
}

/** Options for decoding. */
export interface DecodeOptions {
  /** Largest accepted image in pixels (guards against decompression bombs). Default 100 megapixels. */
  limitInputPixels?: number;
  /** Apply EXIF orientation. Default false: the DINOv3 reference (PIL) ignores it. */
  autoOrient?: boolean;
}

export const DEFAULT_LIMIT_INPUT_PIXELS = 100_000_000;

function isRawImage(value: unknown): value is RawImage {
  return isObject(value) && value.data instanceof Uint8Array && 'width' in value && 'height' in value;
}

function checkRaw(image: RawImage): DecodedImage {
  const format = oneOf(image.format, 'image.format', ['rgb', 'rgba', 'bgr', 'bgra', 'gray'] as const);
  const width = integer(image.width, 'image.width', 1, 65535);
  const height = integer(image.height, 'image.height', 1, 65535);
  const minRow = width * CHANNELS[format];
  const rowBytes = image.rowBytes === undefined ? minRow : integer(image.rowBytes, 'image.rowBytes', minRow);
  const needed = rowBytes * (height - 1) + minRow;
  if (image.data.length < needed) {
    throw new DinoError(
      'ERR_DINO_INVALID_IMAGE',
      `Raw ${format} image of ${width}x${height} (row pitch ${rowBytes}) needs ${needed} bytes but data holds ${image.data.length}`,
    );
  }
  return { data: image.data, width, height, format, rowBytes };
}

async function decodeEncoded(input: string | Uint8Array, options: DecodeOptions, label: string): Promise<DecodedImage> {
  const limit = options.limitInputPixels ?? DEFAULT_LIMIT_INPUT_PIXELS;
  // The fast decoders take a numeric limit (0: none, as sharp reads it); anything else stays sharp's to judge.
  if (!options.autoOrient && typeof limit === 'number' && limit >= 0) {
    const fast = await decodeFast(input, limit === 0 ? 2 ** 40 : Math.min(Math.floor(limit), 2 ** 40));
    if (fast) return { data: fast.data, width: fast.width, height: fast.height, format: fast.channels === 4 ? 'rgba' : 'rgb', rowBytes: fast.width * fast.channels };
  }
  try {
    let pipeline = sharp(input, { limitInputPixels: limit, failOn: 'error' });
    if (options.autoOrient) pipeline = pipeline.rotate();
    const { data, info } = await pipeline
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const format: PixelFormat = info.channels === 4 ? 'rgba' : info.channels === 3 ? 'rgb' : 'gray';
    return { data, width: info.width, height: info.height, format, rowBytes: info.width * info.channels };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const bomb = /pixel limit/i.test(reason);
    throw new DinoError(
      'ERR_DINO_INVALID_IMAGE',
      bomb
        ? `${label} is larger than the limit of ${limit} pixels (limitInputPixels); refusing to decode it`
        : `${label} could not be decoded as an image: ${reason}`,
      { cause: err },
    );
  }
}

/**
 * Decodes any {@link ImageInput} into raw pixels.
 * @throws DinoError ERR_DINO_FILE_NOT_FOUND for a missing file, ERR_DINO_INVALID_IMAGE for
 * empty or undecodable data.
 */
export async function decodeImage(input: ImageInput, options: DecodeOptions = {}): Promise<DecodedImage> {
  if (typeof input === 'string') {
    if (input.length === 0) invalid('image', 'a file path, a Buffer or raw pixels', input);
    try {
      const s = await stat(input);
      if (!s.isFile()) throw new Error('not a regular file');
    } catch (err) {
      throw new DinoError('ERR_DINO_FILE_NOT_FOUND', `Image file not found or not readable: ${input}`, { cause: err });
    }
    return decodeEncoded(input, options, `Image file ${input}`);
  }
  if (isRawImage(input)) return checkRaw(input);
  if (input instanceof Uint8Array) {
    if (input.length === 0) throw new DinoError('ERR_DINO_INVALID_IMAGE', 'Image buffer is empty');
    return decodeEncoded(input, options, `Image buffer (${input.length} bytes)`);
  }
  return invalid('image', 'a file path, a Buffer of an encoded image or { data, width, height, format }', input);
}
