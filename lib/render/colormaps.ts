/**
 * Continuous colormaps as 256-entry lookup tables, generated from anchor points by linear
 * interpolation: viridis, magma and inferno from ten evenly spaced published samples of each map,
 * jet from its piecewise-linear definition, gray as a ramp.
 * @module
 */
import { oneOf } from '../validate';
import type { Rgb } from './types';

/** Names of the built-in colormaps. */
export type ColormapName = 'viridis' | 'magma' | 'inferno' | 'jet' | 'gray';

/** Every built-in colormap name. */
export const COLORMAP_NAMES: readonly ColormapName[] = ['viridis', 'magma', 'inferno', 'jet', 'gray'];

/** Ten evenly spaced samples (t = 0, 1/9, ..., 1) of the perceptually uniform maps, as hex. */
const EVEN_ANCHORS: Record<'viridis' | 'magma' | 'inferno', readonly string[]> = {
  viridis: ['440154', '482878', '3e4989', '31688e', '26828e', '1f9e89', '35b779', '6ece58', 'b5de2b', 'fde725'],
  magma: ['000004', '180f3d', '440f76', '721f81', '9e2f7f', 'cd4071', 'f1605d', 'fd9668', 'feca8d', 'fcfdbf'],
  inferno: ['000004', '1b0c41', '4a0c6b', '781c6d', 'a52c60', 'cf4446', 'ed6925', 'fb9b06', 'f7d13d', 'fcffa4'],
};

/** Jet as piecewise-linear channels: [t, value in 0..1] breakpoints. */
const JET: Record<'r' | 'g' | 'b', ReadonlyArray<readonly [number, number]>> = {
  r: [[0, 0], [0.35, 0], [0.66, 1], [0.89, 1], [1, 0.5]],
  g: [[0, 0], [0.125, 0], [0.375, 1], [0.64, 1], [0.91, 0], [1, 0]],
  b: [[0, 0.5], [0.11, 1], [0.34, 1], [0.65, 0], [1, 0]],
};

function piecewise(points: ReadonlyArray<readonly [number, number]>, t: number): number {
  for (let i = 1; i < points.length; i++) {
    const [t1, v1] = points[i] as readonly [number, number];
    if (t <= t1) {
      const [t0, v0] = points[i - 1] as readonly [number, number];
      return t1 === t0 ? v1 : v0 + ((v1 - v0) * (t - t0)) / (t1 - t0);
    }
  }
  return (points[points.length - 1] as readonly [number, number])[1];
}

function hexToRgb(hex: string): Rgb {
  const n = Number.parseInt(hex, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function build(name: ColormapName): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    let rgb: [number, number, number];
    if (name === 'gray') rgb = [i, i, i];
    else if (name === 'jet') rgb = [piecewise(JET.r, t) * 255, piecewise(JET.g, t) * 255, piecewise(JET.b, t) * 255];
    else {
      const anchors = EVEN_ANCHORS[name].map(hexToRgb);
      const pos = t * (anchors.length - 1);
      const lo = Math.min(anchors.length - 2, Math.floor(pos));
      const f = pos - lo;
      const a = anchors[lo] as Rgb;
      const b = anchors[lo + 1] as Rgb;
      rgb = [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
    }
    lut[i * 3] = Math.round(rgb[0]);
    lut[i * 3 + 1] = Math.round(rgb[1]);
    lut[i * 3 + 2] = Math.round(rgb[2]);
  }
  return lut;
}

const cache = new Map<ColormapName, Uint8Array>();

/**
 * The 256-entry RGB lookup table of a colormap (768 bytes: entry i at `[3i, 3i+1, 3i+2]`,
 * entry 0 for the lowest value, entry 255 for the highest). Do not modify the returned table.
 * @example
 * ```ts
 * const lut = colormap('viridis');
 * const top = [lut[765], lut[766], lut[767]]; // [253, 231, 37]
 * ```
 */
export function colormap(name: ColormapName): Uint8Array {
  const checked = oneOf(name, 'colormap', COLORMAP_NAMES);
  let lut = cache.get(checked);
  if (!lut) {
    lut = build(checked);
    cache.set(checked, lut);
  }
  return lut;
}

/** The colour of one colormap entry (0..255). */
export function colormapColor(name: ColormapName, index: number): Rgb {
  const lut = colormap(name);
  const i = Math.max(0, Math.min(255, Math.round(index))) * 3;
  return [lut[i] as number, lut[i + 1] as number, lut[i + 2] as number];
}
