/**
 * Conformance checks on the bundled reference: the CPU preprocessing of the photo reproduces the
 * reference input (0 levels), ONNX Runtime reproduces the reference tokens from the exact input
 * (max |diff| <= 1e-5), and TensorRT at each precision this machine supports (fp32: max |diff|
 * <= 1e-3; fp16/bf16: per-token cosine >= 0.99) — the bars of the project's own tests.
 * @module
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { native } from '../binding';
import { capabilities } from '../capabilities';
import { decodeImage, nativeFormat } from '../image/input';
import { loadModel } from '../model/model';
import { bf16Unavailable, type EnginePrecision } from '../tensorrt/ladder';
import { notRun, runCheck, verdict, type CheckOutcome } from './check';
import { compareTokens, type Reference } from './reference';
import { onnxForTensorRT } from './trt-onnx';
import type { CheckResult } from './types';

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
export const BARS = { onnxruntimeMaxAbs: 1e-5, tensorrtFp32MaxAbs: 1e-3, reducedMinCosine: 0.99 } as const;

async function preprocessCheck(ref: Reference): Promise<CheckOutcome> {
  const c = ref.case;
  const img = await decodeImage(ref.paths.photo);
  const out = new Float32Array(3 * c.h * c.w);
  await native().preprocess({ pixels: img.data, width: img.width, height: img.height, rowBytes: img.rowBytes, format: nativeFormat(img.format), outWidth: c.w, outHeight: c.h, mean: new Float32Array(MEAN), std: new Float32Array(STD), out });
  // Both are (level / 255 - mean) / std of 8-bit resized pixels: compare the levels exactly.
  const plane = c.h * c.w;
  const level = (v: number, ch: number): number => Math.round((v * (STD[ch] as number) + (MEAN[ch] as number)) * 255);
  let worst = 0;
  let differing = 0;
  for (let i = 0; i < out.length; i++) {
    const ch = Math.floor(i / plane);
    const d = Math.abs(level(out[i] as number, ch) - level(ref.input[i] as number, ch));
    if (!(d === 0)) differing++;
    worst = Math.max(worst, Number.isNaN(d) ? Infinity : d);
  }
  return verdict(differing === 0, `${differing} of ${out.length} values differ from the reference input (worst ${worst} levels; bar: 0)`, { worstLevels: worst, differing });
}

async function runTokens(modelPath: string, ref: Reference, load: Parameters<typeof loadModel>[1]): Promise<{ tokens: Float32Array; inferenceMs: number; precision?: string }> {
  const c = ref.case;
  const model = await loadModel(modelPath, load);
  try {
    const [f] = await model.extractTensor(ref.input, [1, 3, c.h, c.w]);
    if (!f) throw new Error('no features');
    // A second run for a warm timing.
    const start = performance.now();
    await model.extractTensor(ref.input, [1, 3, c.h, c.w]);
    const inferenceMs = Math.round((performance.now() - start) * 100) / 100;
    const precision = model.info.engine?.precision;
    return { tokens: f.tokens, inferenceMs, ...(precision ? { precision } : {}) };
  } finally {
    await model.dispose();
  }
}

async function onnxRuntimeCheck(ref: Reference): Promise<CheckOutcome> {
  const { tokens, inferenceMs } = await runTokens(ref.paths.model, ref, { backend: 'onnxruntime' });
  const d = compareTokens(tokens, ref.tokens, ref.case.dim);
  const ok = d.nonFinite === 0 && d.maxAbsDiff <= BARS.onnxruntimeMaxAbs;
  return verdict(ok, `max |diff| ${d.maxAbsDiff.toExponential(2)} against the reference tokens (bar: <= ${BARS.onnxruntimeMaxAbs.toExponential(0)})${d.nonFinite ? `, ${d.nonFinite} NaN/Inf` : ''}`, {
    maxAbsDiff: d.maxAbsDiff,
    minCosine: d.minCosine,
    inferenceMs,
  });
}

/** Precisions this machine's TensorRT cannot build, and why. */
export function tensorrtSkips(tensorrt: string, computeCapability: string): Partial<Record<EnginePrecision, string>> {
  const major = Number(tensorrt.split('.')[0]);
  const strongly = `TensorRT ${tensorrt} is strongly typed and the bundled ONNX is fp32`;
  if (major >= 11) return { fp16: strongly, bf16: strongly };
  const bf16 = bf16Unavailable({ tensorrt, computeCapability });
  return bf16 ? { bf16 } : {};
}

async function tensorrtCheck(onnx: string, note: string, ref: Reference, precision: EnginePrecision, cacheDir: string): Promise<CheckOutcome> {
  const c = ref.case;
  const { tokens, inferenceMs } = await runTokens(onnx, ref, {
    backend: 'tensorrt',
    tensorrt: { precision, sizes: { height: c.h, width: c.w }, cacheDir, minCosine: BARS.reducedMinCosine },
  });
  const d = compareTokens(tokens, ref.tokens, c.dim);
  const m = { maxAbsDiff: d.maxAbsDiff, minCosine: d.minCosine, inferenceMs, onnx: note };
  if (precision === 'fp32') {
    return verdict(d.nonFinite === 0 && d.maxAbsDiff <= BARS.tensorrtFp32MaxAbs, `max |diff| ${d.maxAbsDiff.toExponential(2)} (bar: <= ${BARS.tensorrtFp32MaxAbs.toExponential(0)}); ${note}`, m);
  }
  return verdict(d.nonFinite === 0 && d.minCosine >= BARS.reducedMinCosine, `min per-token cosine ${d.minCosine.toFixed(5)} (bar: >= ${BARS.reducedMinCosine})${d.nonFinite ? `, ${d.nonFinite} NaN/Inf` : ''}; ${note}`, m);
}

export async function conformanceChecks(ref: Reference, workDir = join(tmpdir(), 'dinov3-doctor')): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  results.push(await runCheck('conformance.preprocess', 'CPU preprocessing of the conformance photo reproduces the reference input', () => preprocessCheck(ref)));
  results.push(await runCheck('conformance.onnxruntime', 'ONNX Runtime reproduces the reference tokens', () => onnxRuntimeCheck(ref)));
  const caps = capabilities();
  const unavailable = !caps.cuda.available ? `CUDA is not available (${caps.cuda.reason ?? 'no device'})` : !caps.tensorrt.available ? `TensorRT is not available (${caps.tensorrt.reason ?? 'not built'})` : undefined;
  if (unavailable) {
    results.push(await runCheck('conformance.tensorrt', 'TensorRT reproduces the reference tokens', async () => notRun(unavailable)));
    return results;
  }
  const trt = native().trtInfo().runtimeVersion;
  const cc = caps.cuda.devices[0]?.computeCapability ?? '0.0';
  const skips = tensorrtSkips(trt, cc);
  const onnx = onnxForTensorRT(ref.paths.model, workDir);
  for (const p of ['fp32', 'fp16', 'bf16'] as const) {
    const title = `TensorRT ${p} reproduces the reference tokens`;
    const skip = skips[p];
    results.push(await runCheck(`conformance.tensorrt.${p}`, title, async () => (skip ? notRun(skip) : tensorrtCheck(onnx.path, onnx.note, ref, p, join(workDir, 'engines')))));
  }
  return results;
}
