/**
 * extract() of several images on ONNX Runtime: images to decode run one by one, pipelined (the
 * next images decoded and preprocessed while one is inferred) with the features of one-by-one
 * calls, in order; raw pixels keep one batched inference; a bad image fails the call without
 * leaving work behind; an abort stops it.
 */
import { describe, expect, it } from 'vitest';

import { loadModel, type Features } from '../lib';
import { decodeImage } from '../lib/image/input';
import { pipelined } from '../lib/model/pipelined';
import { rejected } from './helpers/errors';
import { gradientPng } from './helpers/images';
import { tinyModel } from './helpers/models';

const model = (): string => tinyModel({ dim: 64, heads: 4, registers: 4, depth: 2 });

function worstDiff(a: Features, b: Features): number {
  let worst = 0;
  for (let i = 0; i < a.patches.length; i++) worst = Math.max(worst, Math.abs(a.patches[i]! - b.patches[i]!));
  return worst;
}

describe('extract() of several images', () => {
  it('gives, in order, the features of one-by-one calls, each image with its own timings', async () => {
    await using m = await loadModel(model(), { threads: 1 });
    const images = await Promise.all([0, 1, 2, 3, 4].map((i) => gradientPng(300 + 40 * i, 200 + 10 * i)));
    const batch = await m.extract(images, { size: 224 });
    expect(batch).toHaveLength(images.length);
    for (let i = 0; i < images.length; i++) {
      const single = await m.extract(images[i]!, { size: 224 });
      expect(batch[i]!.imageSize).toEqual(single.imageSize);
      expect(worstDiff(batch[i]!, single)).toBeLessThan(1e-5);
      expect(batch[i]!.timings.decodeMs).toBeGreaterThan(0);
      expect(batch[i]!.timings.inferenceMs).toBeGreaterThan(0);
    }
  });

  it('runs each image as its own inference, stages overlapping: the images spend more time in them than the call takes', async () => {
    await using m = await loadModel(model(), { threads: 1 });
    const images = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => gradientPng(1600 + 8 * i, 1200)));
    await m.extract(images[0]!, { size: 224 }); // warm-up
    const batch = await m.extract(images, { size: 224 });
    // One inference per image: results finish one after another (a batch finishes all at once).
    const totals = batch.map((f) => f.timings.totalMs);
    for (let i = 1; i < totals.length; i++) expect(totals[i]!).toBeGreaterThan(totals[i - 1]!);
    const wall = totals.at(-1)!;
    const busy = batch.reduce((s, f) => s + f.timings.decodeMs + f.timings.preprocessMs + f.timings.inferenceMs, 0);
    expect(busy).toBeGreaterThan(1.2 * wall);
  });

  it('raw pixels keep one batched inference', async () => {
    await using m = await loadModel(model(), { threads: 1 });
    const raws = await Promise.all([0, 1, 2].map(async (i) => decodeImage(await gradientPng(240 + 20 * i, 180))));
    const batch = await m.extract(raws, { size: 224 });
    expect(new Set(batch.map((f) => f.timings.inferenceMs)).size).toBe(1);
    expect(batch.every((f) => f.timings.decodeMs === 0)).toBe(true);
  });

  it('never queues inferences: runs with maxQueue 0 on one session', async () => {
    await using m = await loadModel(model(), { threads: 1, maxQueue: 0 });
    const images = await Promise.all([0, 1, 2, 3].map((i) => gradientPng(400 + i, 300)));
    expect(await m.extract(images, { size: 224 })).toHaveLength(4);
  });

  it('a bad image fails the call and the model goes on', async () => {
    await using m = await loadModel(model(), { threads: 1 });
    const good = await gradientPng(300, 200);
    const err = await rejected(m.extract([good, good, Buffer.from('not an image'), good, good], { size: 224 }));
    expect(err.code).toBe('ERR_DINO_INVALID_IMAGE');
    expect((await m.extract([good, good], { size: 224 })).length).toBe(2);
  });

  it('an aborted call rejects with ERR_DINO_ABORTED', async () => {
    await using m = await loadModel(model(), { threads: 1 });
    const images = await Promise.all([0, 1, 2, 3].map((i) => gradientPng(800 + i, 600)));
    const controller = new AbortController();
    const call = m.extract(images, { size: 224, signal: controller.signal });
    controller.abort();
    expect((await rejected(call)).code).toBe('ERR_DINO_ABORTED');
  });
});

describe('pipelined()', () => {
  it('keeps order, bounds the work in flight and overlaps preparation with inference', async () => {
    const events: string[] = [];
    let preparing = 0;
    let inferring = 0;
    let maxAhead = 0;
    let maxInferring = 0;
    let overlapped = false;
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    const out = await pipelined(
      8,
      { ahead: 2, inferring: 1 },
      async (i) => {
        preparing++;
        if (inferring > 0) overlapped = true;
        await sleep(5 + ((i * 7) % 5));
        preparing--;
        events.push(`p${i}`);
        return i * 10;
      },
      async (v, i) => {
        inferring++;
        maxInferring = Math.max(maxInferring, inferring);
        maxAhead = Math.max(maxAhead, inferring + preparing);
        await sleep(8);
        inferring--;
        events.push(`i${i}`);
        return v + 1;
      },
    );
    expect(out).toEqual([1, 11, 21, 31, 41, 51, 61, 71]);
    expect(overlapped).toBe(true);
    expect(maxAhead).toBeLessThanOrEqual(3);
    expect(maxInferring).toBe(1);
    expect(events.filter((e) => e.startsWith('i'))).toEqual(['i0', 'i1', 'i2', 'i3', 'i4', 'i5', 'i6', 'i7']);
  });

  it('rejects with the first failure after everything started has settled', async () => {
    let settled = 0;
    const failing = pipelined(
      6,
      { ahead: 2, inferring: 1 },
      async (i) => {
        await new Promise((r) => setTimeout(r, 2));
        settled++;
        if (i === 2) throw new Error('prepare 2 failed');
        return i;
      },
      async (v) => {
        await new Promise((r) => setTimeout(r, 3));
        return v;
      },
    );
    await expect(failing).rejects.toThrow('prepare 2 failed');
    const started = settled;
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(started); // nothing still running after the rejection
  });
});
