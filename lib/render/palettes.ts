/**
 * Discrete palettes for cluster labels: `jet` samples the jet colormap evenly over the k
 * clusters (the tutorial's colouring), `qualitative` gives well separated hues (ten fixed
 * colours, then golden-angle hues).
 * @module
 */
import { DinoError } from '../errors';
import { integer, oneOf } from '../validate';
import { colormap } from './colormaps';

/** Names of the built-in cluster palettes. */
export type PaletteName = 'jet' | 'qualitative';

/** Every built-in palette name. */
export const PALETTE_NAMES: readonly PaletteName[] = ['jet', 'qualitative'];

/** A palette: a name, or explicit colours (3 bytes per label). */
export type Palette = PaletteName | Uint8Array;

const QUALITATIVE = ['4e79a7', 'f28e2b', 'e15759', '76b7b2', '59a14f', 'edc948', 'b07aa1', 'ff9da7', '9c755f', 'bab0ac'];

function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const f = (n: number): number => {
    const k = (n + h / 60) % 6;
    return Math.round(255 * (v - v * s * Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return [f(5), f(3), f(1)];
}

/**
 * Colours for labels 0..k-1 (k * 3 bytes).
 * @example
 * ```ts
 * const colours = paletteColors('jet', 4); // label 0 dark blue ... label 3 dark red
 * ```
 */
export function paletteColors(palette: Palette, k: number): Uint8Array {
  integer(k, 'k', 1, 65536);
  if (palette instanceof Uint8Array) {
    if (palette.length < k * 3) {
      throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `The palette holds ${Math.floor(palette.length / 3)} colours but ${k} labels need colours`);
    }
    return palette.subarray(0, k * 3);
  }
  const name = oneOf(palette, 'palette', PALETTE_NAMES);
  const out = new Uint8Array(k * 3);
  if (name === 'jet') {
    const lut = colormap('jet');
    for (let i = 0; i < k; i++) {
      const e = k === 1 ? 0 : Math.round((i * 255) / (k - 1));
      out.set(lut.subarray(e * 3, e * 3 + 3), i * 3);
    }
    return out;
  }
  for (let i = 0; i < k; i++) {
    const hex = QUALITATIVE[i];
    if (hex !== undefined) {
      const n = Number.parseInt(hex, 16);
      out.set([(n >> 16) & 255, (n >> 8) & 255, n & 255], i * 3);
    } else {
      const j = i - QUALITATIVE.length;
      out.set(hsvToRgb((j * 137.508 + 20) % 360, j % 2 === 0 ? 0.75 : 0.55, j % 3 === 0 ? 0.95 : 0.8), i * 3);
    }
  }
  return out;
}
