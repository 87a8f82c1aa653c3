/**
 * Turns engine size/batch options into a TensorRT optimisation profile ([N, 3, H, W] min, opt,
 * max), checked against the model's patch size and fixed dimensions.
 * Internal: not part of the public API.
 * @module
 */
import { DinoError } from '../errors';
import { checkPatchMultiple, formatSize, parseSize, type Size } from '../util/size';
import { integer, isObject } from '../validate';
import { ENGINE_DEFAULTS, type BuildEngineOptions } from './options';

export interface Profile {
  min: number[];
  opt: number[];
  max: number[];
}

export function resolveProfile(
  options: Pick<BuildEngineOptions, 'sizes' | 'batch'>,
  patchSize: number,
  fixedSize: Size | undefined,
  fixedBatch: number | undefined,
): Profile {
  const sizes = options.sizes ?? fixedSize ?? ENGINE_DEFAULTS.size;
  const [min, opt, max] =
    isObject(sizes) && 'min' in sizes
      ? [parseSize(sizes.min, 'sizes.min'), parseSize(sizes.opt, 'sizes.opt'), parseSize(sizes.max, 'sizes.max')]
      : [parseSize(sizes as Size), parseSize(sizes as Size), parseSize(sizes as Size)];
  for (const s of [min, opt, max]) checkPatchMultiple(s, patchSize);
  if (!(min.height <= opt.height && opt.height <= max.height && min.width <= opt.width && opt.width <= max.width)) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `Engine sizes must satisfy min <= opt <= max; got ${formatSize(min)}, ${formatSize(opt)}, ${formatSize(max)}`);
  }
  if (fixedSize && [min, opt, max].some((s) => s.height !== fixedSize.height || s.width !== fixedSize.width)) {
    throw new DinoError('ERR_DINO_SHAPE_MISMATCH', `The ONNX model is fixed to ${formatSize(fixedSize)}; the engine cannot take other sizes`);
  }
  const b = options.batch ?? fixedBatch ?? ENGINE_DEFAULTS.batch;
  const [bMin, bOpt, bMax] =
    typeof b === 'number'
      ? [fixedBatch ?? 1, integer(b, 'batch', 1, 1024), b] // up to b images per inference, optimised for b
      : [integer(b.min, 'batch.min', 1, 1024), integer(b.opt, 'batch.opt', 1, 1024), integer(b.max, 'batch.max', 1, 1024)];
  if (!(bMin <= bOpt && bOpt <= bMax)) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', 'batch must satisfy min <= opt <= max');
  if (fixedBatch !== undefined && (bMin !== fixedBatch || bMax !== fixedBatch)) {
    throw new DinoError('ERR_DINO_SHAPE_MISMATCH', `The ONNX model is fixed to batch ${fixedBatch}`);
  }
  return {
    min: [bMin, 3, min.height, min.width],
    opt: [bOpt, 3, opt.height, opt.width],
    max: [bMax, 3, max.height, max.width],
  };
}

/** Throws ERR_DINO_SHAPE_MISMATCH when an input shape is outside the profile. */
export function checkInProfile(dims: readonly number[], profile: Profile): void {
  const outside = dims.some((d, i) => d < (profile.min[i] as number) || d > (profile.max[i] as number));
  if (outside) {
    throw new DinoError(
      'ERR_DINO_SHAPE_MISMATCH',
      `Input [${dims.join(', ')}] is outside this engine's profile: min [${profile.min.join(', ')}], max [${profile.max.join(', ')}]. ` +
        'Build an engine for that size (sizes: { min, opt, max }) or use the ONNX Runtime backend.',
    );
  }
}
