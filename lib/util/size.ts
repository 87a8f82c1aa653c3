/**
 * Input sizes: parsing "HxW" strings and numbers, and checking multiples of the patch size.
 * Internal: not part of the public API.
 * @module
 */
import { DinoError } from '../errors';
import { invalid, isObject } from '../validate';

/** Height and width in pixels. */
export interface Size {
  height: number;
  width: number;
}

/** A size as users write it: 224, "224", "320x480" (height x width), or {height, width}. */
export type SizeLike = number | string | Size;

export function parseSize(value: SizeLike, name = 'size'): Size {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value <= 0) invalid(name, 'a positive integer or "HxW"', value);
    return { height: value, width: value };
  }
  if (typeof value === 'string') {
    const m = /^\s*(\d+)\s*(?:[xX×,]\s*(\d+))?\s*$/.exec(value);
    if (!m) invalid(name, 'a size such as 224 or "320x480" (height x width)', value);
    const h = Number(m[1]);
    const w = m[2] === undefined ? h : Number(m[2]);
    if (h <= 0 || w <= 0) invalid(name, 'positive dimensions', value);
    return { height: h, width: w };
  }
  if (isObject(value)) {
    const { height, width } = value as Partial<Size>;
    if (typeof height !== 'number' || typeof width !== 'number' || !Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0) {
      invalid(name, '{ height, width } with positive integers', value);
    }
    return { height, width };
  }
  return invalid(name, 'a size such as 224, "320x480" or { height, width }', value);
}

export function formatSize(size: Size): string {
  return `${size.height}x${size.width}`;
}

/** Throws ERR_DINO_SHAPE_MISMATCH unless both sides are multiples of the patch size. */
export function checkPatchMultiple(size: Size, patchSize: number): void {
  for (const [side, v] of [['height', size.height], ['width', size.width]] as const) {
    if (v % patchSize !== 0) {
      const lower = Math.max(patchSize, Math.floor(v / patchSize) * patchSize);
      const upper = Math.ceil(v / patchSize) * patchSize;
      throw new DinoError(
        'ERR_DINO_SHAPE_MISMATCH',
        `Input ${side} ${v} is not a multiple of the model's patch size ${patchSize}; use ${lower} or ${upper}`,
        { details: { size, patchSize } },
      );
    }
  }
}
