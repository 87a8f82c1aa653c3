/**
 * Bad input gets a clear, coded DinoError and the process (and the model) lives on.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Features, loadModel, type Model } from '../lib';
import { native } from '../lib/binding';
import { rejected } from './helpers/errors';
import { conformanceCases, conformanceImage, conformanceModel } from './helpers/shared';

const cases = conformanceCases();
const tmp = mkdtempSync(join(tmpdir(), 'dinov3-bad-'));

async function codeOf(p: Promise<unknown>): Promise<string> {
  return (await rejected(p)).code;
}

describe('bad model files', () => {
  it('a missing model file', async () => {
    expect(await codeOf(loadModel(join(tmp, 'nope.onnx')))).toBe('ERR_DINO_FILE_NOT_FOUND');
  });

  it('a PNG passed as the model', async () => {
    const png = join(tmp, 'image.onnx');
    writeFileSync(png, Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    const err = await rejected(loadModel(png));
    expect(err.code).toBe('ERR_DINO_INVALID_MODEL');
  });

  it('a truncated ONNX file', async () => {
    const full = readFileSync(conformanceModel(cases[0]!));
    const cut = join(tmp, 'truncated.onnx');
    writeFileSync(cut, full.subarray(0, Math.floor(full.length * 0.6)));
    const err = await rejected(loadModel(cut));
    expect(err.code).toBe('ERR_DINO_INVALID_MODEL');
    expect(err.message).toMatch(/truncat/i);
  });

  it('an empty file', async () => {
    const empty = join(tmp, 'empty.onnx');
    writeFileSync(empty, '');
    expect(await codeOf(loadModel(empty))).toBe('ERR_DINO_INVALID_MODEL');
  });

  it('bad options', async () => {
    expect(await codeOf(loadModel(''))).toBe('ERR_DINO_INVALID_ARGUMENT');
  });

  it('an unknown backend', async () => {
    const err = await rejected(loadModel(conformanceModel(cases[0]!), { backend: 'nope' as 'auto' }));
    expect(err.code).toBe('ERR_DINO_INVALID_ARGUMENT');
    expect(err.message).toMatch(/Unknown backend 'nope'/);
  });
});

describe('bad images and sizes on a loaded model', () => {
  let model: Model;
  beforeAll(async () => {
    model = await loadModel(conformanceModel(cases[0]!));
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it('missing, unreadable and non-image files', async () => {
    expect(await codeOf(model.extract(join(tmp, 'missing.png')))).toBe('ERR_DINO_FILE_NOT_FOUND');
    const notImage = join(tmp, 'notes.png');
    writeFileSync(notImage, 'this is not an image');
    const err = await rejected(model.extract(notImage));
    expect(err.code).toBe('ERR_DINO_INVALID_IMAGE');
    expect(err.message).toContain('notes.png');
    expect(await codeOf(model.extract(tmp))).toBe('ERR_DINO_FILE_NOT_FOUND');
  });

  it('an empty or truncated buffer', async () => {
    expect(await codeOf(model.extract(Buffer.alloc(0)))).toBe('ERR_DINO_INVALID_IMAGE');
    const png = readFileSync(conformanceImage(cases[0]!));
    expect(await codeOf(model.extract(png.subarray(0, 200)))).toBe('ERR_DINO_INVALID_IMAGE');
  });

  it('raw pixels that do not fill the stated size', async () => {
    const err = await rejected(model.extract({ data: new Uint8Array(10), width: 4, height: 4, format: 'rgb' }));
    expect(err.code).toBe('ERR_DINO_INVALID_IMAGE');
    expect(err.message).toMatch(/needs 48 bytes/);
    expect(await codeOf(model.extract({ data: new Uint8Array(48), width: 4, height: 4, format: 'rgbx' as 'rgb' }))).toBe('ERR_DINO_INVALID_ARGUMENT');
  });

  it('a size that is not a multiple of the patch size', async () => {
    const err = await rejected(model.extract(conformanceImage(cases[0]!), { size: 225 }));
    expect(err.code).toBe('ERR_DINO_SHAPE_MISMATCH');
    expect(err.message).toMatch(/multiple of the model's patch size 16; use 224 or 240/);
    expect(await codeOf(model.extract(conformanceImage(cases[0]!), { size: 'big' }))).toBe('ERR_DINO_INVALID_ARGUMENT');
  });

  it('a decompression bomb is refused before decoding', async () => {
    const err = await rejected(model.extract(conformanceImage(cases[0]!), { decode: { limitInputPixels: 1000 } }));
    expect(err.code).toBe('ERR_DINO_INVALID_IMAGE');
    expect(err.message).toMatch(/limit/);
  });

  it('a wrong input tensor shape', async () => {
    expect(await codeOf(model.extractTensor(new Float32Array(10), [1, 3, 224, 224]))).toBe('ERR_DINO_SHAPE_MISMATCH');
    expect(await codeOf(model.extractTensor(new Float32Array(10), [1, 4, 224, 224]))).toBe('ERR_DINO_INVALID_ARGUMENT');
  });

  it('device images without CUDA: a clear error', async () => {
    const err = await rejected(model.extractDevice({ devicePointer: 0x7f0000000000n, width: 64, height: 64, pitch: 256, format: 'rgba' }));
    expect(err.code).toBe('ERR_DINO_CUDA_UNAVAILABLE');
    expect((await rejected(model.extractDevice({ devicePointer: 1n, width: 64, height: 64, pitch: 10, format: 'rgba' }))).code).toBe('ERR_DINO_INVALID_ARGUMENT');
  });

  it('keeps working after all of that', async () => {
    const f = await model.extract(conformanceImage(cases[0]!));
    expect(f.grid).toEqual({ rows: 14, cols: 14 });
    expect(Number.isFinite(f.patches[0])).toBe(true);
  });

  it('use after dispose is ERR_DINO_DISPOSED', async () => {
    const m = await loadModel(conformanceModel(cases[0]!));
    const f = await m.extract(conformanceImage(cases[0]!));
    await m.dispose();
    await m.dispose(); // idempotent
    expect(await codeOf(m.extract(conformanceImage(cases[0]!)))).toBe('ERR_DINO_DISPOSED');
    f.dispose();
    expect(() => f.patches).toThrow(expect.objectContaining({ code: 'ERR_DINO_DISPOSED' }));
    expect(await codeOf(f.kmeans({ k: 2 }))).toBe('ERR_DINO_DISPOSED');
  });
});

describe('bad analysis input', () => {
  const grid = { rows: 4, cols: 5 };
  const dim = 8;
  const patches = Float32Array.from({ length: 20 * dim }, (_, i) => Math.sin(i * 0.37));

  it('k out of range', async () => {
    const f = Features.fromPatches(patches, grid, dim);
    const err = await rejected(f.kmeans({ k: 21 }));
    expect(err.code).toBe('ERR_DINO_INVALID_ARGUMENT');
    expect(err.message).toMatch(/k = 21 is larger than the number of patches \(20\)/);
    expect(await codeOf(f.kmeans({ k: 0 }))).toBe('ERR_DINO_INVALID_ARGUMENT');
    expect(await codeOf(f.kmeans({ k: 2.5 }))).toBe('ERR_DINO_INVALID_ARGUMENT');
    expect(await codeOf(f.kmeans({ k: 2, init: new Float32Array(3) }))).toBe('ERR_DINO_SHAPE_MISMATCH');
  });

  it('NaN and Inf features', async () => {
    const bad = patches.slice();
    bad[17] = Number.NaN;
    const err = await rejected(Features.fromPatches(bad, grid, dim).kmeans({ k: 2 }));
    expect(err.code).toBe('ERR_DINO_INVALID_FEATURES');
    expect(err.message).toMatch(/NaN.*row 2, column 1/);
    bad[17] = Number.POSITIVE_INFINITY;
    expect(await codeOf(Features.fromPatches(bad, grid, dim).pca(3))).toBe('ERR_DINO_INVALID_FEATURES');
  });

  it('zero vectors give similarity 0, not NaN', async () => {
    const z = patches.slice();
    z.fill(0, 0, dim);
    const f = Features.fromPatches(z, grid, dim);
    const fromZero = await f.similarity({ row: 0, col: 0 });
    expect([...fromZero.values].every((v) => v === 0)).toBe(true);
    const toZero = await f.similarity({ row: 1, col: 1 });
    expect(toZero.values[0]).toBe(0);
    expect(toZero.values[6]).toBeCloseTo(1, 6);
  });

  it('mismatched dims and out-of-grid targets', async () => {
    const f = Features.fromPatches(patches, grid, dim);
    expect(await codeOf(f.similarity(new Float32Array(dim + 1)))).toBe('ERR_DINO_SHAPE_MISMATCH');
    const other = Features.fromPatches(new Float32Array(20 * 4), grid, 4);
    expect(await codeOf(f.similarity({ features: other, row: 0, col: 0 }))).toBe('ERR_DINO_SHAPE_MISMATCH');
    expect(await codeOf(f.similarity({ row: 4, col: 0 }))).toBe('ERR_DINO_INVALID_ARGUMENT');
    expect(await codeOf(f.similarity({ x: 99, y: 0 }))).toBe('ERR_DINO_INVALID_ARGUMENT');
    expect(() => Features.fromPatches(patches, { rows: 3, cols: 5 }, dim)).toThrow(expect.objectContaining({ code: 'ERR_DINO_SHAPE_MISMATCH' }));
  });

  it('aborted before start', async () => {
    const f = Features.fromPatches(patches, grid, dim);
    const ac = new AbortController();
    ac.abort();
    expect(await codeOf(f.kmeans({ k: 2, signal: ac.signal }))).toBe('ERR_DINO_ABORTED');
  });
});

describe('native calls with many arguments take one options object', () => {
  it.each(['preprocess', 'overlayLabels', 'renderField'] as const)('%s refuses anything else with a coded error', (name) => {
    const call = native()[name] as (arg: unknown) => unknown;
    for (const arg of [new Uint8Array(3), [1, 2], undefined, 7]) {
      let caught: unknown;
      try {
        call(arg);
      } catch (err) {
        caught = err;
      }
      expect(caught).toMatchObject({ code: 'ERR_DINO_INVALID_ARGUMENT', message: `${name} takes one options object` });
    }
  });
});
