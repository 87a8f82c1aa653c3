/**
 * The only module that loads the native addon. It declares exactly what the addon exports
 * (see native/addon/*.cc) and loads it through node-gyp-build: the local build in
 * `build/Release/` first (a build made on this machine wins), then the prebuilt binary from
 * `prebuilds/<platform>-<arch>/`.
 * Internal: not part of the public API.
 * @module
 */
import { join } from 'node:path';

import { DinoError } from './errors';

/** A strided view of a Float32Array: `rows` rows of `dim` values starting at `offset`. */
export interface NativeMatrixView {
  data: Float32Array;
  offset: number;
  rows: number;
  dim: number;
  stride: number;
}

/** Pixel formats understood by the native preprocessing (values match native PixelFormat). */
export const NativePixelFormat = { RGB: 0, RGBA: 1, BGR: 2, BGRA: 3, Gray: 4, NV12: 5 } as const;
export type NativePixelFormat = (typeof NativePixelFormat)[keyof typeof NativePixelFormat];

export interface NativeKMeansOptions {
  k: number;
  maxIterations: number;
  restarts: number;
  seed: number;
  tolerance: number;
  init?: Float32Array;
}

export interface NativeKMeansResult {
  labels: Int32Array;
  centroids: Float32Array;
  inertia: number;
  iterations: number;
  converged: boolean;
}

export interface NativePcaOptions {
  components: number;
  iterations: number;
  seed: number;
}

export interface NativePcaResult {
  projections: Float32Array;
  axes: Float32Array;
  mean: Float32Array;
  explainedVariance: Float64Array;
  totalVariance: number;
  bytes: Uint8Array;
}

export interface NativeCancelToken {
  cancel(): void;
  readonly cancelled: boolean;
}

export type NativeDType = 'float32' | 'float16' | 'uint8' | 'int32';

/** CUDA device memory owned (or borrowed) by a JS object. */
export interface NativeDeviceTensor {
  readonly shape: number[];
  readonly dtype: NativeDType;
  readonly byteLength: number;
  readonly disposed: boolean;
  /** Device address (for interop with other CUDA code). */
  readonly pointer: bigint;
  upload(data: Float32Array | Uint16Array | Uint8Array | Int32Array): Promise<void>;
  download(): Promise<Float32Array | Uint16Array | Uint8Array | Int32Array>;
  dispose(): void;
}

export interface NativeDeviceTensorClass {
  allocate(shape: number[], dtype: NativeDType): NativeDeviceTensor;
  fromPointer(pointer: bigint, shape: number[], dtype: NativeDType): NativeDeviceTensor;
}

export interface NativeDeviceView {
  tensor: NativeDeviceTensor;
  offset: number;
  rows: number;
  dim: number;
  stride: number;
}

export interface NativeDeviceFrame {
  tensor: NativeDeviceTensor;
  offset?: number;
  width: number;
  height: number;
  pitch: number;
  format: NativePixelFormat;
  uvOffset?: number;
  uvPitch?: number;
  fullRange?: boolean;
}

export interface NativeModuleStatus {
  compiled: boolean;
  available: boolean;
  version?: string;
  reason?: string;
}

export interface NativeCudaDevice {
  index: number;
  name: string;
  computeCapability: string;
  totalMemory: number;
  multiprocessors: number;
  integrated: boolean;
}

export interface NativeCapabilities {
  cuda: {
    compiled: boolean;
    available: boolean;
    reason?: string;
    runtimeVersion?: number;
    driverVersion?: number;
    devices: NativeCudaDevice[];
  };
  tensorrt: NativeModuleStatus;
  capture: NativeModuleStatus;
  threads: number;
  /** Resize kernel preprocessing uses (DINOV3_RESIZE_KERNEL or the CPU's best) and the ones this CPU can run. */
  preprocess: { kernel: NativeResizeKernel; kernels: NativeResizeKernel[] };
}

// ---- Capture (native/addon/capture_ops.cc; the module is native/capture) ----------------------

/** Options of {@link NativeBinding.captureOpen}. */
export interface NativeCaptureOptions {
  /** Name of the appsink that ends the pipeline (default 'sink'). */
  appsinkName?: string;
  /** Frames waiting to be taken, 1 to 64 (default 2). */
  queueSize?: number;
  /**
   * true (default, live sources): a full queue drops its oldest frame and takeFrame() returns the
   * newest, dropping older ones. false (files): nothing is dropped, the pipeline waits for the
   * consumer and takeFrame() returns frames in order.
   */
  drop?: boolean;
  /** Frames held (taken, not released) at once, 1 to 64 (default 4); takeFrame() throws beyond. */
  maxLeases?: number;
  /** Require the Jetson NVMM zero-copy path (fails when the module was built without it). */
  nvmm?: boolean;
}

/** Events from the capture thread. 'frame' is coalesced: take every waiting frame when it comes. */
export interface NativeCaptureEvent {
  type: 'frame' | 'eos' | 'error';
  /** For 'error': "<element>: <message> (<debug>)". */
  message?: string;
}

export interface NativeCaptureStats {
  /** Samples pulled from the appsink. */
  received: number;
  /** Samples discarded unseen (queue full, or older than a takeFrame() in drop mode). */
  dropped: number;
  /** Frames handed out by takeFrame(). */
  delivered: number;
  /** Frames taken and not yet released. */
  leased: number;
  /** Frames waiting to be taken. */
  queued: number;
}

export type NativeCaptureFormat = 'RGBA' | 'RGBx' | 'BGRA' | 'BGRx' | 'RGB' | 'BGR' | 'GRAY8' | 'NV12' | 'I420';
export type NativeFrameMemory = 'system' | 'nvmm' | 'cuda';

export interface NativeFramePlane {
  /** Byte offset from `data` (system memory) or `devicePointer` (device memory). */
  offset: number;
  /** Bytes between rows. */
  pitch: number;
  /** Rows in this plane (half the height for subsampled chroma). */
  rows: number;
}

/** A lease on one captured buffer: release() it when done (or it counts against maxLeases). */
export interface NativeFrame {
  readonly width: number;
  readonly height: number;
  readonly format: NativeCaptureFormat;
  readonly memory: NativeFrameMemory;
  /** YUV formats: full-range (0-255) rather than limited-range samples. */
  readonly fullRange: boolean;
  /** Pitch of plane 0, in bytes. */
  readonly pitch: number;
  readonly planes: readonly NativeFramePlane[];
  /** Bytes spanned by all planes. */
  readonly byteLength: number;
  /** Presentation timestamp in nanoseconds, -1 when unknown. */
  readonly pts: number;
  /** 0-based index among all received frames (gaps are drops). */
  readonly sequence: number;
  /** System memory: zero-copy view of the mapped buffer, detached (length 0) by release(). */
  readonly data: Uint8Array | null;
  /** nvmm/cuda: CUDA device address of plane 0, valid until release(). */
  readonly devicePointer: bigint | null;
  readonly released: boolean;
  /** Gives the buffer back to the pipeline; idempotent. */
  release(): void;
}

export interface NativeCaptureSource {
  /** Newest (drop mode) or oldest waiting frame, or null. Throws ERR_DINO_SOURCE when maxLeases frames are held, ERR_DINO_DISPOSED after stop(). */
  takeFrame(): NativeFrame | null;
  stats(): NativeCaptureStats;
  /** Stops the capture thread and frees the pipeline off the main thread; idempotent. */
  stop(): Promise<void>;
  /** Keep the process alive while this source runs (the default). */
  ref(): this;
  /** Let the process exit while this source runs. */
  unref(): this;
  /** True from the moment stop() is called. */
  readonly stopped: boolean;
}

// ---- TensorRT (native/addon/tensorrt_ops.cc; the module is native/trt) -------------------------

export type NativeTrtPrecision = 'fp32' | 'fp16' | 'bf16';

export interface NativeTrtBuildOptions {
  precision: NativeTrtPrecision;
  /** Keep LayerNorm/Softmax layers in fp32 in an fp16 build (TensorRT < 11). */
  pinNormsFp32?: boolean;
  /** With pinNormsFp32: also keep the attention MatMuls (Q·Kᵀ and the one applying Softmax to V) in fp32. */
  pinAttentionFp32?: boolean;
  /** [N, 3, H, W] of the optimisation profile. */
  minShape: number[];
  optShape: number[];
  maxShape: number[];
  inputName?: string;
  workspaceBytes?: number;
  timingCache?: Uint8Array;
  /** 0..5 (TensorRT >= 8.6). */
  optimizationLevel?: number;
}

export interface NativeTrtEvent {
  type: 'phase-start' | 'step' | 'phase-finish' | 'log';
  phase?: string;
  parent?: string;
  step?: number;
  /** 0 = unknown */
  steps?: number;
  severity?: 'internal-error' | 'error' | 'warning' | 'info';
  message?: string;
}

export interface NativeTrtLogLine {
  severity: string;
  message: string;
}

export interface NativeTrtBuildResult {
  plan: Buffer;
  timingCache: Buffer;
  precision: NativeTrtPrecision;
  inputName: string;
  /** Layers pinned to fp32. */
  pinnedLayers: number;
  log: NativeTrtLogLine[];
}

export type NativeTrtDType = 'float32' | 'float16' | 'int8' | 'int32' | 'bool' | 'uint8' | 'fp8' | 'bfloat16' | 'int64' | 'int4' | 'unknown';

export interface NativeTrtTensorInfo {
  name: string;
  mode: 'input' | 'output';
  dtype: NativeTrtDType;
  /** -1 where dynamic. */
  shape: number[];
  min?: number[];
  opt?: number[];
  max?: number[];
}

export interface NativeTrtEngine {
  readonly tensors: NativeTrtTensorInfo[];
  readonly deviceMemoryBytes: number;
  readonly disposed: boolean;
  outputShapes(inputShapes: Record<string, number[]>): Record<string, number[]>;
  run(inputs: Record<string, NativeDeviceTensor>, outputs: Record<string, NativeDeviceTensor>, inputShapes?: Record<string, number[]>): Promise<void>;
  dispose(): void;
}

/** Options of {@link NativeBinding.renderField}. */
export interface NativeFieldRender {
  values: Float32Array;
  channels: 1 | 3;
  gridRows: number;
  gridCols: number;
  width: number;
  height: number;
  xLo: Int32Array;
  xHi: Int32Array;
  xW: Float32Array;
  yLo: Int32Array;
  yHi: Int32Array;
  yW: Float32Array;
  /** 256 * 3 bytes: colour through it (1 channel); absent: the values are the bytes. */
  lut?: Uint8Array;
  lo?: number;
  hi?: number;
  threshold?: number;
  photo?: Uint8Array;
  alpha: number;
}

/** Arguments of {@link NativeBinding.preprocess}. */
export interface NativePreprocess {
  pixels: Uint8Array;
  width: number;
  height: number;
  rowBytes: number;
  format: NativePixelFormat;
  outWidth: number;
  outHeight: number;
  mean: Float32Array;
  std: Float32Array;
  out: Float32Array;
  /** Where the tensor starts in `out` (floats). Default 0. */
  outOffset?: number;
  /** Resize kernel: 'auto' (default: the one capabilities().preprocess.kernel names) or one by name. */
  kernel?: NativeResizeKernel | 'auto';
}

/** The resize kernels of native/core/resize_kernels.h; all give the same bytes. */
export type NativeResizeKernel = 'scalar' | 'sse4.1' | 'avx2' | 'neon';

/** Arguments of {@link NativeBinding.overlayLabels}. */
export interface NativeLabelOverlay {
  /** Packed RGB photo, width * height * 3 bytes; absent: the colours alone on black. */
  photo?: Uint8Array | null;
  width: number;
  height: number;
  colOf: Int32Array;
  rowOf: Int32Array;
  labels: Int32Array;
  gridRows: number;
  gridCols: number;
  colours: Uint8Array;
  drawn: Uint8Array;
  alpha: number;
}

/** k nearest neighbours per row, best first: index/similarity hold k entries per row. */
export interface NativeNeighbours {
  k: number;
  index: Int32Array;
  similarity: Float32Array;
}

/** Options of one label-propagation step (native/core/propagation.h). */
export interface NativePropagationOptions {
  rows: number;
  cols: number;
  topk: number;
  temperature: number;
  radius: number;
  circle: boolean;
}

/** Everything the addon exports. */
export interface NativeBinding {
  readonly version: string;
  readonly CancelToken: new () => NativeCancelToken;
  capabilities(): NativeCapabilities;

  /** PIL-exact resize + normalisation into `out` (NCHW float32) at `outOffset` (native/core/preprocess.h). */
  preprocess(options: NativePreprocess): Promise<void>;
  resizeRgb(
    pixels: Uint8Array,
    width: number,
    height: number,
    rowBytes: number,
    format: NativePixelFormat,
    outWidth: number,
    outHeight: number,
  ): Promise<Uint8Array>;
  /** Any pixel format at any pitch to packed RGB (alpha dropped, BGR swapped, gray replicated). */
  toRgb(pixels: Uint8Array, width: number, height: number, rowBytes: number, format: NativePixelFormat): Promise<Uint8Array>;
  /** Which fast decoders {@link NativeBinding.decodeFast} can use: their libraries loaded, else why not. */
  fastDecoders(): Record<'png' | 'jpeg', { available: boolean; library?: string; reason?: string }>;
  /**
   * Decodes, from bytes or a file path read in the same job (native/core/fast_decode.h), an 8-bit
   * RGB(A), non-interlaced PNG without transparency key or ICC profile (libdeflate) or a YCbCr
   * JPEG without ICC profile (libturbojpeg), of at most `maxPixels` pixels. Anything else (another
   * format or kind, a damaged file, a missing library) comes back declined.
   */
  decodeFast(source: Uint8Array | string, maxPixels: number): Promise<{ data: Uint8Array; width: number; height: number; channels: 3 | 4 } | { declined: string }>;
  /**
   * Label overlay at the photo's resolution (native/core/overlay.h): pixel (x, y) takes the label
   * of grid cell (rowOf[y], colOf[x]); k = drawn.length, colours holds 3 bytes per label, alpha
   * is the colour's weight in 1/256 steps. No photo: the colours alone on black.
   */
  overlayLabels(options: NativeLabelOverlay): Promise<Uint8Array>;
  /** Field picture (native/core/field_render.h): upsample a per-patch field and colour it. */
  renderField(options: NativeFieldRender): Promise<Uint8Array>;
  halfToFloat(halves: Uint16Array): Promise<Float32Array>;
  floatToHalf(floats: Float32Array): Promise<Uint16Array>;

  similarity(view: NativeMatrixView, queries: Float32Array, count: number): Promise<Float32Array>;
  kmeans(view: NativeMatrixView, options: NativeKMeansOptions, cancel?: NativeCancelToken): Promise<NativeKMeansResult>;
  assignNearest(view: NativeMatrixView, centroids: Float32Array, k: number): Promise<{ labels: Int32Array; inertia: number }>;
  matchCentroids(previous: Float32Array, current: Float32Array, k: number, dim: number): Int32Array;
  pca(view: NativeMatrixView, options: NativePcaOptions, cancel?: NativeCancelToken): Promise<NativePcaResult>;

  /** k nearest neighbours under cosine similarity, both ways (native/core/correspondence.h). */
  nearestNeighbours(a: NativeMatrixView, b: NativeMatrixView, k: number): Promise<{ aToB: NativeNeighbours; bToA: NativeNeighbours }>;
  /** Rows scaled to unit length, dense. */
  normalizeRows(view: NativeMatrixView): Promise<Float32Array>;
  /**
   * One label-propagation step: `context` holds `frames` normalised feature matrices back to
   * back, `contextProbs` their soft labels; returns the current frame's normalised features and
   * soft labels.
   */
  propagateLabels(
    current: NativeMatrixView,
    context: Float32Array,
    frames: number,
    contextProbs: Float32Array,
    labels: number,
    options: NativePropagationOptions,
  ): Promise<{ features: Float32Array; probs: Float32Array }>;

  readonly DeviceTensor: NativeDeviceTensorClass;
  cudaSimilarity(view: NativeDeviceView, queries: Float32Array, count: number): Promise<Float32Array>;
  cudaKmeans(view: NativeDeviceView, options: NativeKMeansOptions, cancel?: NativeCancelToken): Promise<NativeKMeansResult>;
  cudaAssignNearest(view: NativeDeviceView, centroids: Float32Array, k: number): Promise<{ labels: Int32Array; inertia: number }>;
  cudaPca(view: NativeDeviceView, options: NativePcaOptions, cancel?: NativeCancelToken): Promise<NativePcaResult>;
  cudaDownloadMatrix(view: NativeDeviceView): Promise<Float32Array>;
  /** NaN/Infinity values of a device matrix, counted on the GPU; firstIndex -1 when none. */
  cudaCountNonFinite(view: NativeDeviceView): Promise<{ count: number; firstIndex: number }>;
  /** Present when the addon was built with CUDA: nearestNeighbours on two device views. */
  cudaNearestNeighbours?(a: NativeDeviceView, b: NativeDeviceView, k: number): Promise<{ aToB: NativeNeighbours; bToA: NativeNeighbours }>;
  cudaPreprocess(
    frame: NativeDeviceFrame,
    outWidth: number,
    outHeight: number,
    mean: Float32Array,
    std: Float32Array,
    out: NativeDeviceTensor,
    outOffset: number,
  ): Promise<void>;

  /** TensorRT versions: headers the module was built with, libnvinfer loaded now. */
  trtInfo(): { compiledVersion: string; runtimeVersion: string; abi: number };
  trtBuildEngine(
    onnxPath: string,
    options: NativeTrtBuildOptions,
    onEvent?: ((event: NativeTrtEvent) => void) | null,
    cancel?: NativeCancelToken | null,
  ): Promise<NativeTrtBuildResult>;
  trtLoadEngine(plan: Uint8Array): Promise<NativeTrtEngine>;

  /** Initialises GStreamer on a worker thread. Rejects with ERR_DINO_SOURCE when capture is unavailable. */
  captureInit(): Promise<{ gstreamer: string; nvmm: boolean }>;
  /** Parses `pipeline` (gst-launch syntax ending in an appsink) and starts capturing. */
  captureOpen(
    pipeline: string,
    options: NativeCaptureOptions | undefined,
    onEvent: (event: NativeCaptureEvent) => void,
  ): NativeCaptureSource;
}

/** Root of the installed package (holds package.json, build/ and prebuilds/). */
export const packageRoot = join(__dirname, '..');

let cached: NativeBinding | undefined;

/**
 * Loads the addon once. Failure gives one message listing what was tried and how to fix it.
 */
export function native(): NativeBinding {
  if (cached) return cached;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = require('node-gyp-build') as (dir: string) => unknown;
  try {
    cached = load(packageRoot) as NativeBinding;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new DinoError(
      'ERR_DINO_NATIVE_LOAD',
      [
        `Could not load the dinov3-trt native addon for ${process.platform}-${process.arch} (Node ${process.version}, N-API 8).`,
        `Tried: ${join(packageRoot, 'build', 'Release')} and ${join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`)}.`,
        `Reason: ${reason}`,
        'Possible solutions:',
        '- Build it from source: `npm rebuild dinov3-trt` (needs a C++17 compiler; CMake and nvcc are optional).',
        '- npm 11 may skip install scripts of dependencies: `npm install-scripts approve dinov3-trt`, then `npm rebuild dinov3-trt`.',
        '- Force the plain node-gyp (CPU-only) build: `DINOV3_BUILDER=gyp npm rebuild dinov3-trt`.',
        '- See docs/TROUBLESHOOTING.md for JetPack and prebuilt-binary issues.',
      ].join('\n'),
      { cause: err },
    );
  }
  return cached;
}
