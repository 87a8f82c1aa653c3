/**
 * Scaling patch grids up to image resolution: per-axis sample tables for bilinear sampling
 * (pixel-centre aligned, as `F.interpolate(..., align_corners=False)`) and nearest (one block per
 * patch, the same mapping as {@link Features.patchAt}), and the native kernel that upsamples and
 * colours a field with them.
 * Internal: not part of the public API.
 * @module
 */
import type { Grid } from '../analysis/types';
import type { NativeFieldRender } from '../binding';
import { fieldKernel } from './kernels';
import type { Interpolation } from './types';

/** Grid cell of every output coordinate along one axis (nearest). */
export function nearestAxis(out: number, cells: number): Int32Array {
  const t = new Int32Array(out);
  for (let i = 0; i < out; i++) t[i] = Math.min(cells - 1, Math.floor((i * cells) / out));
  return t;
}

/** Bilinear taps along one axis: lower cell, upper cell, weight of the upper cell. */
export interface LinearAxis {
  lo: Int32Array;
  hi: Int32Array;
  w: Float32Array;
}

export function linearAxis(out: number, cells: number): LinearAxis {
  const lo = new Int32Array(out);
  const hi = new Int32Array(out);
  const w = new Float32Array(out);
  for (let i = 0; i < out; i++) {
    const g = Math.min(cells - 1, Math.max(0, ((i + 0.5) * cells) / out - 0.5));
    const l = Math.floor(g);
    lo[i] = l;
    hi[i] = Math.min(cells - 1, l + 1);
    w[i] = g - l;
  }
  return { lo, hi, w };
}

/** First and last output pixel (inclusive) covered by grid cell `cell` along one axis. */
export function cellSpan(cell: number, cells: number, out: number): [number, number] {
  const table = nearestAxis(out, cells);
  let first = -1;
  let last = -1;
  for (let i = 0; i < out; i++) {
    if (table[i] === cell) {
      if (first < 0) first = i;
      last = i;
    }
  }
  return [first, last];
}

/** Where every output pixel samples the grid: two cells and a weight per axis. */
export type SampleTables = Pick<NativeFieldRender, 'xLo' | 'xHi' | 'xW' | 'yLo' | 'yHi' | 'yW'>;

/** Sample tables for a `width x height` picture of `grid`; nearest is bilinear with zero weights. */
export function sampleTables(grid: Grid, width: number, height: number, interpolation: Interpolation): SampleTables {
  if (interpolation === 'nearest') {
    const xs = nearestAxis(width, grid.cols);
    const ys = nearestAxis(height, grid.rows);
    return { xLo: xs, xHi: xs, xW: new Float32Array(width), yLo: ys, yHi: ys, yW: new Float32Array(height) };
  }
  const ax = linearAxis(width, grid.cols);
  const ay = linearAxis(height, grid.rows);
  return { xLo: ax.lo, xHi: ax.hi, xW: ax.w, yLo: ay.lo, yHi: ay.hi, yW: ay.w };
}

/** How a field picture is coloured: through a colormap (heatmaps) or as byte values (PCA). */
export type FieldColouring =
  | { lut: Uint8Array; lo: number; hi: number; threshold: number | undefined }
  | { lut: undefined };

/**
 * Upsamples a per-patch field (`channels` interleaved values per cell) to `width x height` and
 * colours it, over `photo` with weight `alpha` (out of 256) when given: the native kernel of
 * native/core/field_render.h, off the main thread.
 */
export async function renderField(
  values: Float32Array,
  grid: Grid,
  channels: 1 | 3,
  size: { width: number; height: number },
  interpolation: Interpolation,
  colouring: FieldColouring,
  blend: { photo: Uint8Array; alpha: number } | undefined,
): Promise<Uint8Array> {
  const { width, height } = size;
  return fieldKernel({
    values,
    channels,
    gridRows: grid.rows,
    gridCols: grid.cols,
    width,
    height,
    ...sampleTables(grid, width, height, interpolation),
    ...(colouring.lut ? { lut: colouring.lut, lo: colouring.lo, hi: colouring.hi, ...(colouring.threshold !== undefined ? { threshold: colouring.threshold } : {}) } : {}),
    ...(blend ? { photo: blend.photo, alpha: blend.alpha } : { alpha: 0 }),
  });
}
