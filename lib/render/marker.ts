/**
 * The target marker of a heatmap: a square outline around the target patch and a cross through
 * its centre in the marker colour, with a one-pixel dark ring outside the square for contrast.
 * Internal: not part of the public API.
 * @module
 */
import type { Grid, PatchIndex } from '../analysis/types';
import { cellSpan } from './upsample';
import type { Rgb, RgbImage } from './types';

/** Pixel rectangle (inclusive) a patch covers in an image of `width` x `height`. */
export interface PatchRect {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

export function patchRect(patch: PatchIndex, grid: Grid, width: number, height: number): PatchRect {
  const [x0, x1] = cellSpan(patch.col, grid.cols, width);
  const [y0, y1] = cellSpan(patch.row, grid.rows, height);
  return { x0, x1, y0, y1 };
}

/** Line thickness of the marker for a patch of the given pixel size. */
export function markerThickness(rect: PatchRect): number {
  const side = Math.min(rect.x1 - rect.x0 + 1, rect.y1 - rect.y0 + 1);
  return Math.max(1, Math.min(6, Math.round(side / 8)));
}

function put(img: RgbImage, x: number, y: number, c: Rgb): void {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
  const i = (y * img.width + x) * 3;
  img.data[i] = c[0];
  img.data[i + 1] = c[1];
  img.data[i + 2] = c[2];
}

/** Draws the marker on `img` in place. */
export function drawMarker(img: RgbImage, rect: PatchRect, color: Rgb): void {
  const { x0, x1, y0, y1 } = rect;
  const t = markerThickness(rect);
  const dark: Rgb = [0, 0, 0];
  for (let x = x0 - 1; x <= x1 + 1; x++) {
    put(img, x, y0 - 1, dark);
    put(img, x, y1 + 1, dark);
  }
  for (let y = y0 - 1; y <= y1 + 1; y++) {
    put(img, x0 - 1, y, dark);
    put(img, x1 + 1, y, dark);
  }
  const cx = Math.floor((x0 + x1 + 1 - t) / 2);
  const cy = Math.floor((y0 + y1 + 1 - t) / 2);
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const border = x < x0 + t || x > x1 - t || y < y0 + t || y > y1 - t;
      const cross = (x >= cx && x < cx + t) || (y >= cy && y < cy + t);
      if (border || cross) put(img, x, y, color);
    }
  }
}
