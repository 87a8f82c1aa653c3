/**
 * Checks of the options shared by the renderers.
 * Internal: not part of the public API.
 * @module
 */
import { DinoError } from '../errors';
import { invalid, number } from '../validate';
import type { Rgb } from './types';

/** Alpha in 0..1 as a weight out of 256 (for integer blending). */
export function alpha256(value: unknown, name: string, fallback: number): number {
  return Math.round(number(value ?? fallback, name, 0, 1) * 256);
}

export function rgbArg(value: unknown, name: string): Rgb {
  if (!Array.isArray(value) || value.length !== 3 || value.some((v) => typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255)) {
    invalid(name, '[r, g, b] with integers 0..255', value);
  }
  return value as unknown as Rgb;
}

/** An overlay or side-by-side render needs a photo, not just a size. */
export function needPhoto<T>(photo: T | undefined, what: string): T {
  if (photo === undefined) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `${what} needs a photo to draw on; pass an image instead of { width, height }`);
  }
  return photo;
}
