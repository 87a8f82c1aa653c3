/**
 * k-means over patch tokens: option validation and dispatch to the CPU or CUDA kernel.
 * Internal: not part of the public API.
 * @module
 */
import { native, type NativeKMeansOptions } from '../binding';
import { DinoError, toDinoError } from '../errors';
import { integer, invalid, isObject, number, signalArg, throwIfAborted } from '../validate';
import { onPatches } from './dispatch';
import type { PatchTokens } from './token-view';
import { KMEANS_DEFAULTS, type KMeansOptions, type KMeansResult } from './types';

/** Validates k-means options against a feature matrix of `rows` x `dim`. */
export function kmeansOptions(options: KMeansOptions, rows: number, dim: number): NativeKMeansOptions {
  if (!isObject(options)) invalid('kmeans options', '{ k, ... }', options);
  if (typeof options.k !== 'number' || !Number.isInteger(options.k) || options.k < 1) {
    invalid('k', 'an integer >= 1', options.k);
  }
  if (options.k > rows) {
    throw new DinoError(
      'ERR_DINO_INVALID_ARGUMENT',
      `k = ${options.k} is larger than the number of patches (${rows}); use at most ${rows} clusters or a larger input size`,
    );
  }
  const result: NativeKMeansOptions = {
    k: options.k,
    maxIterations: integer(options.iterations ?? KMEANS_DEFAULTS.iterations, 'iterations', 1, 100_000),
    restarts: integer(options.restarts ?? KMEANS_DEFAULTS.restarts, 'restarts', 1, 10_000),
    seed: integer(options.seed ?? KMEANS_DEFAULTS.seed, 'seed', 0),
    tolerance: number(options.tolerance ?? KMEANS_DEFAULTS.tolerance, 'tolerance', 0),
  };
  if (options.init !== undefined && options.init !== 'k-means++') {
    if (!(options.init instanceof Float32Array)) invalid('init', "'k-means++' or a Float32Array of k * dim centroids", options.init);
    if (options.init.length !== options.k * dim) {
      throw new DinoError(
        'ERR_DINO_SHAPE_MISMATCH',
        `init holds ${options.init.length} values; k * dim = ${options.k} * ${dim} = ${options.k * dim} expected`,
      );
    }
    result.init = options.init;
  }
  return result;
}

export async function runKmeans(features: PatchTokens, options: KMeansOptions): Promise<KMeansResult> {
  const opts = kmeansOptions(options, features.patchCount, features.dim);
  const signal = signalArg(options.signal, 'signal');
  throwIfAborted(signal, 'k-means');
  const r = await onPatches(
    features,
    'k-means',
    { cpu: (view, cancel) => native().kmeans(view, opts, cancel), cuda: (view, cancel) => native().cudaKmeans(view, opts, cancel) },
    signal,
  );
  return { grid: { ...features.grid }, k: opts.k, ...r };
}

export async function runAssign(features: PatchTokens, centroids: Float32Array): Promise<{ labels: Int32Array; inertia: number }> {
  if (!(centroids instanceof Float32Array) || centroids.length === 0 || centroids.length % features.dim !== 0) {
    invalid('centroids', `a Float32Array of k * ${features.dim} values`, centroids);
  }
  const k = centroids.length / features.dim;
  return onPatches(features, 'Assignment', {
    cpu: (view) => native().assignNearest(view, centroids, k),
    cuda: (view) => native().cudaAssignNearest(view, centroids, k),
  });
}

/**
 * The one-to-one renumbering of `next`'s k centroids that best matches `previous`'s (Hungarian
 * assignment on squared distances): entry j is the previous label of new cluster j.
 */
export function matchCentroids(previous: Float32Array, next: Float32Array, k: number, dim: number): Int32Array {
  try {
    return native().matchCentroids(previous, next, k, dim);
  } catch (err) {
    throw toDinoError(err, 'ERR_DINO_INTERNAL', undefined, 'Matching clusters to the previous frame failed');
  }
}
