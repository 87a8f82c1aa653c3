/**
 * The seeded tiny DINOv3-shaped model: runs in onnxruntime-node at several sizes and batch 2,
 * gives finite, non-trivial tokens, has the same contract as the real exports, and its
 * variants (opset 16, float16, fixed size, other widths) behave.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromFloat16Array, toFloat16Array } from '../../lib/onnx/float16';
import { inspectOnnx, inspectOnnxBuffer } from '../../lib/onnx/inspect';
import { main } from '../../lib/onnx/make-tiny-model';
import { Xorshift32 } from '../../lib/onnx/prng';
import { buildTinyDinov3, resolveTinyDinov3Options, writeTinyDinov3, type TinyDinov3Options } from '../../lib/onnx/tiny-dinov3';
import { expectDinoError, expectDinoErrorSync, tempDir } from './helpers';
import { cosine } from '../helpers/math';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** A deterministic, image-like NCHW tensor: gradients, stripes and a little noise, per batch item `seeds[b]`. */
function image(seeds: readonly number[], h: number, w: number): Float32Array {
  const data = new Float32Array(seeds.length * 3 * h * w);
  seeds.forEach((seed, b) => {
    const rng = new Xorshift32(seed, 'image');
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const v = (y / h) * (c - 1) + Math.sin((x + seed * 7) / (9 + 4 * c)) + 0.3 * Math.cos(y / 13) + 0.2 * (rng.uniform() - 0.5);
          data[((b * 3 + c) * h + y) * w + x] = v;
        }
      }
    }
  });
  return data;
}

/** One thread per session: test files run in parallel, and small graphs gain nothing from more. */
function createSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
}

interface Outputs {
  tokens: Float32Array;
  tokenDims: readonly number[];
  pooled: Float32Array;
  pooledDims: readonly number[];
  type: string;
}

async function run(session: ort.InferenceSession, pixels: Float32Array, dims: readonly number[], fp16 = false): Promise<Outputs> {
  const input = fp16 ? new ort.Tensor('float16', toFloat16Array(pixels), dims) : new ort.Tensor('float32', pixels, dims);
  const out = await session.run({ pixel_values: input });
  const lhs = out['last_hidden_state'];
  const pool = out['pooler_output'];
  if (!lhs || !pool) throw new Error('missing outputs');
  const asF32 = (t: ort.Tensor): Float32Array => (t.type === 'float16' ? fromFloat16Array(t.data as Uint16Array) : (t.data as Float32Array));
  return { tokens: asF32(lhs), tokenDims: lhs.dims, pooled: asF32(pool), pooledDims: pool.dims, type: lhs.type };
}

function row(data: Float32Array, index: number, dim: number): Float32Array {
  return data.subarray(index * dim, (index + 1) * dim);
}


function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

const DIM = 64;
const PREFIX = 1 + 4;

describe('tiny DINOv3 (defaults: patch 16, dim 64, depth 3, 4 heads, 4 registers, opset 17, float32)', () => {
  let bytes: Uint8Array;
  let session: ort.InferenceSession;
  beforeAll(async () => {
    bytes = buildTinyDinov3();
    session = await createSession(bytes);
  });

  it.each([
    [224, 224],
    [320, 480],
    [448, 448],
  ])('runs at %ix%i with the right shapes and non-trivial tokens', async (h, w) => {
    const n = (h / 16) * (w / 16);
    const out = await run(session, image([1], h, w), [1, 3, h, w]);
    expect(out.tokenDims).toEqual([1, PREFIX + n, DIM]);
    expect(out.pooledDims).toEqual([1, DIM]);
    expect(out.tokens.every((v) => Number.isFinite(v))).toBe(true);
    // pooler_output is the CLS row after the final norm.
    expect(maxAbsDiff(out.pooled, row(out.tokens, 0, DIM))).toBe(0);
    // Tokens are normalised (LayerNorm) but not constant.
    let sum = 0;
    let sq = 0;
    for (const v of out.tokens) {
      sum += v;
      sq += v * v;
    }
    const std = Math.sqrt(sq / out.tokens.length - (sum / out.tokens.length) ** 2);
    expect(std).toBeGreaterThan(0.5);
    // Different patches give different tokens: cosines between patch tokens spread out.
    const cosines: number[] = [];
    for (let i = 0; i < n; i += 7) cosines.push(cosine(row(out.tokens, PREFIX + i, DIM), row(out.tokens, PREFIX + ((i * 31 + 5) % n), DIM)));
    const mean = cosines.reduce((a, b) => a + b, 0) / cosines.length;
    expect(mean).toBeLessThan(0.9);
    expect(Math.min(...cosines)).toBeLessThan(0.5);
    // Registers and CLS differ from patches and from each other.
    expect(cosine(row(out.tokens, 0, DIM), row(out.tokens, 1, DIM))).toBeLessThan(0.99);
  });

  it('is batch-consistent: identical images give identical rows, equal to a batch of one', async () => {
    const one = image([3], 224, 224);
    const two = new Float32Array(one.length * 2);
    two.set(one, 0);
    two.set(one, one.length);
    const single = await run(session, one, [1, 3, 224, 224]);
    const batch = await run(session, two, [2, 3, 224, 224]);
    expect(batch.tokenDims).toEqual([2, 201, DIM]);
    expect(batch.pooledDims).toEqual([2, DIM]);
    const half = batch.tokens.length / 2;
    expect(maxAbsDiff(batch.tokens.subarray(0, half), batch.tokens.subarray(half))).toBe(0);
    expect(maxAbsDiff(batch.tokens.subarray(0, half), single.tokens)).toBeLessThan(1e-5);
    // Different images in one batch give different rows.
    const mixed = await run(session, image([3, 4], 224, 224), [2, 3, 224, 224]);
    expect(maxAbsDiff(mixed.tokens.subarray(0, half), mixed.tokens.subarray(half))).toBeGreaterThan(0.1);
  });

  it('has the DINOv3 export contract, seen by inspectOnnx', async () => {
    const info = await inspectOnnxBuffer(bytes);
    expect(info.irVersion).toBe(8);
    expect(info.opsetVersion).toBe(17);
    expect(info.inputs).toEqual([{ name: 'pixel_values', elemType: 'float32', elemTypeCode: 1, shape: ['batch', 3, 'height', 'width'] }]);
    expect(info.outputs).toEqual([
      { name: 'last_hidden_state', elemType: 'float32', elemTypeCode: 1, shape: ['batch', 'tokens', DIM] },
      { name: 'pooler_output', elemType: 'float32', elemTypeCode: 1, shape: ['batch', DIM] },
    ]);
    expect(info.patchEmbedding).toMatchObject({ via: 'direct', patchSize: 16, kernelShape: [16, 16], strides: [16, 16], outChannels: DIM, inChannels: 3 });
    expect(info.registerCountHint).toBe(4);
    expect(info.layerNormalizationCount).toBe(2 * 3 + 1);
    expect(info.hasIfNodes).toBe(false);
    expect(info.hasFp16Weights).toBe(false);
    expect(info.opHistogram).toMatchObject({ Range: 2, Sin: 1, Cos: 1, Softmax: 3, Erf: 3, Conv: 1 });
    expect(info.metadata).toMatchObject({ model_type: 'dinov3_vit', patch_size: '16', hidden_size: '64', num_register_tokens: '4', seed: '0' });
    expect(info.externalData.used).toBe(false);
    expect(info.warnings).toEqual([]);
  });

  it('is deterministic: the same options give the same bytes, another seed other weights', () => {
    expect(Buffer.from(buildTinyDinov3()).equals(Buffer.from(bytes))).toBe(true);
    const other = buildTinyDinov3({ seed: 1 });
    expect(other.length).toBe(bytes.length);
    expect(Buffer.from(other).equals(Buffer.from(bytes))).toBe(false);
  });
});

describe('tiny DINOv3 variants', () => {
  async function tokensOf(options: TinyDinov3Options, h = 224, w = 224): Promise<Outputs> {
    const session = await createSession(buildTinyDinov3(options));
    return run(session, image([5], h, w), [1, 3, h, w], options.dtype === 'float16');
  }

  it('opset 16 has no LayerNormalization node and computes the same tokens', async () => {
    const info = await inspectOnnxBuffer(buildTinyDinov3({ opset: 16 }));
    expect(info.opsetVersion).toBe(16);
    expect(info.hasLayerNormalization).toBe(false);
    expect(info.opHistogram).toMatchObject({ ReduceMean: 14, Pow: 7, Sqrt: 7 });
    const [a, b] = await Promise.all([tokensOf({ opset: 16 }), tokensOf({})]);
    expect(a.tokenDims).toEqual([1, 201, DIM]);
    expect(maxAbsDiff(a.tokens, b.tokens)).toBeLessThan(1e-3);
  });

  it('float16 runs end to end in fp16 and stays close to float32', async () => {
    const bytes = buildTinyDinov3({ dtype: 'float16' });
    const info = await inspectOnnxBuffer(bytes);
    expect(info.inputs[0]?.elemType).toBe('float16');
    expect(info.outputs.map((o) => o.elemType)).toEqual(['float16', 'float16']);
    expect(info.hasFp16Weights).toBe(true);
    expect(Object.keys(info.initializers.byElemType).sort()).toEqual(['float16', 'float32', 'int64']); // float32: RoPE math only
    const [half, full] = await Promise.all([tokensOf({ dtype: 'float16' }), tokensOf({})]);
    expect(half.type).toBe('float16');
    expect(half.tokenDims).toEqual([1, 201, DIM]);
    expect(half.tokens.every((v) => Number.isFinite(v))).toBe(true);
    let worst = 1;
    for (let i = 0; i < 201; i += 5) worst = Math.min(worst, cosine(row(half.tokens, i, DIM), row(full.tokens, i, DIM)));
    expect(worst).toBeGreaterThan(0.99);
  });

  it('fixedSize gives static dims', async () => {
    const bytes = buildTinyDinov3({ fixedSize: { height: 320, width: 480, batch: 1 } });
    const info = await inspectOnnxBuffer(bytes);
    expect(info.inputs[0]?.shape).toEqual([1, 3, 320, 480]);
    expect(info.outputs.map((o) => o.shape)).toEqual([
      [1, 605, DIM],
      [1, DIM],
    ]);
    const out = await run(await createSession(bytes), image([1], 320, 480), [1, 3, 320, 480]);
    expect(out.tokenDims).toEqual([1, 605, DIM]);
  });

  it('other widths, patch sizes and no registers', async () => {
    const out = await tokensOf({ dim: 96, heads: 6, depth: 2, patchSize: 14, registers: 0, mlpRatio: 2 });
    expect(out.tokenDims).toEqual([1, 1 + 16 * 16, 96]);
    expect(out.tokens.every((v) => Number.isFinite(v))).toBe(true);
    const info = await inspectOnnxBuffer(buildTinyDinov3({ registers: 0, patchSize: 14 }));
    expect(info.registerCountHint).toBeUndefined();
    expect(info.patchEmbedding?.patchSize).toBe(14);
  });

  it('validates options', () => {
    expect(resolveTinyDinov3Options()).toMatchObject({ patchSize: 16, dim: 64, depth: 3, heads: 4, registers: 4, mlpRatio: 4, seed: 0, opset: 17, dtype: 'float32', layerScale: 0.5 });
    expectDinoErrorSync(() => buildTinyDinov3({ dim: 64, heads: 5 }), 'ERR_DINO_INVALID_ARGUMENT', /multiple of 4/);
    expectDinoErrorSync(() => buildTinyDinov3({ dim: 24, heads: 4 }), 'ERR_DINO_INVALID_ARGUMENT', /multiple of 4/);
    expectDinoErrorSync(() => buildTinyDinov3({ depth: 0 }), 'ERR_DINO_INVALID_ARGUMENT', /depth/);
    expectDinoErrorSync(() => buildTinyDinov3({ opset: 18 as 17 }), 'ERR_DINO_INVALID_ARGUMENT', /opset/);
    expectDinoErrorSync(() => buildTinyDinov3({ dtype: 'bfloat16' as 'float16' }), 'ERR_DINO_INVALID_ARGUMENT', /dtype/);
    expectDinoErrorSync(() => buildTinyDinov3({ fixedSize: { height: 100, width: 224 } }), 'ERR_DINO_SHAPE_MISMATCH', /multiple of the patch size/);
    expectDinoErrorSync(() => buildTinyDinov3({ seed: -1 }), 'ERR_DINO_INVALID_ARGUMENT', /seed/);
  });
});

describe('writeTinyDinov3 and make-test-model', () => {
  it('writes the model file', async () => {
    const path = join(tmp.dir, 'tiny.onnx');
    const written = await writeTinyDinov3(path, { depth: 1 });
    expect(written.bytes).toBe(readFileSync(path).byteLength);
    expect(written.config.depth).toBe(1);
    const info = await inspectOnnx(path);
    expect(info.layerNormalizationCount).toBe(3);
    await expectDinoError(writeTinyDinov3(join(tmp.dir, 'no', 'such', 'dir.onnx')), 'ERR_DINO_FILE_NOT_FOUND', /Cannot write/);
  });

  it('main(argv) writes a model, prints help, and rejects bad arguments', async () => {
    const lines: string[] = [];
    const errors: string[] = [];
    const io = { stdout: (t: string) => void lines.push(t), stderr: (t: string) => void errors.push(t) };
    const out = join(tmp.dir, 'cli.onnx');
    const args = ['--out', out, '--dim', '32', '--depth', '1', '--heads', '2', '--opset', '16', '--dtype', 'float16', '--seed', '7', '--fixed-size', '224x224'];
    expect(await main(args, io)).toBe(0);
    expect(lines.join('')).toMatch(/wrote .*cli\.onnx .*dim 32, depth 1, heads 2, registers 4, patch 16, opset 16, float16, seed 7, input 224x224/);
    const info = await inspectOnnx(out);
    expect(info.embeddingDim).toBe(32);
    expect(info.inputs[0]).toMatchObject({ elemType: 'float16', shape: ['batch', 3, 224, 224] });
    expect(info.metadata['seed']).toBe('7');

    expect(await main(['--help'], io)).toBe(0);
    expect(lines.at(-1)).toMatch(/usage: dinov3 make-test-model/);
    expect(await main([], io)).toBe(2);
    expect(errors.at(-1)).toMatch(/--out <path> is required/);
    expect(await main(['--out', out, '--dim', 'big'], io)).toBe(2);
    expect(await main(['--out', out, '--opset', '18'], io)).toBe(2);
    expect(await main(['--out', out, '--fixed-size', '224'], io)).toBe(2);
    expect(await main(['--out', out, '--bogus'], io)).toBe(2);
    expect(await main(['--out', out, '--heads', '3'], io)).toBe(2);
    expect(await main(['--out', join(tmp.dir, 'missing', 'x.onnx')], io)).toBe(1);
    expect(existsSync(join(tmp.dir, 'missing'))).toBe(false);
  });
});
