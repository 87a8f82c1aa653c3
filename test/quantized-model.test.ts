/**
 * Quantised and half-precision models as the community exports ship them (`model_quantized.onnx`:
 * ONNX Runtime's dynamic quantisation, DynamicQuantizeLinear + MatMulInteger; `model_fp16.onnx`:
 * float16 inside, float32 input and outputs): the tiny generator writes them from the same seeded
 * weights as their float twin; they load through the same contract check, and their tokens stay
 * close to the float model's (per-token cosine).
 */
import { describe, expect, it } from 'vitest';

import { loadModel } from '../lib';
import { main } from '../lib/cli/main';
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

  it('a model_fp16.onnx as the community exports write it (float16 inside, float32 input and outputs) loads and agrees with its float twin', async () => {
    const half = tinyModel({ ...shape, dtype: 'float16', keepIoTypes: true });
    const info = await inspectOnnx(half);
    expect(info.inputs[0]?.elemType).toBe('float32');
    expect(info.outputs.map((o) => o.elemType)).toEqual(['float32', 'float32']);
    expect(info.opHistogram.Cast).toBeGreaterThanOrEqual(2);
    await using float = await loadModel(tinyModel(shape), { threads: 1 });
    await using model = await loadModel(half, { threads: 1 });
    const image = await gradientPng(320, 240);
    const a = await float.extract(image, { size: 224 });
    const b = await model.extract(image, { size: 224 });
    let min = 1;
    for (let t = 0; t < a.grid.rows * a.grid.cols; t++) min = Math.min(min, cosine(a.patches.subarray(t * 64, (t + 1) * 64), b.patches.subarray(t * 64, (t + 1) * 64)));
    expect(min).toBeGreaterThan(0.99);
    expect(() => tinyModel({ ...shape, keepIoTypes: true })).toThrow(/keepIoTypes/);
  });

  it('dinov3 info --compare reports the per-token cosine against the float model', async () => {
    const run = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(args, (s) => out.push(s), (s) => err.push(s));
      return { code, out: out.join('\n'), err: err.join('\n') };
    };
    const quantized = tinyModel({ ...shape, quantize: 'dynamic' });
    const float = tinyModel(shape);
    const json = await run('info', '--model', quantized, '--compare', float, '--size', '224', '--json');
    expect(json.code, json.err).toBe(0);
    const compare = (JSON.parse(json.out) as { compare: { reference: string; tokens: number; meanCosine: number; minCosine: number; images: number } }).compare;
    expect(compare.reference).toBe(float);
    expect(compare.images).toBe(1);
    expect(compare.tokens).toBe(1 + 4 + 14 * 14);
    expect(compare.meanCosine).toBeGreaterThan(0.99);
    expect(compare.meanCosine).toBeLessThan(1);
    expect(compare.minCosine).toBeLessThanOrEqual(compare.meanCosine);
    // The model against itself agrees exactly.
    const self = await run('info', '--model', float, '--compare', float);
    expect(self.code, self.err).toBe(0);
    expect(self.out).toMatch(/per-token cosine mean 1\.00000, min 1\.00000/);
    // Models of different dims are not two precisions of one model.
    const other = await run('info', '--model', float, '--compare', tinyModel({ ...shape, dim: 32, heads: 2 }));
    expect(other.code).not.toBe(0);
    expect(other.err).toMatch(/ERR_DINO_SHAPE_MISMATCH|dims differ/);
  });

  it('refuses quantisation with float16 weights', () => {
    expect(() => tinyModel({ ...shape, dtype: 'float16', quantize: 'dynamic' })).toThrow(/quantisation/);
  });
});
