/**
 * Patch similarity: resolves targets into query vectors and runs the cosine-similarity kernel
 * where the features lie.
 * Internal: not part of the public API.
 * @module
 */
import { native } from '../binding';
import { DinoError, toDinoError } from '../errors';
import { invalid, isObject } from '../validate';
import { onPatches } from './dispatch';
import { deviceView, hostView, type PatchTokens } from './token-view';
import type { Heatmap, PatchIndex, PixelPoint } from './types';

/** A similarity query as the kernels take it ({@link SimilarityTarget} with any {@link PatchTokens}). */
export type PatchQuery = PatchIndex | PixelPoint | Float32Array | { features: PatchTokens; row: number; col: number };

interface Query {
  patch: PatchIndex | undefined;
  /** Patch index of these features whose token is the query (device-side lookup), or a vector. */
  source: { index: number; of: PatchTokens } | Float32Array;
}

function resolve(features: PatchTokens, target: PatchQuery): Query {
  if (target instanceof Float32Array) {
    if (target.length !== features.dim) {
      throw new DinoError(
        'ERR_DINO_SHAPE_MISMATCH',
        `Similarity target vector has ${target.length} values but the features have dim ${features.dim}`,
      );
    }
    return { patch: undefined, source: target };
  }
  if (!isObject(target)) return invalid('target', '{row, col}, {x, y}, a Float32Array or {features, row, col}', target);
  const t = target as Record<string, unknown>;
  if (t.features !== undefined) {
    const other = t.features as PatchTokens;
    if (other.dim !== features.dim) {
      throw new DinoError('ERR_DINO_SHAPE_MISMATCH', `Target features have dim ${other.dim}, these have dim ${features.dim}`);
    }
    const p = { row: t.row as number, col: t.col as number };
    return { patch: undefined, source: { index: other.patchIndexOf(p), of: other } };
  }
  if (t.row !== undefined || t.col !== undefined) {
    const p = { row: t.row as number, col: t.col as number };
    return { patch: p, source: { index: features.patchIndexOf(p), of: features } };
  }
  if (t.x !== undefined || t.y !== undefined) {
    const p = features.patchAt({ x: t.x as number, y: t.y as number } satisfies PixelPoint);
    return { patch: p, source: { index: features.patchIndexOf(p), of: features } };
  }
  return invalid('target', '{row, col}, {x, y}, a Float32Array or {features, row, col}', target);
}

async function queryVector(q: Query): Promise<Float32Array> {
  if (q.source instanceof Float32Array) return q.source;
  const { index, of } = q.source;
  const store = of.store;
  const first = 1 + of.registerCount + index;
  if (store.location === 'cpu') {
    const v = hostView(store, first, 1, of.dim);
    return v.data.slice(v.offset, v.offset + of.dim);
  }
  const stack = new Error();
  return native()
    .cudaDownloadMatrix(deviceView(store, first, 1, of.dim))
    .catch((err: unknown) => {
      throw toDinoError(err, 'ERR_DINO_CUDA', stack, 'Reading the target patch failed');
    });
}

function heatmap(features: PatchTokens, values: Float32Array, patch: PatchIndex | undefined): Heatmap {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { grid: { ...features.grid }, values, target: patch, min, max };
}

export async function runSimilarity(features: PatchTokens, targets: readonly PatchQuery[]): Promise<Heatmap[]> {
  if (targets.length === 0) invalid('targets', 'at least one target', targets);
  const queries = targets.map((t) => resolve(features, t));
  const vectors = await Promise.all(queries.map(queryVector));
  const packed = new Float32Array(vectors.length * features.dim);
  vectors.forEach((v, i) => packed.set(v, i * features.dim));
  const out = await onPatches(features, 'Similarity', {
    cpu: (view) => native().similarity(view, packed, vectors.length),
    cuda: (view) => native().cudaSimilarity(view, packed, vectors.length),
  });
  const n = features.patchCount;
  return queries.map((q, i) => heatmap(features, out.subarray(i * n, (i + 1) * n), q.patch));
}
