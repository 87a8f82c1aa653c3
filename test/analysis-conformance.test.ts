/**
 * Similarity and k-means on the reference tokens (test/fixtures/conformance): similarity maps
 * within 1e-5 of sim_center; k-means inertia against scikit-learn's at the same settings, and
 * our labels against scikit-learn's (adjusted Rand index).
 */
import { describe, expect, it } from 'vitest';

import { Features } from '../lib';
import { adjustedRandIndex } from './helpers/math';
import { conformanceCases, readF32, readI32, type ConformanceCase } from './helpers/shared';

const cases = conformanceCases();

function patchesOf(c: ConformanceCase): Features {
  const tokens = readF32(c, 'last_hidden_state.f32');
  const first = (1 + c.registers) * c.dim;
  return Features.fromPatches(tokens.slice(first), { rows: c.grid[0], cols: c.grid[1] }, c.dim);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

describe('analysis conformance', () => {
  it.each(cases.map((c) => [c.tag, c] as const))('%s: similarity to the centre patch within 1e-5 of the reference', async (_t, c) => {
    const f = patchesOf(c);
    const ref = readF32(c, 'sim_center.f32');
    const centre = { row: Math.floor(c.grid[0] / 2), col: Math.floor(c.grid[1] / 2) };
    const map = await f.similarity(centre);
    expect(map.target).toEqual(centre);
    expect(map.values.length).toBe(ref.length);
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs((map.values[i] as number) - (ref[i] as number)));
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  it('k-means with restarts=10: inertia within 0.5% of scikit-learn best_of_10, labels agree (ARI)', async () => {
    const rows: string[] = [];
    const aris: number[] = [];
    const sameOptimumAris: number[] = [];
    for (const c of cases) {
      const f = patchesOf(c);
      for (const k of [2, 3, 5]) {
        const sk = c.kmeans_inertia_sklearn[String(k)]!.best_of_10;
        const r = await f.kmeans({ k, restarts: 10, seed: 0 });
        const ari = adjustedRandIndex(r.labels, readI32(c, `kmeans${k}_labels.i32`));
        aris.push(ari);
        // Inertia within 0.1% of scikit-learn's: the same optimum, so the same partition up to
        // boundary patches. Otherwise ours must be the lower (a different, better optimum).
        if (Math.abs(r.inertia / sk - 1) <= 1e-3) sameOptimumAris.push(ari);
        else expect(r.inertia, `${c.tag} k=${k}: a different optimum must be a better one`).toBeLessThan(sk);
        rows.push(`${c.tag} k=${k}: ours ${r.inertia.toFixed(2)} sklearn ${sk.toFixed(2)} ratio ${(r.inertia / sk).toFixed(5)} ARI ${ari.toFixed(4)}`);
        expect(r.inertia / sk, `${c.tag} k=${k}`).toBeLessThanOrEqual(1.005);
      }
    }
    console.log(`${rows.join('\n')}\nARI against scikit-learn's labels: median ${median(aris).toFixed(4)}, min ${Math.min(...aris).toFixed(4)}; ` +
      `min ${Math.min(...sameOptimumAris).toFixed(4)} over the ${sameOptimumAris.length} of ${aris.length} runs at the same optimum`);
    // Measured: median 1.0000; min 0.8646 at the same optimum; 0.449 where ours is 0.8% lower.
    expect(median(aris)).toBeGreaterThanOrEqual(0.99);
    expect(Math.min(...sameOptimumAris)).toBeGreaterThanOrEqual(0.85);
    expect(sameOptimumAris.length).toBeGreaterThanOrEqual(aris.length - 2);
  });

  it('k-means with restarts=1, 50 iterations: ratio to scikit-learn n_init1_iter50, median <= 1.02 and worst bounded', async () => {
    const ratios: number[] = [];
    for (const c of cases) {
      const f = patchesOf(c);
      for (const k of [2, 3, 5]) {
        const r = await f.kmeans({ k, restarts: 1, iterations: 50, seed: 0 });
        ratios.push(r.inertia / c.kmeans_inertia_sklearn[String(k)]!.n_init1_iter50);
      }
    }
    console.log(`restarts=1 ratios: median ${median(ratios).toFixed(5)}, max ${Math.max(...ratios).toFixed(5)}`);
    expect(median(ratios)).toBeLessThanOrEqual(1.02);
    expect(Math.max(...ratios)).toBeLessThanOrEqual(1.03); // measured 1.0236
  });
});
