/** ClusterTracker: warm starts keep numbering, from-scratch runs are matched back to it. */
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ClusterTracker, Features, loadModel, type Model } from '../../lib';
import { tempDir, testImage, tinyModel } from '../video/fixtures';

/** A permutation p with p[a[i]] = b[i] for all i, if one exists (same partition, other numbers). */
function relabelling(a: Int32Array, b: Int32Array, k: number): number[] | undefined {
  const p = new Array<number>(k).fill(-1);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    if (p[x] === -1) p[x] = b[i]!;
    else if (p[x] !== b[i]) return undefined;
  }
  return new Set(p).size === k ? p : undefined;
}

describe('ClusterTracker', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let model: Model;
  let features: Features;
  beforeAll(async () => {
    tmp = await tempDir('tracker');
    model = await loadModel(await tinyModel(tmp.dir));
    features = await model.extract(await testImage(join(tmp.dir, 'photo.png'), 160, 128), { size: { height: 128, width: 160 } });
  });
  afterAll(async () => {
    await model?.dispose();
    await tmp?.cleanup();
  });

  it('matches a from-scratch re-clustering back to the previous numbering (Hungarian on centroids)', async () => {
    // Frame 2 holds the same patch tokens as frame 1 in reverse order: k-means++ then finds the
    // same partition but numbers it differently. Matching must give every token its old label.
    const k = 4;
    const n = features.patchCount;
    const dim = features.dim;
    const reversed = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) reversed.set(features.patches.subarray(i * dim, (i + 1) * dim), (n - 1 - i) * dim);
    const frame2 = Features.fromPatches(reversed, features.grid, dim);
    const raw1 = await features.kmeans({ k, seed: 0, restarts: 4 });
    const raw2 = await frame2.kmeans({ k, seed: 0, restarts: 4 });
    const raw2Back = Int32Array.from({ length: n }, (_, i) => raw2.labels[n - 1 - i]!);
    const p = relabelling(raw1.labels, raw2Back, k);
    expect([...(p ?? [])].sort()).toEqual([0, 1, 2, 3]); // same partition (a one-to-one renumbering) ...
    expect(p).not.toEqual([0, 1, 2, 3]); // ... under other numbers
    const tracker = new ClusterTracker({ k, restarts: 4, refreshEvery: 1 });
    const first = await tracker.update(features);
    expect(first.reset).toBe('first');
    expect([...first.labels]).toEqual([...raw1.labels]);
    const second = await tracker.update(frame2);
    expect(second.reset).toBe('refresh');
    expect(Array.from({ length: n }, (_, i) => second.labels[n - 1 - i])).toEqual([...raw1.labels]);
    // centroids are renumbered with the labels
    for (let c = 0; c < k; c++) {
      for (let d = 0; d < dim; d += 9) expect(second.centroids[c * dim + d]).toBeCloseTo(raw1.centroids[c * dim + d]!, 4);
    }
    // without matching (the tutorial), the second frame keeps k-means' own numbering
    const unstable = new ClusterTracker({ k, restarts: 4, stable: false });
    await unstable.update(features);
    expect([...(await unstable.update(frame2)).labels]).toEqual([...raw2.labels]);
  });

  it('warm starts keep the labels of an unchanged frame', async () => {
    const tracker = new ClusterTracker({ k: 5 });
    const first = await tracker.update(features);
    for (let i = 0; i < 3; i++) {
      const next = await tracker.update(features);
      expect(next.reset).toBeUndefined();
      expect([...next.labels]).toEqual([...first.labels]);
    }
  });

  it('validates its options', () => {
    expect(() => new ClusterTracker({ k: 0 })).toThrow(expect.objectContaining({ code: 'ERR_DINO_INVALID_ARGUMENT' }));
    expect(() => new ClusterTracker({ k: 3, sceneCut: 0.5 })).toThrow(expect.objectContaining({ code: 'ERR_DINO_INVALID_ARGUMENT' }));
  });
});
