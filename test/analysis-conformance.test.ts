/**
 * Similarity and k-means on the reference tokens (../shared/conformance): similarity maps
 * within 1e-5 of sim_center; k-means inertia against scikit-learn's at the same settings.
 */
import { describe, expect, it } from 'vitest';

import { Features } from '../lib';
import { conformanceCases, hasConformance, noteSkip, readF32, type ConformanceCase } from './helpers/shared';

const cases = conformanceCases();
noteSkip('analysis conformance tests');

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

describe.skipIf(!hasConformance)('analysis conformance', () => {
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

  it('k-means with restarts=10 is within 0.5% of scikit-learn best_of_10 on every case', async () => {
    const rows: string[] = [];
    for (const c of cases) {
      const f = patchesOf(c);
      for (const k of [2, 3, 5]) {
        const sk = c.kmeans_inertia_sklearn[String(k)]!.best_of_10;
        const r = await f.kmeans({ k, restarts: 10, seed: 0 });
        rows.push(`${c.tag} k=${k}: ours ${r.inertia.toFixed(2)} sklearn ${sk.toFixed(2)} ratio ${(r.inertia / sk).toFixed(5)}`);
        expect(r.inertia / sk, `${c.tag} k=${k}`).toBeLessThanOrEqual(1.005);
      }
    }
    console.log(rows.join('\n'));
  });

  it('k-means with restarts=1, 50 iterations: median ratio to scikit-learn n_init1_iter50 <= 1.02', async () => {
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
  });
});
