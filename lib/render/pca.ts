/**
 * The PCA-RGB picture of the patch features ({@link Features.pca} with 3 components): the three
 * main directions of the features as red, green and blue, scaled to the image.
 * @module
 */
import type { PcaResult } from '../analysis/types';
import { DinoError } from '../errors';
import { boolean, invalid, isObject, oneOf } from '../validate';
import { resolveBase, type RenderBase, type ResolvedBase } from './base-image';
import { sideBySide } from './compose';
import { alpha256, needPhoto } from './options';
import { renderField } from './upsample';
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
  const data = await renderField(Float32Array.from(p.bytes), p.grid, p.components as 1 | 3, base, o.interpolation, { lut: undefined }, blend ? { photo: blend.data, alpha: o.alpha } : undefined);
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
