/**
 * Heatmap pictures: a similarity map scaled to the image (bilinear, or one block per patch),
 * coloured with a colormap, plain or blended over the photo, with the target patch marked and an
 * optional colour bar.
 * @module
 */
import type { Heatmap } from '../analysis/types';
import { DinoError } from '../errors';
import { boolean, invalid, isObject, number, oneOf, optional } from '../validate';
import { resolveBase, type RenderBase, type ResolvedBase } from './base-image';
import { renderColorbar } from './colorbar';
import { colormap, COLORMAP_NAMES, type ColormapName } from './colormaps';
import { sideBySide } from './compose';
import { drawMarker, patchRect } from './marker';
import { alpha256, needPhoto, rgbArg } from './options';
import { renderField } from './upsample';
import type { Interpolation, Rgb, RgbImage } from './types';

/** Options of {@link renderHeatmap}. */
export interface HeatmapRenderOptions {
  /** Colormap. Default 'viridis'. */
  colormap?: ColormapName;
  /** 'bilinear' (default): smooth at image resolution; 'nearest': one block per patch. */
  interpolation?: Interpolation;
  /** Blend the colours over the photo instead of drawing them alone. Default false. */
  overlay?: boolean;
  /** Weight of the heatmap colours in the overlay (0..1). Default 0.5. */
  alpha?: number;
  /**
   * Values mapped to the lowest and highest colour. Default: the map's own [min, max] (the target
   * patch, similarity 1, gets the top colour). [-1, 1] compares maps on one fixed scale.
   */
  range?: readonly [number, number];
  /** Values below it are not coloured: the photo shows through (overlay) or black (plain). */
  threshold?: number;
  /** Mark the target patch (square outline and cross). true (default) uses a colour that stands out from the colormap. */
  marker?: boolean | Rgb;
  /** Put a colour bar with the range's values to the right of the picture. Default false. */
  colorbar?: boolean;
}

/** Marker colours chosen to be absent from each colormap. */
export const MARKER_COLORS: Readonly<Record<ColormapName, Rgb>> = {
  viridis: [255, 0, 0],
  magma: [0, 255, 255],
  inferno: [0, 255, 255],
  jet: [255, 255, 255],
  gray: [255, 0, 0],
};

interface Resolved {
  lut: Uint8Array;
  interpolation: Interpolation;
  overlay: boolean;
  alpha: number;
  range: readonly [number, number] | undefined;
  threshold: number | undefined;
  marker: Rgb | undefined;
  colorbar: boolean;
}

function resolveOptions(o: HeatmapRenderOptions): Resolved {
  if (!isObject(o)) invalid('options', 'an options object', o);
  const name = oneOf(o.colormap ?? 'viridis', 'colormap', COLORMAP_NAMES);
  let range: readonly [number, number] | undefined;
  if (o.range !== undefined) {
    if (!Array.isArray(o.range) || o.range.length !== 2) invalid('range', '[low, high]', o.range);
    const lo = number(o.range[0], 'range[0]');
    const hi = number(o.range[1], 'range[1]');
    if (!(hi > lo)) invalid('range', '[low, high] with high > low', o.range);
    range = [lo, hi];
  }
  const m = o.marker ?? true;
  return {
    lut: colormap(name),
    interpolation: oneOf(o.interpolation ?? 'bilinear', 'interpolation', ['bilinear', 'nearest'] as const),
    overlay: boolean(o.overlay ?? false, 'overlay'),
    alpha: alpha256(o.alpha, 'alpha', 0.5),
    range,
    threshold: optional(o.threshold, (v) => number(v, 'threshold')),
    marker: m === false ? undefined : m === true ? MARKER_COLORS[name] : rgbArg(m, 'marker'),
    colorbar: boolean(o.colorbar ?? false, 'colorbar'),
  };
}

function checkHeatmap(h: Heatmap, name: string): void {
  if (!isObject(h) || !(h.values instanceof Float32Array) || !isObject(h.grid)) invalid(name, 'a Heatmap { grid, values, target, min, max }', h);
  if (h.values.length !== h.grid.rows * h.grid.cols) {
    throw new DinoError('ERR_DINO_SHAPE_MISMATCH', `${name}.values holds ${h.values.length} values but its grid ${h.grid.rows}x${h.grid.cols} needs ${h.grid.rows * h.grid.cols}`);
  }
}

async function renderOne(base: ResolvedBase, h: Heatmap, o: Resolved): Promise<RgbImage> {
  const { width, height } = base;
  const photo = o.overlay ? needPhoto(base.photo, 'An overlay heatmap') : undefined;
  const [lo, hi] = o.range ?? [h.min, h.max];
  const data = await renderField(h.values, h.grid, 1, base, o.interpolation, { lut: o.lut, lo, hi, threshold: o.threshold }, photo ? { photo: photo.data, alpha: o.alpha } : undefined);
  const image: RgbImage = { data, width, height };
  if (o.marker && h.target) drawMarker(image, patchRect(h.target, h.grid, width, height), o.marker);
  if (!o.colorbar) return image;
  return sideBySide([image, await renderColorbar(o.lut, lo, hi, height)]);
}

/**
 * Renders a similarity heatmap ({@link Features.similarity}) at the image's resolution: plain or
 * blended over the photo, the target patch marked, optionally with a colour bar (which makes the
 * picture wider). An array of heatmaps gives one picture each; the image is decoded once.
 *
 * @param image the photo (path, encoded buffer, raw pixels or an {@link RgbImage}), or
 *   `{ width, height }` for a plain heatmap without one.
 * @example
 * ```ts
 * import { loadModel, renderHeatmap, toPng } from 'dinov3-trt';
 * const model = await loadModel('dinov3-vits16.onnx');
 * const features = await model.extract('cat.jpg');
 * const heat = await features.similarity({ row: 7, col: 7 });
 * const picture = await renderHeatmap('cat.jpg', heat, { overlay: true, colorbar: true });
 * await toPng(picture, 'heat.png');
 * await model.dispose();
 * ```
 * @throws DinoError ERR_DINO_INVALID_ARGUMENT for bad options, ERR_DINO_SHAPE_MISMATCH for a
 *   heatmap whose values do not fit its grid, ERR_DINO_FILE_NOT_FOUND / ERR_DINO_INVALID_IMAGE
 *   for an unreadable image.
 */
export function renderHeatmap(image: RenderBase, heatmap: Heatmap, options?: HeatmapRenderOptions): Promise<RgbImage>;
export function renderHeatmap(image: RenderBase, heatmaps: readonly Heatmap[], options?: HeatmapRenderOptions): Promise<RgbImage[]>;
export async function renderHeatmap(
  image: RenderBase,
  heatmaps: Heatmap | readonly Heatmap[],
  options: HeatmapRenderOptions = {},
): Promise<RgbImage | RgbImage[]> {
  const many = Array.isArray(heatmaps);
  const list = (many ? heatmaps : [heatmaps]) as readonly Heatmap[];
  if (list.length === 0) invalid('heatmaps', 'at least one heatmap', heatmaps);
  list.forEach((h, i) => checkHeatmap(h, many ? `heatmaps[${i}]` : 'heatmap'));
  const o = resolveOptions(options);
  const base = await resolveBase(image);
  const out: RgbImage[] = [];
  for (const h of list) out.push(await renderOne(base, h, o));
  return many ? out : (out[0] as RgbImage);
}
