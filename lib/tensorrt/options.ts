/**
 * Options of {@link buildEngine} and the TensorRT backend, with their defaults.
 * @module
 */
import type { SizeLike } from '../util/size';

/**
 * Precision of a TensorRT engine. 'best' climbs a ladder: bf16 (TensorRT 10.x on compute
 * capability 8.0+), then fp16 with LayerNorm and attention pinned to fp32, then fp32, and keeps
 * the first whose outputs on the conformance photo have no NaN/Infinity and a per-token cosine
 * similarity to ONNX Runtime fp32 of at least `minCosine`. 'bf16' needs TensorRT 10 (a clear
 * error on older releases).
 */
export type Precision = 'fp32' | 'fp16' | 'bf16' | 'best';

/** The input sizes an engine accepts: one fixed size, or a range with the size to optimise for. */
export type EngineSizes = SizeLike | { min: SizeLike; opt: SizeLike; max: SizeLike };

/** Progress of an engine build. */
export interface BuildProgress {
  /** 'parse', 'build' (TensorRT's phases), 'check' (accuracy), 'cache' — plus TensorRT's own phase names on 10+. */
  phase: string;
  /** Steps done and total in the current phase (total 0 when unknown). */
  step: number;
  steps: number;
  /** A human-readable line, when there is one. */
  message?: string;
}

/** Options of {@link buildEngine}; every field is optional and says its default. */
export interface BuildEngineOptions {
  /** Default 'best'. */
  precision?: Precision;
  /** Input sizes. Default: the model's fixed size, or 224 fixed. */
  sizes?: EngineSizes;
  /**
   * Images per inference: `N` takes batches of 1 to N, optimised for N (several streams through
   * one model: the number of streams); `{ min, opt, max }` sets the profile exactly. Default 1.
   */
  batch?: number | { min: number; opt: number; max: number };
  /** Builder workspace limit in MiB (set one on Jetson: it shares memory with the CPU). Default 1024. */
  workspaceMiB?: number;
  /** Where engines, sidecars and timing caches live. Default: DINOV3_ENGINE_CACHE, else the package's engines/. */
  cacheDir?: string;
  /** Builder optimisation level 0..5 (TensorRT >= 8.6). Default TensorRT's (3). */
  optimizationLevel?: number;
  /** Minimum per-token cosine similarity to ONNX Runtime fp32 for an engine to pass. Default 0.999. */
  minCosine?: number;
  /** Build even if a valid cached engine exists. Default false. */
  force?: boolean;
  onProgress?: (progress: BuildProgress) => void;
  /** Cancels the build (TensorRT 10+ stops at once; 8.x finishes and discards). */
  signal?: AbortSignal;
}

export const ENGINE_DEFAULTS = {
  precision: 'best' as Precision,
  size: 224,
  batch: 1,
  workspaceMiB: 1024,
  minCosine: 0.999,
} as const;
