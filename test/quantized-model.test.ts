/**
 * Quantised models as the community exports ship them (`model_quantized.onnx`: ONNX Runtime's
 * dynamic quantisation, DynamicQuantizeLinear + MatMulInteger): the tiny generator writes one
 * from the same seeded weights as its float twin; it loads through the same contract check,
 * and its tokens stay close to the float model's (per-token cosine).
 */
import { describe, expect, it } from 'vitest';

import { loadModel } from '../lib';
import { inspectOnnx } from '../lib/onnx';
import { gradientPng } from './helpers/images';
import { cosine } from './helpers/math';
import { tinyModel } from './helpers/models';

const shape = { dim: 64, heads: 4, registers: 4, depth: 3, seed: 7 };

describe('quantised models', () => {
  it('the generator writes DynamicQuantizeLinear + MatMulInteger in place of every linear layer', async () => {
    const float = (await inspectOnnx(tinyModel(shape))).opHistogram;
    const quantized = (await inspectOnnx(tinyModel({ ...shape, quantize: 'dynamic' }))).opHistogram;
    const linears = 6 * shape.depth; // q, k, v, o, up, down per block
    expect(quantized.MatMulInteger).toBe(linears);
    expect(quantized.DynamicQuantizeLinear).toBe(linears);
    expect(float.MatMulInteger).toBeUndefined();
    expect((float.MatMul ?? 0) - (quantized.MatMul ?? 0)).toBe(linears);
  });

  it('loads through the contract check and gives tokens close to the float model (cosine per token)', async () => {
    await using float = await loadModel(tinyModel(shape), { threads: 1 });
    await using quantized = await loadModel(tinyModel({ ...shape, quantize: 'dynamic' }), { threads: 1 });
    expect(quantized.info.dim).toBe(64);
    expect(quantized.info.registers).toBe(4);
    expect(quantized.info.patchSize).toBe(16);
    const image = await gradientPng(320, 240);
    const a = await float.extract(image, { size: 224 });
    const b = await quantized.extract(image, { size: 224 });
    const tokens = a.grid.rows * a.grid.cols;
    let min = 1;
    let sum = 0;
    let identical = true;
    for (let t = 0; t < tokens; t++) {
      const x = a.patches.subarray(t * 64, (t + 1) * 64);
      const y = b.patches.subarray(t * 64, (t + 1) * 64);
      const c = cosine(x, y);
      min = Math.min(min, c);
      sum += c;
      if (identical && x.some((v, i) => v !== y[i])) identical = false;
    }
    expect(identical).toBe(false); // it really is another computation
    expect(sum / tokens).toBeGreaterThan(0.99);
    expect(min).toBeGreaterThan(0.95);
  });

  it('refuses quantisation with float16 weights', () => {
    expect(() => tinyModel({ ...shape, dtype: 'float16', quantize: 'dynamic' })).toThrow(/quantisation/);
  });
});
