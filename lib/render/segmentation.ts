/**
 * Segmentation pictures: cluster labels on the patch grid coloured with a palette, scaled to the
 * image nearest-neighbour (one block per patch) and blended over the photo 0.6/0.4 like the
 * tutorial, or shown alone, optionally next to the photo.
 * @module
 */
import type { Grid } from '../analysis/types';
import { DinoError } from '../errors';
import { boolean, integer, invalid, isObject, oneOf } from '../validate';
import { resolveBase, type RenderBase, type ResolvedBase } from './base-image';
import { sideBySide } from './compose';
import { alpha256, needPhoto } from './options';
import { paletteColors, type Palette } from './palettes';
import { nearestAxis } from './upsample';
import type { RgbImage } from './types';
import { labelOverlayKernel } from './kernels';

/** Labels on a patch grid: a {@link KMeansResult} fits, or any `{ labels, grid }`. */
export interface LabelGrid {
  /** One label per patch, row-major; negative labels are left uncoloured. */
  labels: Int32Array;
  grid: Grid;
  /** Number of labels (palette size). Default: the largest label + 1. */
  k?: number;
}

/** Options of {@link renderSegmentation}. */
export interface SegmentationRenderOptions {
  /** 'jet' (default, the tutorial's colours), 'qualitative', or explicit colours (3 bytes per label). */
  palette?: Palette;
  /** Weight of the mask colours in the overlay (0..1). Default 0.4: photo 0.6, mask 0.4. */
  alpha?: number;
  /** 'overlay' (default): blended over the photo; 'mask': the colours alone. */
  mode?: 'overlay' | 'mask';
  /** Put the photo to the left of the render. Default false. */
  sideBySide?: boolean;
  /** Only colour these labels; other patches keep the photo (black in 'mask' mode). */
  show?: readonly number[];
}

/** Defaults of {@link SegmentationRenderOptions}. */
export const SEGMENTATION_DEFAULTS = { palette: 'jet', alpha: 0.4, mode: 'overlay' } as const;

/** @internal Validated options, reusable across frames. */
export interface ResolvedSegmentationOptions {
  palette: Palette;
  alpha: number;
  mode: 'overlay' | 'mask';
  sideBySide: boolean;
  show: ReadonlySet<number> | undefined;
}

/** @internal */
export function resolveSegmentationOptions(o: SegmentationRenderOptions): ResolvedSegmentationOptions {
  if (!isObject(o)) invalid('options', 'an options object', o);
  const given: unknown = o.palette ?? SEGMENTATION_DEFAULTS.palette;
  const palette: Palette = given instanceof Uint8Array ? given : oneOf(given, 'palette', ['jet', 'qualitative'] as const);
  let show: Set<number> | undefined;
  if (o.show !== undefined) {
    if (!Array.isArray(o.show)) invalid('show', 'an array of labels', o.show);
    show = new Set(o.show.map((l, i) => integer(l, `show[${i}]`, 0)));
  }
  return {
    palette,
    alpha: alpha256(o.alpha, 'alpha', SEGMENTATION_DEFAULTS.alpha),
    mode: oneOf(o.mode ?? SEGMENTATION_DEFAULTS.mode, 'mode', ['overlay', 'mask'] as const),
    sideBySide: boolean(o.sideBySide ?? false, 'sideBySide'),
    show,
  };
}

function labelCount(l: LabelGrid): number {
  if (!isObject(l) || !(l.labels instanceof Int32Array) || !isObject(l.grid)) invalid('labels', '{ labels: Int32Array, grid } (e.g. a k-means result)', l);
  const n = integer(l.grid.rows, 'grid.rows', 1) * integer(l.grid.cols, 'grid.cols', 1);
  if (l.labels.length !== n) {
    throw new DinoError('ERR_DINO_SHAPE_MISMATCH', `labels holds ${l.labels.length} values but the grid ${l.grid.rows}x${l.grid.cols} needs ${n}`);
  }
  let max = -1;
  for (const v of l.labels) if (v > max) max = v;
  if (l.k === undefined) return max + 1;
  const k = integer(l.k, 'k', 1);
  if (max >= k) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `Label ${max} is out of range for k = ${k}`);
  return k;
}

/** @internal Renders with resolved options onto a resolved base (used per video frame). */
export async function renderSegmentationResolved(base: ResolvedBase, l: LabelGrid, o: ResolvedSegmentationOptions): Promise<RgbImage> {
  const k = Math.max(1, labelCount(l));
  const colours = paletteColors(o.palette, k);
  const { width, height } = base;
  const photo = o.mode === 'overlay' || o.sideBySide ? needPhoto(base.photo, o.sideBySide ? 'A side-by-side segmentation' : 'An overlay segmentation') : undefined;
  const blend = o.mode === 'overlay' ? photo : undefined;
  const drawn = new Uint8Array(k);
  for (let i = 0; i < k; i++) drawn[i] = o.show && !o.show.has(i) ? 0 : 1;
  // The native kernel (native/core/overlay.h): (photo * (256 - alpha) + colour * alpha + 128) >> 8.
  const data = await labelOverlayKernel({
    photo: blend ? blend.data : null,
    width,
    height,
    colOf: nearestAxis(width, l.grid.cols),
    rowOf: nearestAxis(height, l.grid.rows),
    labels: l.labels,
    gridRows: l.grid.rows,
    gridCols: l.grid.cols,
    colours,
    drawn,
    alpha: o.alpha,
  });
  const image: RgbImage = { data, width, height };
  return o.sideBySide && photo ? sideBySide([photo, image]) : image;
}

/**
 * Renders cluster labels ({@link Features.kmeans}) over the image: each patch filled with its
 * label's palette colour (nearest-neighbour, one block per patch), blended 0.6 photo / 0.4
 * colour by default, or as a mask alone, optionally next to the photo.
 *
 * @param image the photo (path, encoded buffer, raw pixels or an {@link RgbImage}), or
 *   `{ width, height }` for a mask without one.
 * @example
 * ```ts
 * import { loadModel, renderSegmentation, toPng } from 'dinov3-trt';
 * const model = await loadModel('dinov3-vits16.onnx');
 * const features = await model.extract('street.jpg');
 * const clusters = await features.kmeans({ k: 5, seed: 0 });
 * await toPng(await renderSegmentation('street.jpg', clusters, { sideBySide: true }), 'segments.png');
 * await model.dispose();
 * ```
 * @throws DinoError ERR_DINO_INVALID_ARGUMENT for bad options or labels beyond the palette,
 *   ERR_DINO_SHAPE_MISMATCH for labels that do not fit their grid.
 */
export async function renderSegmentation(image: RenderBase, labels: LabelGrid, options: SegmentationRenderOptions = {}): Promise<RgbImage> {
  const o = resolveSegmentationOptions(options);
  labelCount(labels);
  return renderSegmentationResolved(await resolveBase(image), labels, o);
}
