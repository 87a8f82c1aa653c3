/**
 * The CUDA kernels against the CPU core on the same data (the reference patch tokens and the
 * conformance photo): similarity (max |diff| <= 1e-5), k-means (same seed: inertia within 1e-3
 * relative), preprocessing (max |diff| <= 1e-5) and the NaN count (equal counts) — the bars of
 * the CUDA CTest suite. Not run without a CUDA device.
 * @module
 */
import { native, type NativeDeviceTensor } from '../binding';
import { capabilities } from '../capabilities';
import { decodeImage, nativeFormat } from '../image/input';
import { countNonFinite } from '../model/finite';
import { notRun, runCheck, verdict, type CheckOutcome } from './check';
import type { Reference } from './reference';
import type { CheckResult } from './types';

const MEAN = new Float32Array([0.485, 0.456, 0.406]);
const STD = new Float32Array([0.229, 0.224, 0.225]);

const maxDiff = (a: Float32Array, b: Float32Array): number => {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    m = Number.isNaN(d) ? Infinity : Math.max(m, d);
  }
  return m;
};

async function withDevice<T>(data: Float32Array, rows: number, fn: (t: NativeDeviceTensor) => Promise<T>): Promise<T> {
  const t = native().DeviceTensor.allocate([rows, data.length / rows], 'float32');
  try {
    await t.upload(data);
    return await fn(t);
  } finally {
    t.dispose();
  }
}

function patches(ref: Reference): { data: Float32Array; rows: number; dim: number } {
  const c = ref.case;
  const skip = (1 + c.registers) * c.dim;
  return { data: ref.tokens.slice(skip), rows: c.tokens - 1 - c.registers, dim: c.dim };
}

async function similarity(ref: Reference): Promise<CheckOutcome> {
  const b = native();
  const { data, rows, dim } = patches(ref);
  const queries = data.slice(0, 3 * dim);
  const cpu = await b.similarity({ data, offset: 0, rows, dim, stride: dim }, queries, 3);
  const gpu = await withDevice(data, rows, (tensor) => b.cudaSimilarity({ tensor, offset: 0, rows, dim, stride: dim }, queries, 3));
  const d = maxDiff(cpu, gpu);
  return verdict(d <= 1e-5, `max |diff| ${d.toExponential(2)} between CUDA and CPU cosine similarity (bar: <= 1e-5)`, { maxAbsDiff: d });
}

async function kmeans(ref: Reference): Promise<CheckOutcome> {
  const b = native();
  const { data, rows, dim } = patches(ref);
  const opts = { k: 5, maxIterations: 100, restarts: 4, seed: 7, tolerance: 1e-4 };
  const cpu = await b.kmeans({ data, offset: 0, rows, dim, stride: dim }, opts);
  const gpu = await withDevice(data, rows, (tensor) => b.cudaKmeans({ tensor, offset: 0, rows, dim, stride: dim }, opts));
  const rel = Math.abs(gpu.inertia - cpu.inertia) / Math.max(1e-12, cpu.inertia);
  return verdict(rel <= 1e-3, `k-means k=5: CUDA inertia ${gpu.inertia.toFixed(4)}, CPU ${cpu.inertia.toFixed(4)} (relative difference ${rel.toExponential(2)}, bar: <= 1e-3)`, { cudaInertia: gpu.inertia, cpuInertia: cpu.inertia });
}

async function preprocess(ref: Reference): Promise<CheckOutcome> {
  const b = native();
  const c = ref.case;
  const img = await decodeImage(ref.paths.photo);
  const cpu = new Float32Array(3 * c.h * c.w);
  await b.preprocess({ pixels: img.data, width: img.width, height: img.height, rowBytes: img.rowBytes, format: nativeFormat(img.format), outWidth: c.w, outHeight: c.h, mean: MEAN, std: STD, out: cpu });
  const bytes = img.rowBytes * img.height;
  const pixels = b.DeviceTensor.allocate([bytes], 'uint8');
  const out = b.DeviceTensor.allocate([1, 3, c.h, c.w], 'float32');
  try {
    await pixels.upload(img.data.subarray(0, bytes));
    await b.cudaPreprocess({ tensor: pixels, width: img.width, height: img.height, pitch: img.rowBytes, format: nativeFormat(img.format) }, c.w, c.h, MEAN, STD, out, 0);
    const gpu = (await out.download()) as Float32Array;
    const d = maxDiff(cpu, gpu);
    return verdict(d <= 1e-5, `max |diff| ${d.toExponential(2)} between CUDA and CPU preprocessing of the photo (bar: <= 1e-5)`, { maxAbsDiff: d });
  } finally {
    pixels.dispose();
    out.dispose();
  }
}

async function nonFinite(ref: Reference): Promise<CheckOutcome> {
  const { data, rows, dim } = patches(ref);
  const x = data.slice();
  x[17] = Number.NaN;
  x[x.length - 1] = Number.POSITIVE_INFINITY;
  const cpu = countNonFinite(x);
  const gpu = await withDevice(x, rows, (tensor) => native().cudaCountNonFinite({ tensor, offset: 0, rows, dim, stride: dim }));
  const same = gpu.count === cpu.count && gpu.firstIndex === cpu.firstIndex;
  return verdict(same, `GPU counted ${gpu.count} NaN/Inf (first at ${gpu.firstIndex}), the CPU ${cpu.count} (first at ${cpu.firstIndex})`, { gpuCount: gpu.count, cpuCount: cpu.count });
}

export async function cudaChecks(ref: Reference): Promise<CheckResult[]> {
  const caps = capabilities();
  const why = caps.cuda.available ? undefined : `CUDA is not available (${caps.cuda.reason ?? 'no device'})`;
  const checks: [string, string, (r: Reference) => Promise<CheckOutcome>][] = [
    ['cuda.similarity', 'CUDA similarity kernel matches the CPU core', similarity],
    ['cuda.kmeans', 'CUDA k-means matches the CPU core', kmeans],
    ['cuda.preprocess', 'CUDA preprocessing matches the CPU core', preprocess],
    ['cuda.non-finite', 'CUDA NaN/Inf count matches the CPU scan', nonFinite],
  ];
  const out: CheckResult[] = [];
  for (const [id, title, fn] of checks) out.push(await runCheck(id, title, async () => (why ? notRun(why) : fn(ref))));
  return out;
}
