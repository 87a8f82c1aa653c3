/**
 * Dense correspondence between two images: cosine similarity of every patch of one image to
 * every patch of the other, nearest neighbours both ways, mutual pairs kept. The kernel is
 * native/core/correspondence.h (blocked, multithreaded) for host features and
 * native/cuda/correspondence.cu for two sets of device features.
 * @module
 */
import { native, type NativeMatrixView, type NativeNeighbours } from '../binding';
import { DinoError, toDinoError } from '../errors';
import type { Features } from '../features';
import { boolean, integer, invalid, isObject, number } from '../validate';
import { deviceView, hostView } from './token-view';
import type { Grid, PatchIndex } from './types';

/** Options of {@link matchPatches}. */
export interface MatchOptions {
  /**
   * Keep only pairs that choose each other: `b` is among the `topK` nearest patches of `a` and
   * `a` among the `topK` nearest of `b` (with topK 1: mutual nearest neighbours). False: every
   * patch of `a` with its `topK` nearest patches of `b`. Default true.
   */
  mutual?: boolean;
  /** Neighbours considered per patch, 1 to 16. Default 1. */
  topK?: number;
  /** Pairs below this cosine similarity are dropped. Default -1 (none). */
  minSimilarity?: number;
  /** At most this many pairs (the most similar). Default: all. */
  maxMatches?: number;
}

/** A matched pair of patches: one of image `a`, one of image `b`. */
export interface PatchMatch {
  a: PatchIndex;
  b: PatchIndex;
  /** Cosine similarity of the two patch tokens, in [-1, 1]. */
  similarity: number;
}

/** The result of {@link matchPatches}: the pairs, most similar first, and both grids. */
export interface PatchMatches {
  gridA: Grid;
  gridB: Grid;
  pairs: PatchMatch[];
}

interface Resolved {
  mutual: boolean;
  topK: number;
  minSimilarity: number;
  maxMatches: number;
}

function resolveOptions(options: MatchOptions, a: Features, b: Features): Resolved {
  if (!isObject(options)) invalid('match options', 'an object', options);
  const topK = integer(options.topK ?? 1, 'topK', 1, 16);
  if (topK > a.patchCount || topK > b.patchCount) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `topK = ${topK} is larger than the number of patches of an image`);
  }
  return {
    mutual: boolean(options.mutual ?? true, 'mutual'),
    topK,
    minSimilarity: number(options.minSimilarity ?? -1, 'minSimilarity', -1, 1),
    maxMatches: options.maxMatches === undefined ? Infinity : integer(options.maxMatches, 'maxMatches', 0),
  };
}

async function hostPatches(f: Features): Promise<NativeMatrixView> {
  const host = await f.toHost();
  const store = host.store;
  if (store.location !== 'cpu') throw new DinoError('ERR_DINO_INTERNAL', 'features did not move to the host');
  return hostView(store, 1 + host.registerCount, host.patchCount, host.dim);
}

async function neighbours(a: Features, b: Features, k: number): Promise<{ aToB: NativeNeighbours; bToA: NativeNeighbours }> {
  const binding = native();
  const sa = a.store;
  const sb = b.store;
  if (sa.location === 'cuda' && sb.location === 'cuda' && binding.cudaNearestNeighbours) {
    return binding.cudaNearestNeighbours(
      deviceView(sa, 1 + a.registerCount, a.patchCount, a.dim),
      deviceView(sb, 1 + b.registerCount, b.patchCount, b.dim),
      k,
    );
  }
  return binding.nearestNeighbours(await hostPatches(a), await hostPatches(b), k);
}

/** Pairs from both neighbour lists: the selection rule of {@link MatchOptions}. */
export function selectPairs(aToB: NativeNeighbours, bToA: NativeNeighbours, gridA: Grid, gridB: Grid, o: Resolved): PatchMatch[] {
  const k = aToB.k;
  const rowsA = aToB.index.length / k;
  const found: { i: number; j: number; s: number }[] = [];
  for (let i = 0; i < rowsA; i++) {
    for (let l = 0; l < o.topK; l++) {
      const j = aToB.index[i * k + l]!;
      const s = aToB.similarity[i * k + l]!;
      if (j < 0 || s < o.minSimilarity) continue;
      if (o.mutual) {
        let back = false;
        for (let m = 0; m < o.topK && !back; m++) back = bToA.index[j * k + m] === i;
        if (!back) continue;
      }
      found.push({ i, j, s });
    }
  }
  found.sort((x, y) => y.s - x.s || x.i - y.i || x.j - y.j);
  const kept = found.length > o.maxMatches ? found.slice(0, o.maxMatches) : found;
  return kept.map(({ i, j, s }) => ({
    a: { row: Math.floor(i / gridA.cols), col: i % gridA.cols },
    b: { row: Math.floor(j / gridB.cols), col: j % gridB.cols },
    similarity: s,
  }));
}

/**
 * Patch correspondences between two images: the cosine similarity of every patch of `a` to
 * every patch of `b`, the nearest neighbours each way, and (by default) the mutual pairs, most
 * similar first. Both feature sets must come from the same model (same `dim`); their grids may
 * differ. Runs on the CUDA kernel when both lie in GPU memory, else on the CPU kernel.
 *
 * @example
 * ```ts
 * const fa = await model.extract('a.jpg');
 * const fb = await model.extract('b.jpg');
 * const { pairs } = await matchPatches(fa, fb, { maxMatches: 50 });
 * ```
 */
export async function matchPatches(a: Features, b: Features, options: MatchOptions = {}): Promise<PatchMatches> {
  if (a?.grid === undefined || b?.grid === undefined) invalid('features', 'two Features objects', a?.grid ? b : a);
  if (a.dim !== b.dim) {
    throw new DinoError('ERR_DINO_SHAPE_MISMATCH', `Features a have dim ${a.dim}, features b have dim ${b.dim}; match features of one model`);
  }
  const o = resolveOptions(options, a, b);
  const stack = new Error();
  let result: { aToB: NativeNeighbours; bToA: NativeNeighbours };
  try {
    result = await neighbours(a, b, o.topK);
  } catch (err) {
    throw toDinoError(err, 'ERR_DINO_INTERNAL', stack, 'Matching patches failed');
  }
  return { gridA: { ...a.grid }, gridB: { ...b.grid }, pairs: selectPairs(result.aToB, result.bToA, a.grid, b.grid, o) };
}
