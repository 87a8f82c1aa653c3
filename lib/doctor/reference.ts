/**
 * The reference data the doctor checks against: the conformance subset shipped in the package
 * (or a folder laid out the same way, `--conformance DIR`), read and size-checked once.
 * @module
 */
import { readFile } from 'node:fs/promises';

import { BUNDLED_CASE, bundledPaths, type BundledPaths } from '../conformance/bundled';
import { DinoError } from '../errors';
import { compareRows } from '../tensorrt/accuracy';

export interface Reference {
  paths: BundledPaths;
  case: typeof BUNDLED_CASE;
  /** The exact preprocessed input [1, 3, h, w]. */
  input: Float32Array;
  /** The reference implementation's last_hidden_state [1, tokens, dim]. */
  tokens: Float32Array;
}

async function readF32(path: string, values: number, what: string): Promise<Float32Array> {
  let b: Buffer;
  try {
    b = await readFile(path);
  } catch (err) {
    throw new DinoError('ERR_DINO_FILE_NOT_FOUND', `The ${what} ${path} is missing: ${(err as Error).message}`, { cause: err });
  }
  if (b.length !== values * 4) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `The ${what} ${path} holds ${b.length} bytes; expected ${values * 4}`);
  }
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

/** Reads the reference case under `root` (default: the package's shipped subset). */
export async function readReference(root?: string): Promise<Reference> {
  const paths = bundledPaths(root);
  const c = BUNDLED_CASE;
  const input = await readF32(paths.input, 3 * c.h * c.w, 'reference input');
  const tokens = await readF32(paths.reference, c.tokens * c.dim, 'reference tokens');
  return { paths, case: c, input, tokens };
}

/** Largest absolute difference, and the minimum/mean per-token cosine (rows of `dim`). */
export function compareTokens(got: Float32Array, ref: Float32Array, dim: number): { maxAbsDiff: number; minCosine: number; meanCosine: number; nonFinite: number } {
  if (got.length !== ref.length) throw new DinoError('ERR_DINO_SHAPE_MISMATCH', `got ${got.length} values; the reference has ${ref.length}`);
  const r = compareRows(got, ref, dim);
  // A reference holding NaN (a corrupt file) must fail every bar, never pass one.
  const refBroken = ref.some((v) => !Number.isFinite(v));
  return { maxAbsDiff: refBroken ? Number.NaN : r.maxAbsDiff, minCosine: refBroken ? Number.NaN : r.min, meanCosine: r.sum / r.rows, nonFinite: r.nonFinite };
}
