/**
 * TensorRT backend: runs a deserialized engine on the GPU. Inputs may already be in CUDA
 * memory (GPU preprocessing, camera frames); outputs stay in CUDA memory as DeviceTensors so
 * the CUDA similarity/k-means/PCA kernels read them in place.
 * @module
 */
import { native, type NativeDeviceTensor, type NativeTrtEngine, type NativeTrtTensorInfo } from '../binding';
import { DinoError, toDinoError } from '../errors';
import type { Backend, BackendResult, BackendTensor, DeviceTensorRef, IoInfo, TensorType } from './backend';

const SYMBOLIC = ['batch', 'channels', 'height', 'width'];

function ioInfo(t: NativeTrtTensorInfo): IoInfo {
  return {
    name: t.name,
    type: t.dtype,
    shape: t.shape.map((d, i) => (d >= 0 ? d : t.mode === 'input' ? (SYMBOLIC[i] ?? `d${i}`) : `${t.name}_${i}`)),
  };
}

function tensorType(dtype: string, what: string): TensorType {
  if (dtype === 'float32' || dtype === 'float16') return dtype;
  throw new DinoError('ERR_DINO_INVALID_MODEL', `${what} has type ${dtype}; expected float32 or float16`);
}

export class TensorRtBackend implements Backend {
  readonly name = 'tensorrt' as const;
  readonly inputs: readonly IoInfo[];
  readonly outputs: readonly IoInfo[];
  /** One inference at a time: the GPU runs them one after another anyway; the CPU-side work of
   * the next call (decode, upload, preprocessing) overlaps it. */
  readonly concurrency = 1;
  readonly #engine: NativeTrtEngine;
  #inFlight = 0;
  #idle: Array<() => void> = [];

  private constructor(engine: NativeTrtEngine) {
    this.#engine = engine;
    this.inputs = engine.tensors.filter((t) => t.mode === 'input').map(ioInfo);
    this.outputs = engine.tensors.filter((t) => t.mode === 'output').map(ioInfo);
  }

  /** Deserializes a plan. @throws DinoError ERR_DINO_ENGINE_CORRUPT */
  static async fromPlan(plan: Uint8Array): Promise<TensorRtBackend> {
    const stack = new Error();
    try {
      return new TensorRtBackend(await native().trtLoadEngine(plan));
    } catch (err) {
      throw toDinoError(err, 'ERR_DINO_ENGINE_CORRUPT', stack);
    }
  }

  /** The engine's element type of a tensor. */
  dtypeOf(name: string): TensorType {
    const t = this.#engine.tensors.find((x) => x.name === name);
    if (!t) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `The engine has no tensor ${name}`);
    return tensorType(t.dtype, `Engine tensor ${name}`);
  }

  /** The engine's optimisation profile of an input: [N, 3, H, W] min/opt/max. */
  profileOf(name: string): { min: number[]; opt: number[]; max: number[] } | undefined {
    const t = this.#engine.tensors.find((x) => x.name === name);
    return t?.min && t.opt && t.max ? { min: t.min, opt: t.opt, max: t.max } : undefined;
  }

  async run(inputName: string, input: BackendTensor, fetches: readonly string[], signal?: AbortSignal): Promise<BackendResult> {
    const stack = new Error();
    if (this.#engine.disposed) throw new DinoError('ERR_DINO_DISPOSED', 'The TensorRT engine has been disposed');
    if (signal?.aborted) throw new DinoError('ERR_DINO_ABORTED', 'Inference was aborted', { cause: signal.reason });
    const b = native();
    const owned: NativeDeviceTensor[] = [];
    this.#inFlight++;
    try {
      const inputType = this.dtypeOf(inputName);
      let device: NativeDeviceTensor;
      if (input.location === 'cuda') {
        if (input.type !== inputType) {
          throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `The engine's input ${inputName} is ${inputType}; got a ${input.type} device tensor`);
        }
        device = input.tensor;
      } else {
        const data = inputType === 'float16' && input.type === 'float32' ? await b.floatToHalf(input.data as Float32Array) : input.data;
        device = b.DeviceTensor.allocate(input.dims, inputType);
        owned.push(device);
        await device.upload(data);
      }
      const shapes = this.#engine.outputShapes({ [inputName]: input.dims });
      const outputs: Record<string, DeviceTensorRef> = {};
      const targets: Record<string, NativeDeviceTensor> = {};
      for (const name of fetches) {
        const dims = shapes[name];
        if (!dims) throw new DinoError('ERR_DINO_INVALID_MODEL', `The engine has no output ${name}`);
        const type = this.dtypeOf(name);
        const tensor = b.DeviceTensor.allocate(dims, type);
        owned.push(tensor);
        targets[name] = tensor;
        outputs[name] = { location: 'cuda', type, dims, tensor };
      }
      const start = performance.now();
      await this.#engine.run({ [inputName]: device }, targets, { [inputName]: input.dims });
      const runMs = performance.now() - start;
      if (signal?.aborted) throw new DinoError('ERR_DINO_ABORTED', 'Inference was aborted', { cause: signal.reason });
      // The outputs now belong to the caller; only the uploaded input is ours to free.
      for (const t of owned) if (!Object.values(targets).includes(t)) t.dispose();
      return { outputs, runMs };
    } catch (err) {
      for (const t of owned) t.dispose();
      throw toDinoError(err, 'ERR_DINO_BACKEND', stack, 'TensorRT inference failed');
    } finally {
      if (--this.#inFlight === 0) {
        const idle = this.#idle;
        this.#idle = [];
        for (const f of idle) f();
      }
    }
  }

  async dispose(): Promise<void> {
    if (this.#inFlight > 0) await new Promise<void>((r) => this.#idle.push(r));
    this.#engine.dispose();
  }
}
