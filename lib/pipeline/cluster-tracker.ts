/**
 * Stable cluster colours across frames. Each frame's k-means starts from the previous frame's
 * centroids (warm start), so cluster i stays cluster i. When clustering starts from scratch —
 * the first frame, a scene cut (the new frame fits the previous centroids much worse than the
 * previous frame did), or a periodic refresh — the new clusters are matched to the previous ones
 * by centroid distance (Hungarian assignment) and renumbered, so a region keeps its colour.
 * @module
 */
import type { KMeansResult } from '../analysis/types';
import type { Features } from '../features';
import { boolean, integer, invalid, isObject, number } from '../validate';
import { matchCentroids } from '../analysis/kmeans';

/** Options of {@link ClusterTracker}. */
export interface ClusterTrackerOptions {
  /** Number of clusters. */
  k: number;
  /** Seed of the k-means++ seeding of from-scratch runs (the same for each, so unchanged frames give unchanged clusters). Default 0. */
  seed?: number;
  /** Lloyd iterations per frame. Default 50. */
  iterations?: number;
  /** k-means++ runs of a from-scratch clustering (the best is kept). Default 1. */
  restarts?: number;
  /** Re-cluster from scratch every this many frames (0: never). Default 0. */
  refreshEvery?: number;
  /**
   * Scene-cut threshold: when the inertia of a new frame under the previous centroids exceeds
   * this many times the previous frame's inertia, it is clustered from scratch. Default 1.5.
   */
  sceneCut?: number;
  /** false: cluster every frame from scratch without matching (the tutorial's flickering colours). Default true. */
  stable?: boolean;
}

/** Defaults of {@link ClusterTrackerOptions}. */
export const CLUSTER_TRACKER_DEFAULTS = { seed: 0, iterations: 50, restarts: 1, refreshEvery: 0, sceneCut: 1.5, stable: true } as const;

/** Why a frame was clustered from scratch. */
export type ClusterReset = 'first' | 'scene-cut' | 'refresh' | 'unstable';

/** A frame's clusters, numbered consistently with the previous frames'. */
export interface TrackedClusters extends KMeansResult {
  /** Set when this frame was clustered from scratch (and matched to the previous frame). */
  reset: ClusterReset | undefined;
}

interface Resolved {
  k: number;
  seed: number;
  iterations: number;
  restarts: number;
  refreshEvery: number;
  sceneCut: number;
  stable: boolean;
}

/** @internal */
export function resolveTrackerOptions(o: ClusterTrackerOptions): Resolved {
  if (!isObject(o)) invalid('options', '{ k, ... }', o);
  const d = CLUSTER_TRACKER_DEFAULTS;
  return {
    k: integer(o.k, 'k', 1, 4096),
    seed: integer(o.seed ?? d.seed, 'seed', 0),
    iterations: integer(o.iterations ?? d.iterations, 'iterations', 1, 100_000),
    restarts: integer(o.restarts ?? d.restarts, 'restarts', 1, 10_000),
    refreshEvery: integer(o.refreshEvery ?? d.refreshEvery, 'refreshEvery', 0),
    sceneCut: number(o.sceneCut ?? d.sceneCut, 'sceneCut', 1),
    stable: boolean(o.stable ?? d.stable, 'stable'),
  };
}

/** Renumbers `r` so that its cluster i becomes `toPrevious[i]`. */
function renumber(r: KMeansResult, toPrevious: Int32Array, dim: number): KMeansResult {
  const labels = new Int32Array(r.labels.length);
  for (let p = 0; p < labels.length; p++) labels[p] = toPrevious[r.labels[p] as number] as number;
  const centroids = new Float32Array(r.centroids.length);
  for (let i = 0; i < r.k; i++) centroids.set(r.centroids.subarray(i * dim, (i + 1) * dim), (toPrevious[i] as number) * dim);
  return { ...r, labels, centroids };
}

/**
 * Clusters frame after frame with consistent cluster numbers.
 * @example
 * ```ts
 * const tracker = new ClusterTracker({ k: 5 });
 * for await (const frame of video) {
 *   const features = await model.extract(frame);
 *   const { labels, reset } = await tracker.update(features);
 * }
 * ```
 */
export class ClusterTracker {
  readonly #o: Resolved;
  #previous: { centroids: Float32Array; inertia: number; dim: number } | undefined;
  #sinceReset = 0;

  constructor(options: ClusterTrackerOptions) {
    this.#o = resolveTrackerOptions(options);
  }

  /** Number of clusters. */
  get k(): number {
    return this.#o.k;
  }

  /** Forgets the previous frame (the next one is clustered from scratch, without matching). */
  reset(): void {
    this.#previous = undefined;
  }

  /** Clusters the patch tokens of the next frame. */
  async update(features: Features, signal?: AbortSignal): Promise<TrackedClusters> {
    const o = this.#o;
    const prev = this.#previous?.dim === features.dim ? this.#previous : undefined;
    const common = { k: o.k, iterations: o.iterations, ...(signal ? { signal } : {}) };
    let reset: ClusterReset | undefined;
    if (!prev) reset = 'first';
    else if (!o.stable) reset = 'unstable';
    else if (o.refreshEvery > 0 && this.#sinceReset >= o.refreshEvery) reset = 'refresh';
    else if (prev.inertia > 0) {
      const probe = await features.assign(prev.centroids);
      if (probe.inertia > o.sceneCut * prev.inertia) reset = 'scene-cut';
    }
    let result: KMeansResult;
    if (reset === undefined && prev) {
      result = await features.kmeans({ ...common, init: prev.centroids });
      this.#sinceReset++;
    } else {
      result = await features.kmeans({ ...common, seed: o.seed, restarts: o.restarts });
      if (prev && reset !== 'unstable') {
        result = renumber(result, matchCentroids(prev.centroids, result.centroids, o.k, features.dim), features.dim);
      }
      this.#sinceReset = 1;
    }
    this.#previous = { centroids: result.centroids, inertia: result.inertia, dim: features.dim };
    return { ...result, reset };
  }
}

