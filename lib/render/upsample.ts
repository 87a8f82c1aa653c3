/**
 * Scaling patch grids up to image resolution: per-axis sample tables, bilinear sampling of a
 * scalar field (pixel-centre aligned, as `F.interpolate(..., align_corners=False)`), and
 * nearest (one block per patch, the same mapping as {@link Features.patchAt}).
 * @internal
 * @module
 */
import type { Grid } from '../analysis/types';
import { forRows } from './chunked';
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

/**
 * Samples `channels` interleaved values per grid cell at every output pixel (`width * height *
 * channels` values, row-major).
 */
export async function upsampleField(
  values: ArrayLike<number>,
  grid: Grid,
  channels: number,
  width: number,
  height: number,
  interpolation: Interpolation,
): Promise<Float32Array> {
  const out = new Float32Array(width * height * channels);
  const { rows, cols } = grid;
  if (interpolation === 'nearest') {
    const xs = nearestAxis(width, cols);
    const ys = nearestAxis(height, rows);
    await forRows(height, width, (y0, y1) => {
      for (let y = y0; y < y1; y++) {
        const rowBase = (ys[y] as number) * cols;
        let d = y * width * channels;
        for (let x = 0; x < width; x++) {
          const s = (rowBase + (xs[x] as number)) * channels;
          for (let c = 0; c < channels; c++) out[d++] = values[s + c] as number;
        }
      }
    });
    return out;
  }
  const ax = linearAxis(width, cols);
  const ay = linearAxis(height, rows);
  await forRows(height, width, (y0, y1) => {
    for (let y = y0; y < y1; y++) {
      const r0 = (ay.lo[y] as number) * cols;
      const r1 = (ay.hi[y] as number) * cols;
      const fy = ay.w[y] as number;
      let d = y * width * channels;
      for (let x = 0; x < width; x++) {
        const c0 = ax.lo[x] as number;
        const c1 = ax.hi[x] as number;
        const fx = ax.w[x] as number;
        for (let c = 0; c < channels; c++) {
          const a = (values[(r0 + c0) * channels + c] as number) * (1 - fx) + (values[(r0 + c1) * channels + c] as number) * fx;
          const b = (values[(r1 + c0) * channels + c] as number) * (1 - fx) + (values[(r1 + c1) * channels + c] as number) * fx;
          out[d++] = a * (1 - fy) + b * fy;
        }
      }
    }
  });
  return out;
}
