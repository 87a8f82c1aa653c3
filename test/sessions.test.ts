/**
 * ONNX Runtime sessions side by side (`sessions`): the same features as one session, runs that
 * really overlap, options checked, and dispose waiting for the runs on every session.
 */
import { describe, expect, it } from 'vitest';

import { loadModel } from '../lib';
import { rejected } from './helpers/errors';
import { gradientPng } from './helpers/images';
import { tinyModel } from './helpers/models';

const model = (): string => tinyModel({ dim: 64, heads: 4, registers: 4, depth: 4 });

describe('sessions', () => {
  it('gives the features of a single session and runs calls concurrently', async () => {
    const images = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => gradientPng(200 + 16 * i, 150)));
    await using one = await loadModel(model(), { sessions: 1, threads: 1 });
    await using two = await loadModel(model(), { sessions: 2, threads: 1 });
    expect(one.concurrency).toBe(1);
    expect(two.concurrency).toBe(2);
    const size = 448;
    const reference = await Promise.all(images.map((img) => one.extract(img, { size })));
    const start = performance.now();
    const both = await Promise.all(images.map((img) => two.extract(img, { size })));
    const wall = performance.now() - start;
    both.forEach((f, i) => {
      const r = reference[i]!;
      let max = 0;
      for (let j = 0; j < f.patches.length; j++) max = Math.max(max, Math.abs(f.patches[j]! - r.patches[j]!));
      expect(max).toBeLessThan(1e-5);
    });
    // One session runs one call at a time, so its run times add up to less than the wall time;
    // two sessions overlap theirs.
    const busy = both.reduce((s, f) => s + f.timings.inferenceMs, 0);
    expect(busy).toBeGreaterThan(1.2 * wall);
  });

  it('checks the option', async () => {
    for (const sessions of [0, 1.5, 65]) {
      expect((await rejected(loadModel(model(), { sessions }))).code).toBe('ERR_DINO_INVALID_ARGUMENT');
    }
    expect((await rejected(loadModel(model(), { threads: 0 }))).message).toMatch(/threads/);
  });

  it('dispose waits for the runs on every session, then refuses new calls', async () => {
    const m = await loadModel(model(), { sessions: 2, threads: 1 });
    const image = await gradientPng(320, 240);
    const calls = [0, 1, 2, 3].map(() => m.extract(image, { size: 448 }));
    await m.dispose();
    for (const f of await Promise.all(calls)) expect(f.grid).toEqual({ rows: 28, cols: 28 });
    expect((await rejected(m.extract(image))).code).toBe('ERR_DINO_DISPOSED');
  });
});
