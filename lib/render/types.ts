/**
 * Types shared by the renderers.
 * @module
 */

/** An 8-bit RGB colour. */
export type Rgb = readonly [number, number, number];

/** Tightly packed 8-bit RGB pixels, row-major (`width * height * 3` bytes). */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** How a patch grid is scaled up to image resolution. */
export type Interpolation = 'bilinear' | 'nearest';
