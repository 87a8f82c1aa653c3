/**
 * The backend interface: something that runs a DINOv3 ONNX graph. ONNX Runtime (CPU, any
 * machine) and TensorRT (NVIDIA GPUs, Jetson) implement it; the Model on top normalises their
 * outputs into Features.
 * @module
 */
import type { NativeDeviceTensor } from '../binding';

/** Names of the inference backends. */
export type BackendName = 'onnxruntime' | 'tensorrt';

/** Element types of model inputs and outputs that this library handles. */
export type TensorType = 'float32' | 'float16';

/** One input or output of the graph as the backend reports it. */
export interface IoInfo {
  name: string;
  type: string;
  /** Dimensions; symbolic or unknown ones are strings or -1. */
  shape: (number | string)[];
}

/** A tensor in host memory. float16 data is carried as raw Uint16 bits. */
export interface HostTensor {
  location: 'cpu';
  type: TensorType;
  dims: number[];
  data: Float32Array | Uint16Array;
  /** The caller gives the buffer away: a backend may transfer (detach) it instead of copying. */
  transferable?: boolean;
}

/** A tensor in CUDA memory. */
export interface DeviceTensorRef {
  location: 'cuda';
  type: TensorType;
  dims: number[];
  tensor: NativeDeviceTensor;
}

export type BackendTensor = HostTensor | DeviceTensorRef;

/** What a run returns: named outputs and the time spent in the backend itself. */
export interface BackendResult {
  outputs: Record<string, BackendTensor>;
  /** Wall time of the inference call inside the backend, in ms. */
  runMs: number;
}

export interface Backend {
  readonly name: BackendName;
  readonly inputs: readonly IoInfo[];
  readonly outputs: readonly IoInfo[];
  /** Runs this backend executes at once (the Model queues the rest). */
  readonly concurrency: number;
  /** Runs the graph on one input tensor and returns the requested outputs. */
  run(inputName: string, input: BackendTensor, fetches: readonly string[], signal?: AbortSignal): Promise<BackendResult>;
  /** Releases the session/engine; waits for runs in flight. */
  dispose(): Promise<void>;
}
