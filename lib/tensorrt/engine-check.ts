/**
 * The accuracy check of a freshly built engine: its outputs on the probe (the conformance photo)
 * against ONNX Runtime fp32's on the same input, per token.
 * Internal: not part of the public API.
 * @module
 */
import { native, NativePixelFormat } from '../binding';
import { DinoError } from '../errors';
import type { Backend, HostTensor } from '../backends/backend';
import { TensorRtBackend } from '../backends/tensorrt';
import { bundledPhoto } from '../conformance/bundled';
import { decodeImage, nativeFormat } from '../image/input';
import type { ModelContract } from '../model/contract';
import { accuracyReport, compareRows, probePixels, type AccuracyReport } from './accuracy';
import type { Profile } from './profile';

/** The probe input and what it is. */
export interface Probe {
  tensor: HostTensor;
  source: string;
}

/**
 * The accuracy probe: the conformance photo shipped with the package, resized by the same
 * preprocessing as extract() to the profile's opt size (falling back to a synthetic image only
 * when the photo is missing from the install).
 */
export async function probeInput(contract: ModelContract, profile: Profile, mean: readonly number[], std: readonly number[]): Promise<Probe> {
  const [n, , h, w] = profile.opt as [number, number, number, number];
  const photo = bundledPhoto();
  let src: { pixels: Uint8Array; width: number; height: number; rowBytes: number; format: NativePixelFormat };
  if (photo) {
    const img = await decodeImage(photo);
    src = { pixels: img.data, width: img.width, height: img.height, rowBytes: img.rowBytes, format: nativeFormat(img.format) };
  } else {
    src = { pixels: probePixels(w, h), width: w, height: h, rowBytes: w * 3, format: NativePixelFormat.RGB };
  }
  const one = new Float32Array(3 * h * w);
  await native().preprocess({ ...src, outWidth: w, outHeight: h, mean: new Float32Array(mean), std: new Float32Array(std), out: one });
  const batch = new Float32Array(n * one.length);
  for (let i = 0; i < n; i++) batch.set(one, i * one.length);
  const dims = [n, 3, h, w];
  const tensor: HostTensor =
    contract.inputType === 'float16'
      ? { location: 'cpu', type: 'float16', dims, data: await native().floatToHalf(batch) }
      : { location: 'cpu', type: 'float32', dims, data: batch };
  return { tensor, source: photo ? 'the conformance photo' : 'a synthetic image (the conformance photo is missing from this install)' };
}

export interface HostOutput {
  data: Float32Array;
  dims: number[];
}

export async function hostOutputs(backend: Backend, contract: ModelContract, input: HostTensor): Promise<Record<string, HostOutput>> {
  const result = await backend.run(contract.inputName, input, contract.fetches);
  const out: Record<string, HostOutput> = {};
  for (const [name, t] of Object.entries(result.outputs)) {
    let data: Float32Array | Uint16Array;
    if (t.location === 'cuda') {
      data = (await t.tensor.download()) as Float32Array | Uint16Array;
      t.tensor.dispose();
    } else {
      data = t.data;
    }
    out[name] = { data: t.type === 'float16' ? await native().halfToFloat(data as Uint16Array) : (data as Float32Array), dims: t.dims };
  }
  return out;
}

/** Runs the plan on the probe and compares every output with ONNX Runtime's, row by row. */
export async function checkEngine(plan: Uint8Array, contract: ModelContract, probe: Probe, expected: Record<string, HostOutput>, minCosine: number): Promise<AccuracyReport> {
  const engine = await TensorRtBackend.fromPlan(plan);
  try {
    const actual = await hostOutputs(engine, contract, probe.tensor);
    const parts = contract.fetches.map((name) => {
      const ref = expected[name] as HostOutput;
      const got = actual[name];
      if (!got || got.dims.join() !== ref.dims.join()) {
        throw new DinoError('ERR_DINO_ENGINE_BUILD', `The engine's ${name} has shape [${got?.dims.join(', ')}], ONNX Runtime's [${ref.dims.join(', ')}]`);
      }
      // One row per token (per batch item for 2-D outputs such as the CLS token).
      return compareRows(got.data, ref.data, ref.dims[ref.dims.length - 1] as number);
    });
    return { ...accuracyReport(parts, minCosine, probe.tensor.dims), probe: probe.source };
  } finally {
    await engine.dispose();
  }
}
