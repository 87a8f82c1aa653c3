/**
 * matchPatches against a double-precision reference: all-pairs cosine similarity computed here in
 * float64, nearest neighbours both ways, mutual pairs; on seeded random features, on the
 * conformance tokens (two different images of the tiny model), and the options' semantics.
 */
import { describe, expect, it } from 'vitest';

import { Features, matchPatches } from '../../lib';
import { conformanceCases, readF32 } from '../helpers/shared';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function randomFeatures(rows: number, cols: number, dim: number, seed: number): Features {
  const next = seeded(seed);
  const data = new Float32Array(rows * cols * dim);
  for (let i = 0; i < data.length; i++) data[i] = next();
  return Features.fromPatches(data, { rows, cols }, dim);
}

/** sim[i][j] in float64 and each row's best column (first maximum). */
function reference(a: Float32Array, b: Float32Array, dim: number): { sim: Float64Array; na: number; nb: number } {
  const na = a.length / dim;
  const nb = b.length / dim;
  const norm = (x: Float32Array, i: number): number => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += x[i * dim + d]! * x[i * dim + d]!;
    return Math.sqrt(s);
  };
  const sim = new Float64Array(na * nb);
  for (let i = 0; i < na; i++) {
    const ni = norm(a, i);
    for (let j = 0; j < nb; j++) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += a[i * dim + d]! * b[j * dim + d]!;
      const n = ni * norm(b, j);
      sim[i * nb + j] = n > 0 ? dot / n : 0;
    }
  }
  return { sim, na, nb };
}

function mutualPairs(ref: { sim: Float64Array; na: number; nb: number }): Map<number, { j: number; s: number }> {
  const { sim, na, nb } = ref;
  const bestB = new Int32Array(na);
  const bestA = new Int32Array(nb);
  for (let i = 0; i < na; i++) for (let j = 1; j < nb; j++) if (sim[i * nb + j]! > sim[i * nb + bestB[i]!]!) bestB[i] = j;
  for (let j = 0; j < nb; j++) for (let i = 1; i < na; i++) if (sim[i * nb + j]! > sim[bestA[j]! * nb + j]!) bestA[j] = i;
  const out = new Map<number, { j: number; s: number }>();
  for (let i = 0; i < na; i++) if (bestA[bestB[i]!] === i) out.set(i, { j: bestB[i]!, s: sim[i * nb + bestB[i]!]! });
  return out;
}

function expectMutual(result: Awaited<ReturnType<typeof matchPatches>>, ref: ReturnType<typeof reference>, colsA: number, colsB: number): void {
  const expected = mutualPairs(ref);
  expect(result.pairs.length).toBe(expected.size);
  expect(expected.size).toBeGreaterThan(0);
  for (const p of result.pairs) {
    const i = p.a.row * colsA + p.a.col;
    const e = expected.get(i);
    expect(e, `patch ${i} of a is not in a mutual pair`).toBeDefined();
    expect(p.b.row * colsB + p.b.col).toBe(e!.j);
    expect(Math.abs(p.similarity - e!.s)).toBeLessThan(1e-6);
  }
  for (let n = 1; n < result.pairs.length; n++) expect(result.pairs[n]!.similarity).toBeLessThanOrEqual(result.pairs[n - 1]!.similarity);
}

describe('matchPatches', () => {
  it('mutual nearest neighbours equal a float64 reference on random features (grids of different shapes)', async () => {
    const a = randomFeatures(9, 13, 40, 1);
    const b = randomFeatures(17, 11, 40, 2);
    const result = await matchPatches(a, b);
    expect(result.gridA).toEqual({ rows: 9, cols: 13 });
    expect(result.gridB).toEqual({ rows: 17, cols: 11 });
    expectMutual(result, reference(a.patches, b.patches, 40), 13, 11);
  });

  it('mutual nearest neighbours on the conformance tokens of two different images', async () => {
    const cases = conformanceCases();
    expect(cases.length).toBeGreaterThanOrEqual(2);
    const [ca, cb] = [cases[0]!, cases[1]!];
    const patches = (c: (typeof cases)[number]): Float32Array => readF32(c, 'last_hidden_state.f32').slice((1 + c.registers) * c.dim);
    const pa = patches(ca);
    const pb = patches(cb);
    const a = Features.fromPatches(pa, { rows: ca.grid[0], cols: ca.grid[1] }, ca.dim);
    const b = Features.fromPatches(pb, { rows: cb.grid[0], cols: cb.grid[1] }, cb.dim);
    expectMutual(await matchPatches(a, b), reference(pa, pb, ca.dim), ca.grid[1], cb.grid[1]);
  });

  it('an image matched with a shifted copy of itself finds the shift', async () => {
    const a = randomFeatures(8, 10, 24, 7);
    const rows = 8;
    const cols = 10;
    const dim = 24;
    // b = a shifted right by 3 columns (the first 3 columns of b are new patches).
    const next = seeded(99);
    const data = new Float32Array(rows * cols * dim);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        for (let d = 0; d < dim; d++) data[(r * cols + c) * dim + d] = c >= 3 ? a.patches[(r * cols + c - 3) * dim + d]! : next();
      }
    }
    const b = Features.fromPatches(data, { rows, cols }, dim);
    const { pairs } = await matchPatches(a, b, { minSimilarity: 0.999 });
    expect(pairs.length).toBe(rows * (cols - 3));
    for (const p of pairs) expect([p.b.row, p.b.col]).toEqual([p.a.row, p.a.col + 3]);
  });

  it('options: non-mutual gives every patch of a, topK widens, maxMatches and minSimilarity cut', async () => {
    const a = randomFeatures(6, 7, 16, 3);
    const b = randomFeatures(5, 9, 16, 4);
    const ref = reference(a.patches, b.patches, 16);
    const all = await matchPatches(a, b, { mutual: false });
    expect(all.pairs.length).toBe(42);
    for (const p of all.pairs) {
      const i = p.a.row * 7 + p.a.col;
      let best = -Infinity;
      for (let j = 0; j < 45; j++) best = Math.max(best, ref.sim[i * 45 + j]!);
      expect(Math.abs(p.similarity - best)).toBeLessThan(1e-6);
    }
    const three = await matchPatches(a, b, { mutual: false, topK: 3 });
    expect(three.pairs.length).toBe(126);
    const mutual1 = await matchPatches(a, b);
    const mutual3 = await matchPatches(a, b, { topK: 3 });
    expect(mutual3.pairs.length).toBeGreaterThan(mutual1.pairs.length);
    const top2 = await matchPatches(a, b, { maxMatches: 2 });
    expect(top2.pairs).toEqual(mutual1.pairs.slice(0, 2));
    const cut = 0.3;
    const high = await matchPatches(a, b, { mutual: false, minSimilarity: cut });
    expect(high.pairs.length).toBe(all.pairs.filter((p) => p.similarity >= cut).length);
  });

  it('rejects features of different dims and bad options with coded errors', async () => {
    const a = randomFeatures(3, 3, 8, 1);
    await expect(matchPatches(a, randomFeatures(3, 3, 9, 2))).rejects.toMatchObject({ code: 'ERR_DINO_SHAPE_MISMATCH' });
    await expect(matchPatches(a, a, { topK: 0 })).rejects.toMatchObject({ code: 'ERR_DINO_INVALID_ARGUMENT' });
    await expect(matchPatches(a, a, { topK: 10 })).rejects.toMatchObject({ code: 'ERR_DINO_INVALID_ARGUMENT' });
    await expect(matchPatches(a, a, { minSimilarity: 2 })).rejects.toMatchObject({ code: 'ERR_DINO_INVALID_ARGUMENT' });
  });
});
