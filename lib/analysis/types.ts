/**
 * Result and option types of the analysis layer (similarity, k-means, PCA).
 * @module
 */

/** Rows and columns of the patch grid. */
export interface Grid {
  rows: number;
  cols: number;
}

/** A patch on the grid. */
export interface PatchIndex {
  row: number;
  col: number;
}

/** A point in pixels of the original image (mapped to the patch that covers it). */
export interface PixelPoint {
  x: number;
  y: number;
}

/** Cosine similarity of one target to every patch. */
export interface Heatmap {
  grid: Grid;
  /** rows * cols values in [-1, 1], row-major. */
  values: Float32Array;
  /** The patch the target was taken from, when it was a patch of these features. */
  target: PatchIndex | undefined;
  min: number;
  max: number;
}

/** Options of {@link Features.kmeans}; defaults are in {@link DEFAULTS}.kmeans. */
export interface KMeansOptions {
  /** Number of clusters (1 <= k <= number of patches). */
  k: number;
  /** Maximum Lloyd iterations per run. Default 50 (the tutorial's max_iter). */
  iterations?: number;
  /** Independent k-means++ runs; the lowest inertia wins. Default 1. */
  restarts?: number;
  /** Seed of the k-means++ seeding. Same seed, same result. Default 0. */
  seed?: number;
  /** 'k-means++' (default) or initial centroids (k * dim values) for a warm start. */
  init?: 'k-means++' | Float32Array;
  /** Convergence threshold on the total squared centre shift, relative to the mean feature variance. Default 1e-4 (scikit-learn's). */
  tolerance?: number;
  /** Cancels the run. */
  signal?: AbortSignal;
}

/** Defaults of {@link KMeansOptions}. */
export const KMEANS_DEFAULTS = { iterations: 50, restarts: 1, seed: 0, tolerance: 1e-4 } as const;

export interface KMeansResult {
  grid: Grid;
  k: number;
  /** Cluster of every patch, rows * cols, row-major. */
  labels: Int32Array;
  /** k * dim centroid values. */
  centroids: Float32Array;
  /** Sum of squared distances of patches to their centroid. */
  inertia: number;
  /** Lloyd iterations of the returned run. */
  iterations: number;
  converged: boolean;
}

/** Options of {@link Features.pca}. */
export interface PcaOptions {
  /** Number of components. Default 3 (an RGB picture). */
  components?: number;
  /** Subspace-iteration steps. Default 40. */
  iterations?: number;
  /** Seed of the starting subspace. Default 0. */
  seed?: number;
  signal?: AbortSignal;
}

export const PCA_DEFAULTS = { components: 3, iterations: 40, seed: 0 } as const;

export interface PcaResult {
  grid: Grid;
  components: number;
  /** rows * cols * components projections. */
  projections: Float32Array;
  /** Variance along each component. */
  explainedVariance: number[];
  /** Share of the total variance each component explains. */
  explainedRatio: number[];
  /** Projections scaled to 0..255 per component: with 3 components an RGB image of the grid. */
  bytes: Uint8Array;
}
