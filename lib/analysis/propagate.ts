/**
 * Label propagation for video object segmentation, as in DINO's eval_video_segmentation.py and
 * the official DINOv3 segmentation-tracking notebook: each new frame's patches take a weighted
 * average of the soft labels of their most similar patches in a queue of context frames (the
 * first frame and the last `contextFrames` frames), restricted to a spatial neighbourhood, with
 * softmax weights at a temperature. The step itself is native/core/propagation.h.
 * @module
 */
import { native, type NativePropagationOptions } from '../binding';
import { DinoError, toDinoError } from '../errors';
import type { Features } from '../features';
import { integer, invalid, isObject, number, oneOf } from '../validate';
import { hostView } from './token-view';
import type { Grid } from './types';

/** Settings of the propagation; the defaults are the DINOv3 segmentation-tracking notebook's. */
export interface PropagationOptions {
  /** Recent frames kept as context besides the first frame. Default 7. */
  contextFrames?: number;
  /** Context patches each patch averages over (the most similar ones). Default 5. */
  topK?: number;
  /** Softmax temperature of the similarities. Default 0.2 (the DINOv3 notebook; DINO used 0.1). */
  temperature?: number;
  /** Only context patches within this many patches of the target count. Default 12; 0: no limit. */
  radius?: number;
  /** Shape of that neighbourhood. Default 'circle' (the DINOv3 notebook; DINO used 'square'). */
  neighbourhood?: 'circle' | 'square';
}

/**
 * Defaults of {@link PropagationOptions}: the DINOv3 notebook's MAX_CONTEXT_LENGTH = 7,
 * TOPK = 5, NEIGHBORHOOD_SIZE = 12, NEIGHBORHOOD_SHAPE = "circle", TEMPERATURE = 0.2.
 */
export const PROPAGATION_DEFAULTS = { contextFrames: 7, topK: 5, temperature: 0.2, radius: 12, neighbourhood: 'circle' } as const;

/** Validated {@link PropagationOptions}, defaults filled in. */
export interface ResolvedPropagation {
  contextFrames: number;
  topK: number;
  temperature: number;
  radius: number;
  circle: boolean;
}

/** Validates {@link PropagationOptions} and fills in the defaults. */
export function resolvePropagation(o: PropagationOptions = {}): ResolvedPropagation {
  if (!isObject(o)) invalid('propagation options', 'an object', o);
  return {
    contextFrames: integer(o.contextFrames ?? PROPAGATION_DEFAULTS.contextFrames, 'contextFrames', 0, 1000),
    topK: integer(o.topK ?? PROPAGATION_DEFAULTS.topK, 'topK', 1, 100_000),
    temperature: number(o.temperature ?? PROPAGATION_DEFAULTS.temperature, 'temperature', 1e-6, 1e6),
    radius: number(o.radius ?? PROPAGATION_DEFAULTS.radius, 'radius', 0, 1e6),
    circle: oneOf(o.neighbourhood ?? PROPAGATION_DEFAULTS.neighbourhood, 'neighbourhood', ['circle', 'square'] as const) === 'circle',
  };
}

/** Nearest-neighbour resampling index (centre sampling, as PyTorch 'nearest-exact' and PIL NEAREST). */
function centreIndex(i: number, from: number, to: number): number {
  return Math.min(from - 1, Math.floor(((i + 0.5) * from) / to));
}

/** A pixel label map reduced to the patch grid (the label at each patch's centre). */
export function labelsOnGrid(labels: Uint8Array, width: number, height: number, grid: Grid): Int32Array {
  const out = new Int32Array(grid.rows * grid.cols);
  for (let r = 0; r < grid.rows; r++) {
    const y = centreIndex(r, height, grid.rows);
    for (let c = 0; c < grid.cols; c++) out[r * grid.cols + c] = labels[y * width + centreIndex(c, width, grid.cols)]!;
  }
  return out;
}

/** One-hot soft labels (patches x `count`). */
export function oneHot(labels: Int32Array, count: number): Float32Array {
  const out = new Float32Array(labels.length * count);
  labels.forEach((l, i) => {
    if (l >= 0 && l < count) out[i * count + l] = 1;
  });
  return out;
}

/**
 * Hard labels from soft ones as the notebook's postprocess: each label's values rescaled to
 * [0, 1] over the frame (min-max; a constant channel becomes 0), then the arg-max per patch
 * (the lower label on ties).
 */
export function hardLabels(probs: Float32Array, count: number): Int32Array {
  const n = probs.length / count;
  const lo = new Float64Array(count).fill(Infinity);
  const hi = new Float64Array(count).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < count; l++) {
      const v = probs[i * count + l]!;
      if (v < lo[l]!) lo[l] = v;
      if (v > hi[l]!) hi[l] = v;
    }
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestValue = -Infinity;
    for (let l = 0; l < count; l++) {
      const span = hi[l]! - lo[l]!;
      const v = span > 0 ? (probs[i * count + l]! - lo[l]!) / span : 0;
      if (v > bestValue) {
        bestValue = v;
        best = l;
      }
    }
    out[i] = best;
  }
  return out;
}

/** Patch labels scaled up to `width` x `height` pixels (nearest, as the notebook's F.interpolate). */
export function labelsToPixels(labels: Int32Array, grid: Grid, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const cols = new Int32Array(width);
  for (let x = 0; x < width; x++) cols[x] = Math.min(grid.cols - 1, Math.floor((x * grid.cols) / width));
  for (let y = 0; y < height; y++) {
    const r = Math.min(grid.rows - 1, Math.floor((y * grid.rows) / height));
    for (let x = 0; x < width; x++) out[y * width + x] = labels[r * grid.cols + cols[x]!]!;
  }
  return out;
}

async function hostPatches(f: Features): Promise<{ data: Float32Array; offset: number }> {
  const host = await f.toHost();
  const store = host.store;
  if (store.location !== 'cpu') throw new DinoError('ERR_DINO_INTERNAL', 'features did not move to the host');
  const v = hostView(store, 1 + host.registerCount, host.patchCount, host.dim);
  return { data: v.data, offset: v.offset };
}

/**
 * The propagation state of one video: the first frame's normalised features and soft labels, and
 * a ring of the last `contextFrames` frames'. {@link LabelPropagator.step} propagates to a new
 * frame and adds it to the ring.
 */
export class LabelPropagator {
  readonly grid: Grid;
  readonly dim: number;
  /** Number of labels (background included). */
  readonly labels: number;
  readonly options: ResolvedPropagation;
  /** Slot 0: the first frame; slots 1..contextFrames: a ring of recent frames. */
  readonly #features: Float32Array;
  readonly #probs: Float32Array;
  #filled = 0;
  #next = 0;
  #started = false;
  #busy = false;

  constructor(grid: Grid, dim: number, labels: number, options: PropagationOptions = {}) {
    this.grid = { rows: integer(grid?.rows, 'grid.rows', 1), cols: integer(grid?.cols, 'grid.cols', 1) };
    this.dim = integer(dim, 'dim', 1);
    this.labels = integer(labels, 'labels', 1, 255);
    this.options = resolvePropagation(options);
    const slots = 1 + this.options.contextFrames;
    const n = this.grid.rows * this.grid.cols;
    this.#features = new Float32Array(slots * n * this.dim);
    this.#probs = new Float32Array(slots * n * this.labels);
  }

  get #patches(): number {
    return this.grid.rows * this.grid.cols;
  }

  #check(f: Features): void {
    if (f.grid.rows !== this.grid.rows || f.grid.cols !== this.grid.cols || f.dim !== this.dim) {
      throw new DinoError(
        'ERR_DINO_SHAPE_MISMATCH',
        `Frame features have grid ${f.grid.rows}x${f.grid.cols} and dim ${f.dim}; the tracker was started on ${this.grid.rows}x${this.grid.cols}, dim ${this.dim}`,
      );
    }
  }

  /** Sets the first frame: its features and soft labels (patches x labels, e.g. {@link oneHot}). */
  async start(first: Features, probs: Float32Array): Promise<void> {
    this.#check(first);
    if (!(probs instanceof Float32Array) || probs.length !== this.#patches * this.labels) invalid('probs', `a Float32Array of ${this.#patches * this.labels} values`, probs);
    const { data, offset } = await hostPatches(first);
    const stack = new Error();
    try {
      const unit = await native().normalizeRows({ data, offset, rows: this.#patches, dim: this.dim, stride: this.dim });
      this.#features.set(unit, 0);
    } catch (err) {
      throw toDinoError(err, 'ERR_DINO_INTERNAL', stack, 'Label propagation failed');
    }
    this.#probs.set(probs, 0);
    this.#filled = 0;
    this.#next = 0;
    this.#started = true;
  }

  /** Soft labels (patches x labels) of a new frame, propagated from the context; the frame joins the context. */
  async step(frame: Features): Promise<Float32Array> {
    if (!this.#started) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', 'LabelPropagator.step before start()');
    if (this.#busy) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', 'LabelPropagator.step while another step runs: await each step (frames are propagated in order)');
    this.#check(frame);
    this.#busy = true;
    try {
      return await this.#step(frame);
    } finally {
      this.#busy = false;
    }
  }

  async #step(frame: Features): Promise<Float32Array> {
    const { data, offset } = await hostPatches(frame);
    const n = this.#patches;
    const o: NativePropagationOptions = {
      rows: this.grid.rows,
      cols: this.grid.cols,
      topk: this.options.topK,
      temperature: this.options.temperature,
      radius: this.options.radius,
      circle: this.options.circle,
    };
    const stack = new Error();
    let result: { features: Float32Array; probs: Float32Array };
    try {
      result = await native().propagateLabels({ data, offset, rows: n, dim: this.dim, stride: this.dim }, this.#features, 1 + this.#filled, this.#probs, this.labels, o);
    } catch (err) {
      throw toDinoError(err, 'ERR_DINO_INTERNAL', stack, 'Label propagation failed');
    }
    if (this.options.contextFrames > 0) {
      const slot = 1 + this.#next;
      this.#features.set(result.features, slot * n * this.dim);
      this.#probs.set(result.probs, slot * n * this.labels);
      this.#next = (this.#next + 1) % this.options.contextFrames;
      this.#filled = Math.min(this.options.contextFrames, this.#filled + 1);
    }
    return result.probs;
  }
}
