/**
 * The PCA-RGB picture of the patch features ({@link Features.pca} with 3 components): the three
 * main directions of the features as red, green and blue, scaled to the image.
 * @module
 */
import type { PcaResult } from '../analysis/types';
import { DinoError } from '../errors';
import { boolean, invalid, isObject, oneOf } from '../validate';
import { resolveBase, type RenderBase, type ResolvedBase } from './base-image';
import { forRows } from './chunked';
import { sideBySide } from './compose';
import { alpha256, blendPixel, needPhoto } from './options';
import { upsampleField } from './upsample';
import type { Interpolation, RgbImage } from './types';

/** Options of {@link renderPca}. */
export interface PcaRenderOptions {
  /** 'nearest' (default): one block per patch; 'bilinear': smooth. */
  interpolation?: Interpolation;
  /** 'mask' (default): the PCA colours alone; 'overlay': blended over the photo. */
  mode?: 'overlay' | 'mask';
  /** Weight of the PCA colours in the overlay (0..1). Default 0.5. */
  alpha?: number;
  /** Put the photo to the left of the render. Default false. */
  sideBySide?: boolean;
}

/** @internal Validated options. */
export interface ResolvedPcaOptions {
  interpolation: Interpolation;
  mode: 'overlay' | 'mask';
  alpha: number;
  sideBySide: boolean;
}

/** @internal */
export function resolvePcaOptions(o: PcaRenderOptions): ResolvedPcaOptions {
  if (!isObject(o)) invalid('options', 'an options object', o);
  return {
    interpolation: oneOf(o.interpolation ?? 'nearest', 'interpolation', ['bilinear', 'nearest'] as const),
    mode: oneOf(o.mode ?? 'mask', 'mode', ['overlay', 'mask'] as const),
    alpha: alpha256(o.alpha, 'alpha', 0.5),
    sideBySide: boolean(o.sideBySide ?? false, 'sideBySide'),
  };
}

/** The parts of a {@link PcaResult} a PCA picture needs. */
export type PcaPicture = Pick<PcaResult, 'grid' | 'components' | 'bytes'>;

function checkPca(p: PcaPicture): void {
  if (!isObject(p) || !(p.bytes instanceof Uint8Array) || !isObject(p.grid)) invalid('pca', 'a PCA result { grid, components, bytes }', p);
  if (p.components !== 3 && p.components !== 1) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `A PCA picture needs 3 components (RGB) or 1 (gray); got ${p.components}`);
  }
  if (p.bytes.length !== p.grid.rows * p.grid.cols * p.components) {
    throw new DinoError('ERR_DINO_SHAPE_MISMATCH', `pca.bytes holds ${p.bytes.length} values but ${p.grid.rows}x${p.grid.cols}x${p.components} are needed`);
  }
}

/** @internal */
export async function renderPcaResolved(base: ResolvedBase, p: PcaPicture, o: ResolvedPcaOptions): Promise<RgbImage> {
  checkPca(p);
  const { width, height } = base;
  const photo = o.mode === 'overlay' || o.sideBySide ? needPhoto(base.photo, 'An overlay or side-by-side PCA picture') : undefined;
  const blend = o.mode === 'overlay' ? photo : undefined;
  const ch = p.components;
  const field = await upsampleField(p.bytes, p.grid, ch, width, height, o.interpolation);
  const data = new Uint8Array(width * height * 3);
  await forRows(height, width, (y0, y1) => {
    for (let q = y0 * width; q < y1 * width; q++) {
      const s = q * ch;
      const r = Math.round(field[s] as number);
      const g = ch === 3 ? Math.round(field[s + 1] as number) : r;
      const b = ch === 3 ? Math.round(field[s + 2] as number) : r;
      const i = q * 3;
      if (blend) blendPixel(data, blend.data, i, r, g, b, o.alpha);
      else {
        data[i] = r;
        data[i + 1] = g;
        data[i + 2] = b;
      }
    }
  });
  const image: RgbImage = { data, width, height };
  return o.sideBySide && photo ? sideBySide([photo, image]) : image;
}

/**
 * Renders the PCA-RGB picture of the features at the image's resolution.
 * @example
 * ```ts
 * import { loadModel, renderPca, toPng } from 'dinov3-trt';
 * const model = await loadModel('dinov3-vits16.onnx');
 * const features = await model.extract('cat.jpg', { size: 448 });
 * await toPng(await renderPca('cat.jpg', await features.pca(3), { sideBySide: true }), 'pca.png');
 * await model.dispose();
 * ```
 */
export async function renderPca(image: RenderBase, pca: PcaPicture, options: PcaRenderOptions = {}): Promise<RgbImage> {
  const o = resolvePcaOptions(options);
  checkPca(pca);
  return renderPcaResolved(await resolveBase(image), pca, o);
}
