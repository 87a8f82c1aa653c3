/**
 * The vectorised resize kernels (native/core/resize_*.cc) against the scalar reference through
 * the addon: 0 levels of difference — the same floats — on every conformance photo at every
 * conformance size and on seeded random images of random sizes (up and down, 1-pixel edges,
 * every pixel format), plus the kernel choice capabilities() reports and DINOV3_RESIZE_KERNEL.
 */
import { spawnSync } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import { capabilities } from '../lib';
import { native, type NativePixelFormat, type NativeResizeKernel } from '../lib/binding';
import { decodeImage, nativeFormat } from '../lib/image/input';
import { conformanceCases, conformanceImage, projectRoot } from './helpers/shared';

const mean = new Float32Array([0.485, 0.456, 0.406]);
const std = new Float32Array([0.229, 0.224, 0.225]);
const kernels = capabilities().preprocess.kernels as NativeResizeKernel[];
const vectorKernels = kernels.filter((k) => k !== 'scalar');

interface Pixels {
  pixels: Uint8Array;
  width: number;
  height: number;
  rowBytes: number;
  format: NativePixelFormat;
}

async function run(img: Pixels, outWidth: number, outHeight: number, kernel: NativeResizeKernel): Promise<Float32Array> {
  const out = new Float32Array(3 * outWidth * outHeight).fill(Number.NaN);
  await native().preprocess({ ...img, outWidth, outHeight, mean, std, out, kernel });
  return out;
}

/** Values that differ between two tensors (bit patterns, so NaN or -0 would count too). */
function differing(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let n = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) n++;
  return n;
}

/** xorshift32, seeded. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

describe('preprocess kernels', () => {
  it('capabilities() names the kernel in use, one of those this CPU runs, scalar always among them', () => {
    const p = capabilities().preprocess;
    expect(p.kernels[0]).toBe('scalar');
    expect(p.kernels).toContain(p.kernel);
    if (process.env.DINOV3_RESIZE_KERNEL === undefined) expect(p.kernel).toBe(p.kernels.at(-1));
    if (process.arch === 'x64') expect(p.kernels).toEqual(expect.arrayContaining(['sse4.1']));
    if (process.arch === 'arm64') expect(p.kernels).toContain('neon');
  });

  it('DINOV3_RESIZE_KERNEL=scalar selects the reference, auto the best, an unknown name falls back to the best', () => {
    const kernelWith = (value: string): string => {
      const r = spawnSync(process.execPath, ['-e', `process.stdout.write(require('node-gyp-build')(${JSON.stringify(projectRoot)}).capabilities().preprocess.kernel)`], {
        encoding: 'utf8', env: { ...process.env, DINOV3_RESIZE_KERNEL: value }, cwd: projectRoot,
      });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    expect(kernelWith('scalar')).toBe('scalar');
    expect(kernelWith('auto')).toBe(kernels.at(-1));
    expect(kernelWith('no-such-kernel')).toBe(kernels.at(-1));
  });

  it('rejects a kernel name the addon does not know', async () => {
    const img: Pixels = { pixels: new Uint8Array(12), width: 2, height: 2, rowBytes: 6, format: 0 };
    await expect(run(img, 4, 4, 'mmx' as NativeResizeKernel)).rejects.toThrow(/unknown resize kernel/);
  });

  it.skipIf(vectorKernels.length === 0)('0 levels of difference from the scalar path on every conformance photo and size', async () => {
    const cases = conformanceCases();
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases) {
      const img = await decodeImage(conformanceImage(c));
      const pixels: Pixels = { pixels: img.data, width: img.width, height: img.height, rowBytes: img.rowBytes, format: nativeFormat(img.format) };
      const ref = await run(pixels, c.w, c.h, 'scalar');
      for (const k of vectorKernels) expect({ case: c.tag, kernel: k, differing: differing(ref, await run(pixels, c.w, c.h, k)) }).toEqual({ case: c.tag, kernel: k, differing: 0 });
    }
  });

  it.skipIf(vectorKernels.length === 0)('0 levels of difference on random sizes, aspect ratios and formats (seeded)', async () => {
    const rand = rng(16);
    const size = (cap: number): number => 1 + Math.floor(rand() * (rand() < 0.25 ? cap : 48));
    let compared = 0;
    for (let n = 0; n < 120; n++) {
      const format = (n % 5) as NativePixelFormat;
      const channels = [3, 4, 3, 4, 1][format]!;
      let width = size(900);
      const height = size(700);
      let outWidth = size(500);
      let outHeight = size(500);
      if (n % 7 === 0) width = 1;
      if (n % 11 === 0) outHeight = 1;
      if (n % 13 === 0) outWidth = width;
      if (n % 9 === 0) [outWidth, outHeight] = [width * 2 + 1, Math.max(1, height >> 3)];
      const rowBytes = width * channels + (n % 3) * 7;
      const pixels = new Uint8Array(rowBytes * height);
      for (let i = 0; i < pixels.length; i++) pixels[i] = Math.min(255, Math.max(0, Math.floor(rand() * 400) - 72));
      const img: Pixels = { pixels, width, height, rowBytes, format };
      const ref = await run(img, outWidth, outHeight, 'scalar');
      for (const k of vectorKernels) {
        expect({ n, width, height, outWidth, outHeight, format, kernel: k, differing: differing(ref, await run(img, outWidth, outHeight, k)) })
          .toEqual({ n, width, height, outWidth, outHeight, format, kernel: k, differing: 0 });
        compared++;
      }
    }
    expect(compared).toBe(120 * vectorKernels.length);
  });
});
