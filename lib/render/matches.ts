/**
 * The picture of patch correspondences: two images side by side (scaled to a common height),
 * a line between the centres of every matched pair of patches, coloured by similarity with a
 * colormap (weakest first, so the strongest lines are on top), a dot at both ends.
 * @module
 */
import type { PatchMatches } from '../analysis/correspondence';
import { resolveBase, type RenderBase } from './base-image';
import { colormapColor, type ColormapName } from './colormaps';
import { sideBySide } from './compose';
import { resizeRgbKernel } from './kernels';
import { patchRect } from './marker';
import type { Rgb, RgbImage } from './types';
import { integer, oneOf } from '../validate';
import { COLORMAP_NAMES } from './colormaps';

/** Options of {@link renderMatches}. */
export interface MatchRenderOptions {
  /** Colormap of the lines, from the lowest to the highest similarity drawn. Default 'jet'. */
  colormap?: ColormapName;
  /** Pixels between the two images. Default 8. */
  gap?: number;
  /** Line width in pixels. Default 1, or 2 when the picture is over 1000 pixels high. */
  lineWidth?: number;
}

async function photo(base: RenderBase): Promise<RgbImage> {
  const r = await resolveBase(base);
  return r.photo ?? { data: new Uint8Array(r.width * r.height * 3), width: r.width, height: r.height };
}

async function toHeight(img: RgbImage, height: number): Promise<RgbImage> {
  if (img.height === height) return img;
  const width = Math.max(1, Math.round((img.width * height) / img.height));
  return { data: await resizeRgbKernel(img, width, height), width, height };
}

function dot(img: RgbImage, x: number, y: number, radius: number, c: Rgb): void {
  for (let dy = -radius; dy <= radius; dy++) {
    for (let dx = -radius; dx <= radius; dx++) {
      if (dx * dx + dy * dy > radius * radius) continue;
      const px = x + dx;
      const py = y + dy;
      if (px < 0 || py < 0 || px >= img.width || py >= img.height) continue;
      img.data.set(c, (py * img.width + px) * 3);
    }
  }
}

/** A straight line of `width` pixels (squares stamped along a DDA walk). */
function line(img: RgbImage, x0: number, y0: number, x1: number, y1: number, width: number, c: Rgb): void {
  const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
  const lo = -Math.floor((width - 1) / 2);
  const hi = lo + width - 1;
  for (let s = 0; s <= steps; s++) {
    const x = Math.round(x0 + ((x1 - x0) * s) / steps);
    const y = Math.round(y0 + ((y1 - y0) * s) / steps);
    for (let dy = lo; dy <= hi; dy++) {
      for (let dx = lo; dx <= hi; dx++) {
        const px = x + dx;
        const py = y + dy;
        if (px >= 0 && py >= 0 && px < img.width && py < img.height) img.data.set(c, (py * img.width + px) * 3);
      }
    }
  }
}

function centre(p: { row: number; col: number }, grid: { rows: number; cols: number }, width: number, height: number): [number, number] {
  const r = patchRect(p, grid, width, height);
  return [Math.round((r.x0 + r.x1) / 2), Math.round((r.y0 + r.y1) / 2)];
}

/**
 * Draws the matches between image `a` and image `b` (the images the features were extracted
 * from, at any resolution): both side by side at the taller image's height, one line per pair.
 */
export async function renderMatches(a: RenderBase, b: RenderBase, matches: PatchMatches, options: MatchRenderOptions = {}): Promise<RgbImage> {
  const colormap = oneOf(options.colormap ?? 'jet', 'colormap', COLORMAP_NAMES);
  const gap = integer(options.gap ?? 8, 'gap', 0, 1000);
  const [pa, pb] = await Promise.all([photo(a), photo(b)]);
  const height = Math.max(pa.height, pb.height);
  const [ia, ib] = await Promise.all([toHeight(pa, height), toHeight(pb, height)]);
  const picture = sideBySide([ia, ib], gap);
  const width = integer(options.lineWidth ?? (height > 1000 ? 2 : 1), 'lineWidth', 1, 16);
  const pairs = [...matches.pairs].sort((x, y) => x.similarity - y.similarity);
  let min = Infinity;
  let max = -Infinity;
  for (const p of pairs) {
    min = Math.min(min, p.similarity);
    max = Math.max(max, p.similarity);
  }
  const span = max > min ? max - min : 1;
  const radius = width + 1;
  for (const p of pairs) {
    const colour = colormapColor(colormap, Math.round(((p.similarity - min) / span) * 255));
    const [xa, ya] = centre(p.a, matches.gridA, ia.width, height);
    const [xb0, yb] = centre(p.b, matches.gridB, ib.width, height);
    const xb = xb0 + ia.width + gap;
    line(picture, xa, ya, xb, yb, width, colour);
    dot(picture, xa, ya, radius, colour);
    dot(picture, xb, yb, radius, colour);
  }
  return picture;
}
