/**
 * The model contract is read from the file: input, output layout, patch size, register count
 * and dim; fp16 and fixed-size models; and models that do not fit get errors that say what was
 * expected and what was found. Self-contained (no ../shared needed).
 */
import { describe, expect, it } from 'vitest';

import { loadModel } from '../lib';
import { main } from '../lib/cli/main';
import { rejected } from './helpers/errors';
import { gradientPng } from './helpers/images';
import { notAnImageModel, patchGraph, tinyModel } from './helpers/models';
import { cosine } from './helpers/math';

describe('contract detection', () => {
  it('reads patch size, dim and registers of the tiny DINOv3', async () => {
    await using model = await loadModel(tinyModel({ dim: 32, heads: 2, registers: 4, depth: 1 }));
    expect(model.info).toMatchObject({ patchSize: 16, dim: 32, registers: 4, inputName: 'pixel_values', inputType: 'float32', outputLayout: 'last_hidden_state', fixedSize: undefined });
    expect(model.info.graph.hasLayerNorm).toBe(true);
    expect(model.info.graph.hasIf).toBe(false);
    const f = await model.extract(await gradientPng(300, 200), { size: '320x480' });
    expect(f.grid).toEqual({ rows: 20, cols: 30 });
    expect(f.patches.length).toBe(600 * 32);
    expect(f.registers.length).toBe(4 * 32);
    expect(f.imageSize).toEqual({ height: 200, width: 300 });
  });

  it('handles other patch sizes and register counts', async () => {
    await using model = await loadModel(tinyModel({ dim: 16, heads: 1, registers: 0, patchSize: 8, depth: 1 }));
    expect(model.info).toMatchObject({ patchSize: 8, dim: 16, registers: 0 });
    const f = await model.extract(await gradientPng(64, 64), { size: 64 });
    expect(f.grid).toEqual({ rows: 8, cols: 8 });
  });

  it('accepts fp16 models (input and outputs float16) with tokens close to fp32', async () => {
    await using m32 = await loadModel(tinyModel({ depth: 2 }));
    await using m16 = await loadModel(tinyModel({ depth: 2, dtype: 'float16' }));
    expect(m16.info.inputType).toBe('float16');
    const img = await gradientPng(224, 224);
    const [a, b] = [await m32.extract(img), await m16.extract(img)];
    expect(cosine(a.patches, b.patches)).toBeGreaterThan(0.99);
    expect(b.patches).toBeInstanceOf(Float32Array);
  });

  it('accepts opset-16 exports (decomposed LayerNorm)', async () => {
    await using model = await loadModel(tinyModel({ opset: 16, depth: 1 }));
    expect(model.info.graph.hasLayerNorm).toBe(false);
    expect(model.info.graph.opset).toBe(16);
    expect((await model.extract(await gradientPng(50, 50))).grid).toEqual({ rows: 14, cols: 14 });
  });

  it('knows a fixed-size export and refuses other sizes', async () => {
    await using model = await loadModel(tinyModel({ fixedSize: { height: 224, width: 224 }, depth: 1 }));
    expect(model.info.fixedSize).toEqual({ height: 224, width: 224 });
    expect(model.info.defaultSize).toEqual({ height: 224, width: 224 });
    const err = await rejected(model.extract(await gradientPng(40, 40), { size: 448 }));
    expect(err.code).toBe('ERR_DINO_SHAPE_MISMATCH');
    expect(err.message).toMatch(/exported for 224x224 inputs only/);
  });

  it('reads the reference output names (x_norm_clstoken, x_norm_regtokens, x_norm_patchtokens)', async () => {
    const lhs = patchGraph({ layout: 'last_hidden_state', registers: 2 });
    const ref = patchGraph({ layout: 'reference', registers: 2 });
    await using a = await loadModel(lhs);
    await using b = await loadModel(ref);
    expect(b.info).toMatchObject({ outputLayout: 'reference', registers: 2, dim: 8, patchSize: 16 });
    const img = await gradientPng(64, 48);
    const [fa, fb] = [await a.extract(img, { size: 64 }), await b.extract(img, { size: 64 })];
    expect([...fb.tokens]).toEqual([...fa.tokens]);
  });
});

describe('models that do not fit', () => {
  it('not an image model', async () => {
    const err = await rejected(loadModel(notAnImageModel()));
    expect(err.code).toBe('ERR_DINO_INVALID_MODEL');
    expect(err.message).toMatch(/expected one input pixel_values \[batch, 3, height, width\]; found inputs: x float32 \[batch, 10\]/);
  });

  it('an image model without token outputs', async () => {
    const err = await rejected(loadModel(patchGraph({ layout: 'logits' })));
    expect(err.code).toBe('ERR_DINO_INVALID_MODEL');
    expect(err.message).toMatch(/expected an output last_hidden_state .* found outputs: logits float32 \[batch, 8\]/);
  });

  it('a model that produces NaN is refused at extract time', async () => {
    await using model = await loadModel(patchGraph({ layout: 'last_hidden_state', nan: true }));
    const err = await rejected(model.extract(await gradientPng(32, 32), { size: 32 }));
    expect(err.code).toBe('ERR_DINO_BACKEND');
    expect(err.message).toMatch(/produced NaN/);
  });

  it('a --patch-size that disagrees with the model is an error in the CLI', async () => {
    const errors: string[] = [];
    const args = ['extract', '--model', tinyModel({ depth: 1 }), '--image', 'x.png', '--out', '/tmp/x', '--patch_size', '14'];
    const code = await main(args, () => undefined, (s: string) => errors.push(s));
    expect(code).toBe(1);
    expect(errors.join('\n')).toMatch(/--patch-size 14 does not match the model: its patch embedding uses 16x16 patches \[ERR_DINO_SHAPE_MISMATCH\]/);
  });
});
