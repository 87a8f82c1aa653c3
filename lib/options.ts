/**
 * Options of {@link loadModel} and {@link Model.extract}, with every default in one place.
 * @module
 */
import { KMEANS_DEFAULTS, PCA_DEFAULTS } from './analysis/types';
import type { DecodeOptions } from './image/input';
import type { BuildEngineOptions } from './tensorrt/options';
import type { SizeLike } from './util/size';

/** Which inference backend to use. */
export type BackendChoice = 'auto' | 'onnxruntime' | 'tensorrt';

/** ImageNet normalisation, as DINOv3 was trained with. */
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

/** Options of {@link loadModel}. */
export interface LoadOptions {
  /**
   * Backend: 'onnxruntime' (CPU, everywhere), 'tensorrt' (NVIDIA GPU), or 'auto' (default):
   * TensorRT when this build and machine have it, else ONNX Runtime.
   */
  backend?: BackendChoice;
  /**
   * Default input size for {@link Model.extract}: 224, "320x480" (height x width) or
   * {height, width}; multiples of the patch size. Default: the model's fixed size, else the
   * size in a preprocessor_config.json next to the model, else 224x224.
   */
  size?: SizeLike;
  /** Per-channel mean and std for normalisation. Default ImageNet (or preprocessor_config.json). */
  mean?: readonly [number, number, number];
  std?: readonly [number, number, number];
  /**
   * ONNX Runtime intra-op threads of each session. Default: all cores with one session, the
   * cores divided among the sessions with several.
   */
  threads?: number;
  /**
   * ONNX Runtime sessions of the model, each in its own worker thread, running concurrent
   * calls side by side. Default 1 (lowest latency of one call). For frame pipelines on a CPU
   * with few cores, 2 sessions of 1 thread each give more frames per second than 1 session of
   * 2 threads (docs/BENCHMARKS.md); each session holds its own copy of the weights. Ignored by
   * TensorRT.
   */
  sessions?: number;
  /**
   * ONNX Runtime: whether each session's threads spin (busy-wait) between operators instead of
   * sleeping (`session.intra_op.allow_spinning`). Spinning saves the wake-up of every operator
   * but holds the cores while waiting, which slows whatever else runs (decoding, other
   * sessions). Default false: measured (docs/BENCHMARKS.md, bench/ort-settings.mjs), spinning
   * was at best 6 % faster (a pipeline on an idle machine) and up to several times slower when
   * anything else wanted the cores. Ignored by TensorRT.
   */
  spinning?: boolean;
  /**
   * ONNX Runtime threads running independent graph nodes at once, with
   * `executionMode: 'parallel'`. Default: ONNX Runtime's. Ignored by TensorRT.
   */
  interOpThreads?: number;
  /**
   * ONNX Runtime execution mode: 'sequential' (default; one node at a time, each on the intra-op
   * threads) or 'parallel' (independent nodes at once on the inter-op threads; a ViT's graph is
   * a chain, so this rarely helps). Ignored by TensorRT.
   */
  executionMode?: 'sequential' | 'parallel';
  /** Inference calls allowed to wait for the backend before ERR_DINO_BUSY. Default 64. */
  maxQueue?: number;
  /** Image decoding limits. */
  decode?: DecodeOptions;
  /** TensorRT engine options (precision, sizes, cache directory, progress, ...). */
  tensorrt?: BuildEngineOptions;
}

/** Options of {@link Model.extract}. */
export interface ExtractOptions {
  /** Input size for this call (overrides the model default). */
  size?: SizeLike;
  /** Cancels the call (queued work is dropped; a running inference finishes but is discarded). */
  signal?: AbortSignal;
  /** Image decoding limits. */
  decode?: DecodeOptions;
}

/** Defaults used when an option is not given. */
export const DEFAULTS = {
  size: 224,
  /** ImageNet normalisation, used unless the model's preprocessor_config.json or the options say otherwise. */
  mean: IMAGENET_MEAN,
  std: IMAGENET_STD,
  maxQueue: 64,
  sessions: 1,
  /**
   * ONNX Runtime threads do not spin between operators, for one session and for several.
   * Measured with bench/ort-settings.mjs and bench/extract.mjs (docs/BENCHMARKS.md): spinning
   * off was up to several times faster wherever anything else wanted the cores (a pipeline
   * decoding the next images: -57 %, one session beside other processes: -45 to -77 %), 20 %
   * faster for one session on an idle 2-core machine, and at worst 6 % slower (a pipeline on an
   * idle machine).
   */
  spinning: false,
  backend: 'auto' as BackendChoice,
  /** {@link Features.kmeans}: Lloyd iterations, k-means++ restarts, seed, convergence tolerance. */
  kmeans: KMEANS_DEFAULTS,
  /** {@link Features.pca}: components, power iterations, seed. */
  pca: PCA_DEFAULTS,
} as const;
