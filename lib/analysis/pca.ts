/**
 * PCA of patch tokens: option validation and dispatch to the CPU or CUDA kernel.
 * Internal: not part of the public API.
 * @module
 */
import { native } from '../binding';
import { integer, invalid, isObject, signalArg, throwIfAborted } from '../validate';
import { onPatches } from './dispatch';
import type { PatchTokens } from './token-view';
import { PCA_DEFAULTS, type PcaOptions, type PcaResult } from './types';

export async function runPca(features: PatchTokens, options: PcaOptions): Promise<PcaResult> {
  if (!isObject(options)) invalid('pca options', '{ components, ... } or a number', options);
  const opts = {
    components: integer(options.components ?? PCA_DEFAULTS.components, 'components', 1, Math.min(features.dim, 64)),
    iterations: integer(options.iterations ?? PCA_DEFAULTS.iterations, 'iterations', 1, 10_000),
    seed: integer(options.seed ?? PCA_DEFAULTS.seed, 'seed', 0),
  };
  if (features.patchCount < 2) invalid('features', 'at least 2 patches for PCA', features.patchCount);
  const signal = signalArg(options.signal, 'signal');
  throwIfAborted(signal, 'PCA');
  const r = await onPatches(
    features,
    'PCA',
    { cpu: (view, cancel) => native().pca(view, opts, cancel), cuda: (view, cancel) => native().cudaPca(view, opts, cancel) },
    signal,
  );
  const variance = [...r.explainedVariance];
  return {
    grid: { ...features.grid },
    components: opts.components,
    projections: r.projections,
    explainedVariance: variance,
    explainedRatio: variance.map((v) => (r.totalVariance > 0 ? v / r.totalVariance : 0)),
    bytes: r.bytes,
  };
}
