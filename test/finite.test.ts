/**
 * The NaN/Infinity check of model outputs: the host scan on every machine, and the GPU count of
 * outputs that stay in CUDA memory (native/cuda/non_finite.cu) wherever a CUDA device exists —
 * against the host scan of the same values. Elsewhere the GPU part is skipped with a message
 * (its CTest, native/tests/cuda/test_cuda_non_finite.cc, compiles everywhere nvcc does).
 */
import { describe, expect, it } from 'vitest';

import { native } from '../lib/binding';
import { checkFiniteDevice, checkFiniteHost, countNonFinite, nonFiniteError } from '../lib/model/finite';
import { halfToFloat32 } from '../lib/model/tokens';
import { rejected } from './helpers/errors';

function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 20 - 10;
  });
}

describe('host NaN/Infinity check', () => {
  it('counts NaN, +Inf and -Inf and finds the first', () => {
    const x = seeded(1000, 1);
    expect(countNonFinite(x)).toEqual({ count: 0, firstIndex: -1 });
    x[700] = Number.NaN;
    x[123] = Number.POSITIVE_INFINITY;
    x[999] = Number.NEGATIVE_INFINITY;
    expect(countNonFinite(x)).toEqual({ count: 3, firstIndex: 123 });
    // Large finite values are not flagged.
    expect(countNonFinite(Float32Array.of(3.4e38, -3.4e38, 0, -0)).count).toBe(0);
  });

  it('refuses outputs with NaN with a coded error naming the output and the count', () => {
    const x = seeded(64, 2);
    expect(() => checkFiniteHost(x, 'last_hidden_state')).not.toThrow();
    x[5] = Number.NaN;
    x[9] = Number.NaN;
    let thrown: unknown;
    try {
      checkFiniteHost(x, 'last_hidden_state');
    } catch (err) {
      thrown = err;
    }
    const err = nonFiniteError(countNonFinite(x), 'last_hidden_state', 'host');
    expect(thrown).toMatchObject({ code: 'ERR_DINO_BACKEND', details: { nonFinite: 2, firstIndex: 5, checkedOn: 'host' } });
    expect(err?.message).toMatch(/produced NaN or Infinity in last_hidden_state: 2 value\(s\), the first at index 5/);
  });

  it('sees fp16 overflow (65504 * 2 = Infinity after conversion)', async () => {
    const halves = Uint16Array.of(0x3c00, 0x7bff, 0x7c00, 0xfe00); // 1, 65504, +Inf, NaN
    const floats = await halfToFloat32(halves);
    expect(countNonFinite(floats)).toEqual({ count: 2, firstIndex: 2 });
  });
});

const cuda = native().capabilities().cuda;
if (!cuda.available) console.warn(`SKIPPED GPU NaN check tests: ${cuda.reason ?? 'no CUDA device'}`);

describe.skipIf(!cuda.available)('GPU NaN/Infinity check (CUDA device)', () => {
  it('counts like the host scan, fp32 and fp16, and refuses with the same error', async () => {
    const b = native();
    const rows = 301;
    const dim = 384;
    const x = seeded(rows * dim, 3);
    for (const i of [77, 5000, rows * dim - 1]) x[i] = Number.NaN;
    x[90000] = Number.POSITIVE_INFINITY;
    for (const type of ['float32', 'float16'] as const) {
      const t = b.DeviceTensor.allocate([rows, dim], type);
      try {
        await t.upload(type === 'float32' ? x : await b.floatToHalf(x));
        const gpu = await b.cudaCountNonFinite({ tensor: t, offset: 0, rows, dim, stride: dim });
        expect(gpu).toEqual(countNonFinite(x));
        const err = await rejected(checkFiniteDevice(t, rows, dim, 'last_hidden_state'));
        expect(err.code).toBe('ERR_DINO_BACKEND');
        expect(err.details).toMatchObject({ nonFinite: 4, firstIndex: 77, checkedOn: 'GPU' });
      } finally {
        t.dispose();
      }
    }
  });
});
