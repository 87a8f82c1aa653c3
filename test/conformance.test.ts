/**
 * Conformance with the DINOv3 reference implementation (test/fixtures/conformance): exact input
 * tensors reproduce the reference tokens (max abs <= 1e-5), and the project's own preprocessing
 * of the PNGs reproduces the reference input tensors bit for bit (0 levels) and the tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, type Model } from '../lib';
import { native } from '../lib/binding';
import { decodeImage, nativeFormat } from '../lib/image/input';
import { conformanceCases, conformanceImage, conformanceModel, readF32 } from './helpers/shared';
import { cosine } from './helpers/math';

const cases = conformanceCases();


describe('conformance with the DINOv3 reference', () => {
  let model: Model;
  beforeAll(async () => {
    model = await loadModel(conformanceModel(cases[0]!));
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it('detects the contract of the reference model', () => {
    expect(model.info.patchSize).toBe(16);
    expect(model.info.registers).toBe(4);
    expect(model.info.dim).toBe(64);
    expect(model.info.outputLayout).toBe('last_hidden_state');
    expect(model.info.fixedSize).toBeUndefined();
  });

  it.each(cases.map((c) => [c.tag, c] as const))('%s: exact input tensor gives the reference tokens (max abs <= 1e-5)', async (_tag, c) => {
    const input = readF32(c, 'input.f32');
    const ref = readF32(c, 'last_hidden_state.f32');
    const [f] = await model.extractTensor(input, [1, 3, c.h, c.w]);
    expect(f!.grid).toEqual({ rows: c.grid[0], cols: c.grid[1] });
    expect(f!.tokenCount).toBe(c.tokens);
    const tokens = f!.tokens;
    expect(tokens.length).toBe(ref.length);
    let worstCls = 0;
    let worstPatch = 0;
    const patchStart = (1 + c.registers) * c.dim;
    for (let i = 0; i < ref.length; i++) {
      const d = Math.abs((tokens[i] as number) - (ref[i] as number));
      if (i < c.dim) worstCls = Math.max(worstCls, d);
      if (i >= patchStart) worstPatch = Math.max(worstPatch, d);
    }
    expect(worstCls).toBeLessThanOrEqual(1e-5);
    expect(worstPatch).toBeLessThanOrEqual(1e-5);
  });

  it.each(cases.map((c) => [c.tag, c] as const))('%s: own preprocessing of the PNG reproduces the reference input bit for bit (0 levels)', async (_tag, c) => {
    const img = await decodeImage(conformanceImage(c));
    const out = new Float32Array(3 * c.h * c.w);
    await native().preprocess({ pixels: img.data, width: img.width, height: img.height, rowBytes: img.rowBytes, format: nativeFormat(img.format),
      outWidth: c.w, outHeight: c.h, mean: new Float32Array(model.info.mean), std: new Float32Array(model.info.std), out });
    const ref = readF32(c, 'input.f32');
    // Both tensors are (level / 255 - mean) / std of 8-bit resized pixels: map each back to its
    // level and compare the levels exactly.
    const plane = c.h * c.w;
    const level = (v: number, ch: number): number => Math.round((v * (model.info.std[ch] as number) + (model.info.mean[ch] as number)) * 255);
    let differing = 0;
    let worst = 0;
    for (let i = 0; i < out.length; i++) {
      const ch = Math.floor(i / plane);
      const d = Math.abs(level(out[i] as number, ch) - level(ref[i] as number, ch));
      if (d !== 0) differing++;
      worst = Math.max(worst, d);
    }
    expect({ worst, differing }).toEqual({ worst: 0, differing: 0 });
  });

  it.each(cases.map((c) => [c.tag, c] as const))('%s: features of the PNG match the reference patch tokens (cosine)', async (_tag, c) => {
    const f = await model.extract(conformanceImage(c), { size: { height: c.h, width: c.w } });
    const ref = readF32(c, 'last_hidden_state.f32');
    const patches = f.patches;
    const first = (1 + c.registers) * c.dim;
    let sum = 0;
    let min = Infinity;
    const n = c.grid[0] * c.grid[1];
    for (let p = 0; p < n; p++) {
      const cs = cosine(patches.subarray(p * c.dim, (p + 1) * c.dim), ref.subarray(first + p * c.dim, first + (p + 1) * c.dim));
      sum += cs;
      min = Math.min(min, cs);
    }
    expect(sum / n).toBeGreaterThanOrEqual(0.9999);
    expect(min).toBeGreaterThanOrEqual(0.999);
    expect(f.imageSize.width).toBeGreaterThan(0);
  });

  it('runs a batch of images with the same tokens as one by one', async () => {
    const paths = cases.filter((x) => x.h === 224 && x.w === 224).map(conformanceImage);
    const batch = await model.extract(paths, { size: 224 });
    expect(batch).toHaveLength(paths.length);
    for (let i = 0; i < paths.length; i++) {
      const single = await model.extract(paths[i]!, { size: 224 });
      const a = batch[i]!.patches;
      const b = single.patches;
      let worst = 0;
      for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs((a[j] as number) - (b[j] as number)));
      expect(worst).toBeLessThan(1e-4);
    }
  });
});
