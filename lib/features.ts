/**
 * Features: the tokens DINOv3 produced for one image — CLS, register and patch tokens on a
 * patch grid — with the analysis operations that run where the tokens lie (native C++ on the
 * host, CUDA kernels on the GPU).
 * @module
 */
import { native } from './binding';
import { DinoError, toDinoError } from './errors';
import type { BackendName } from './backends/backend';
import { runKmeans, runAssign } from './analysis/kmeans';
import { runPca } from './analysis/pca';
import { runSimilarity } from './analysis/similarity';
import type { Grid, Heatmap, KMeansOptions, KMeansResult, PatchIndex, PcaOptions, PcaResult, PixelPoint } from './analysis/types';
import { deviceView, hostView, type TokenStore } from './analysis/token-view';
import type { Size } from './util/size';
import { integer, invalid } from './validate';

/** What a similarity map can be computed for: a patch, a pixel, a vector of `dim` values, or a patch of another image's features. */
export type SimilarityTarget = PatchIndex | PixelPoint | Float32Array | { features: Features; row: number; col: number };

/**
 * Time spent in each stage, in milliseconds. For several images in one call: with one batched
 * inference, the batch's times (shared by its images); pipelined (ONNX Runtime, images to
 * decode), this image's own decode, preprocessing and inference.
 */
export interface FeatureTimings {
  /** Decoding the image file/buffer (0 for raw pixels and tensors). */
  decodeMs: number;
  /** Resize + normalisation. */
  preprocessMs: number;
  /** The backend's inference call (for a batch: the whole batch). */
  inferenceMs: number;
  /** From the call to the result (pipelined: to this image's result). */
  totalMs: number;
}

/** @internal */
export interface FeaturesInit {
  store: TokenStore;
  grid: Grid;
  dim: number;
  registers: number;
  patchSize: number;
  inputSize: Size;
  imageSize: Size;
  timings: FeatureTimings;
  backend: BackendName;
}

/**
 * The DINOv3 tokens of one image. Token layout follows the reference implementation: one CLS
 * token, then `registerCount` register tokens, then `grid.rows * grid.cols` patch tokens in
 * row-major order, all after the final LayerNorm.
 *
 * @example
 * ```ts
 * const f = await model.extract('cat.jpg');
 * const heat = await f.similarity({ row: 7, col: 7 });
 * const seg = await f.kmeans({ k: 3 });
 * ```
 */
export class Features {
  /** Patch grid (input height / patch size, input width / patch size). */
  readonly grid: Grid;
  /** Feature dimension (384 for ViT-S, 768 for ViT-B, 1024 for ViT-L). */
  readonly dim: number;
  /** Number of register tokens (4 for DINOv3). */
  readonly registerCount: number;
  readonly patchSize: number;
  /** Size of the model input (after resizing). */
  readonly inputSize: Size;
  /** Size of the original image (equal to inputSize for tensor inputs). */
  readonly imageSize: Size;
  readonly timings: FeatureTimings;
  /** Backend that produced the features. */
  readonly backend: BackendName;
  #store: TokenStore | undefined;

  /** @internal */
  constructor(init: FeaturesInit) {
    this.#store = init.store;
    this.grid = init.grid;
    this.dim = init.dim;
    this.registerCount = init.registers;
    this.patchSize = init.patchSize;
    this.inputSize = init.inputSize;
    this.imageSize = init.imageSize;
    this.timings = init.timings;
    this.backend = init.backend;
  }

  /**
   * Wraps a patch-token matrix from elsewhere ([grid.rows * grid.cols, dim], row-major; e.g. a
   * saved .npy) so similarity, k-means and PCA can run on it. The CLS token is zero and there
   * are no registers.
   */
  static fromPatches(patches: Float32Array, grid: Grid, dim: number): Features {
    if (!(patches instanceof Float32Array)) invalid('patches', 'a Float32Array', patches);
    integer(dim, 'dim', 1);
    integer(grid?.rows, 'grid.rows', 1);
    integer(grid?.cols, 'grid.cols', 1);
    if (patches.length !== grid.rows * grid.cols * dim) {
      throw new DinoError(
        'ERR_DINO_SHAPE_MISMATCH',
        `patches hold ${patches.length} values; grid ${grid.rows}x${grid.cols} with dim ${dim} needs ${grid.rows * grid.cols * dim}`,
      );
    }
    const data = new Float32Array(patches.length + dim);
    data.set(patches, dim);
    const size = { height: grid.rows, width: grid.cols };
    return new Features({
      store: { location: 'cpu', data, offset: 0 },
      grid: { rows: grid.rows, cols: grid.cols },
      dim,
      registers: 0,
      patchSize: 1,
      inputSize: size,
      imageSize: size,
      timings: { decodeMs: 0, preprocessMs: 0, inferenceMs: 0, totalMs: 0 },
      backend: 'onnxruntime',
    });
  }

  /** 'cpu' when the tokens are in host memory, 'cuda' when they stay in GPU memory. */
  get location(): 'cpu' | 'cuda' {
    return this.#live().location;
  }

  /** Number of patch tokens (grid.rows * grid.cols). */
  get patchCount(): number {
    return this.grid.rows * this.grid.cols;
  }

  /** Number of tokens: 1 + registers + patches. */
  get tokenCount(): number {
    return 1 + this.registerCount + this.patchCount;
  }

  /** The CLS token (dim values; = pooler_output). */
  get cls(): Float32Array {
    return this.#hostTokens(0, 1);
  }

  /** Register tokens, registerCount * dim values. */
  get registers(): Float32Array {
    return this.#hostTokens(1, this.registerCount);
  }

  /** Patch tokens, [grid.rows * grid.cols, dim] row-major. A view, not a copy. */
  get patches(): Float32Array {
    return this.#hostTokens(1 + this.registerCount, this.patchCount);
  }

  /** All tokens, [1 + registers + patches, dim]. A view, not a copy. */
  get tokens(): Float32Array {
    return this.#hostTokens(0, this.tokenCount);
  }

  /** The token of one patch (a view). */
  patch(row: number, col: number): Float32Array {
    const index = this.#patchIndex({ row, col });
    return this.#hostTokens(1 + this.registerCount + index, 1);
  }

  /** The patch that covers a point given in pixels of the original image. */
  patchAt(point: PixelPoint): PatchIndex {
    const { x, y } = point;
    if (typeof x !== 'number' || typeof y !== 'number' || !Number.isFinite(x) || !Number.isFinite(y)) {
      invalid('point', '{ x, y } in pixels', point);
    }
    if (x < 0 || y < 0 || x >= this.imageSize.width || y >= this.imageSize.height) {
      throw new DinoError(
        'ERR_DINO_INVALID_ARGUMENT',
        `Point (${x}, ${y}) is outside the ${this.imageSize.width}x${this.imageSize.height} image`,
      );
    }
    return {
      row: Math.min(this.grid.rows - 1, Math.floor((y / this.imageSize.height) * this.grid.rows)),
      col: Math.min(this.grid.cols - 1, Math.floor((x / this.imageSize.width) * this.grid.cols)),
    };
  }

  /**
   * Cosine similarity of a target to every patch. The target is a patch (`{row, col}`), a point
   * in image pixels (`{x, y}`), a feature vector (Float32Array of dim values), or a patch of
   * another image's features (`{features, row, col}`). An array of targets gives one heatmap each.
   */
  similarity(target: SimilarityTarget): Promise<Heatmap>;
  similarity(targets: readonly SimilarityTarget[]): Promise<Heatmap[]>;
  async similarity(targets: SimilarityTarget | readonly SimilarityTarget[]): Promise<Heatmap | Heatmap[]> {
    const many = Array.isArray(targets);
    const list = (many ? targets : [targets]) as readonly SimilarityTarget[];
    const maps = await runSimilarity(this, list);
    return many ? maps : (maps[0] as Heatmap);
  }

  /** k-means over the patch tokens (scikit-learn's algorithm; deterministic for a seed). */
  async kmeans(options: KMeansOptions): Promise<KMeansResult> {
    return runKmeans(this, options);
  }

  /** Labels of the nearest of the given centroids (k * dim values) for every patch. */
  async assign(centroids: Float32Array): Promise<{ labels: Int32Array; inertia: number }> {
    return runAssign(this, centroids);
  }

  /** Principal components of the patch tokens: with 3 components, the classic DINO RGB picture. */
  async pca(options: PcaOptions | number = {}): Promise<PcaResult> {
    return runPca(this, typeof options === 'number' ? { components: options } : options);
  }

  /** Features whose tokens are in host memory (this object when they already are). */
  async toHost(): Promise<Features> {
    const store = this.#live();
    if (store.location === 'cpu') return this;
    const stack = new Error();
    try {
      const data = await native().cudaDownloadMatrix(deviceView(store, 0, this.tokenCount, this.dim));
      return this.#withStore({ location: 'cpu', data, offset: 0 });
    } catch (err) {
      throw toDinoError(err, 'ERR_DINO_CUDA', stack);
    }
  }

  /** @internal A copy in host memory that stays when this object is disposed (a download for CUDA features). */
  async hostCopy(): Promise<Features> {
    const store = this.#live();
    if (store.location === 'cuda') return this.toHost();
    return this.#withStore({ location: 'cpu', data: store.data.slice(store.offset, store.offset + this.tokenCount * this.dim), offset: 0 });
  }

  /** Features whose tokens are in CUDA memory (needs a CUDA device). */
  async toDevice(): Promise<Features> {
    const store = this.#live();
    if (store.location === 'cuda') return this;
    const stack = new Error();
    try {
      const tensor = native().DeviceTensor.allocate([this.tokenCount, this.dim], 'float32');
      await tensor.upload(store.data.slice(store.offset, store.offset + this.tokenCount * this.dim));
      return this.#withStore({ location: 'cuda', tensor, offset: 0, release: () => tensor.dispose() });
    } catch (err) {
      throw toDinoError(err, 'ERR_DINO_CUDA', stack);
    }
  }

  /** True after dispose(). */
  get disposed(): boolean {
    return this.#store === undefined;
  }

  /** Releases the tokens (GPU memory for CUDA features). Later use throws ERR_DINO_DISPOSED. */
  dispose(): void {
    const store = this.#store;
    this.#store = undefined;
    if (store?.location === 'cuda') store.release();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }

  /** @internal The live token store (throws ERR_DINO_DISPOSED after dispose). */
  get store(): TokenStore {
    return this.#live();
  }

  /** @internal Patch index in row-major order, validated. */
  patchIndexOf(p: PatchIndex): number {
    return this.#patchIndex(p);
  }

  #live(): TokenStore {
    if (!this.#store) throw new DinoError('ERR_DINO_DISPOSED', 'These features have been disposed');
    return this.#store;
  }

  #patchIndex(p: PatchIndex): number {
    const row = integer(p.row, 'row', 0, this.grid.rows - 1);
    const col = integer(p.col, 'col', 0, this.grid.cols - 1);
    return row * this.grid.cols + col;
  }

  #hostTokens(first: number, count: number): Float32Array {
    const store = this.#live();
    if (store.location !== 'cpu') {
      throw new DinoError(
        'ERR_DINO_INVALID_ARGUMENT',
        'These features are in CUDA memory; call `await features.toHost()` for host values, or use similarity/kmeans/pca directly on the GPU',
      );
    }
    const v = hostView(store, first, count, this.dim);
    return v.data.subarray(v.offset, v.offset + count * this.dim);
  }

  #withStore(store: TokenStore): Features {
    return new Features({
      store,
      grid: this.grid,
      dim: this.dim,
      registers: this.registerCount,
      patchSize: this.patchSize,
      inputSize: this.inputSize,
      imageSize: this.imageSize,
      timings: this.timings,
      backend: this.backend,
    });
  }
}
