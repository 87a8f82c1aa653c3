/**
 * The picture a render is drawn on: a photo (any {@link ImageInput}, converted to packed RGB)
 * or only a size for renders without a photo.
 * Internal: not part of the public API.
 * @module
 */
import { decodeImage, nativeFormat, type DecodedImage, type ImageInput } from '../image/input';
import { integer, isObject } from '../validate';
import type { RgbImage } from './types';
import { packedRgbKernel } from './kernels';

/**
 * What a render is drawn on: a photo (path, encoded buffer, raw pixels, or an {@link RgbImage}
 * such as a decoded video frame), or `{ width, height }` for a render without a photo.
 */
export type RenderBase = ImageInput | RgbImage | { width: number; height: number };

/** A resolved base: the photo as packed RGB (undefined without one) and the output size. */
export interface ResolvedBase {
  photo: RgbImage | undefined;
  width: number;
  height: number;
}

function isSizeOnly(value: unknown): value is { width: number; height: number } {
  return isObject(value) && !('data' in value) && 'width' in value && 'height' in value;
}

function isPackedRgb(value: unknown): value is RgbImage {
  return isObject(value) && value.data instanceof Uint8Array && !('format' in value);
}

/** Packed RGB of any decoded image (no copy when it already is packed RGB; else the native converter, off the main thread). */
export async function toRgb(img: DecodedImage): Promise<RgbImage> {
  const { width, height, format, rowBytes } = img;
  if (format === 'rgb' && rowBytes === width * 3) return { data: img.data.subarray(0, width * height * 3), width, height };
  const data = await packedRgbKernel(img.data, width, height, rowBytes, nativeFormat(format));
  return { data, width, height };
}

/** Decodes the base of a render. */
export async function resolveBase(base: RenderBase): Promise<ResolvedBase> {
  if (isSizeOnly(base)) {
    return { photo: undefined, width: integer(base.width, 'width', 1, 65535), height: integer(base.height, 'height', 1, 65535) };
  }
  const input: ImageInput = isPackedRgb(base) ? { data: base.data, width: base.width, height: base.height, format: 'rgb' } : (base as ImageInput);
  const photo = await toRgb(await decodeImage(input));
  return { photo, width: photo.width, height: photo.height };
}
