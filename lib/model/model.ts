/**
 * Model: a loaded DINOv3 ONNX model on a backend, turning images into {@link Features}.
 * @module
 */
import { stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';

import { native } from '../binding';
import { DinoError, toDinoError } from '../errors';
import type { Backend, BackendName, BackendTensor, HostTensor } from '../backends/backend';
import { createBackend } from '../backends/select';
import type { EngineInfo } from '../tensorrt/build-engine';
import { checkInProfile } from '../tensorrt/profile';
import { Features, type FeatureTimings } from '../features';
import { checkDeviceImage, type CheckedDeviceImage, type DeviceImage } from '../image/device-image';
import { decodeImage, nativeFormat, type DecodedImage, type ImageInput } from '../image/input';
import { DEFAULTS, type ExtractOptions, type LoadOptions } from '../options';
import { Limiter } from '../util/limiter';
import { checkPatchMultiple, formatSize, parseSize, type Size } from '../util/size';
import { boolean, integer, invalid, isObject, oneOf, signalArg, throwIfAborted } from '../validate';
import { detectContract, probeSize, resolveContract, type ResolvedContract } from './contract';
import { readGraphFacts, type GraphSummary } from './graph-facts';
import { pipelined } from './pipelined';
import { readPreprocessorConfig } from './preprocessor-config';
import { tokensFromOutputs } from './tokens';

/** What a loaded model is. */
export interface ModelInfo {
  /** Absolute path of the ONNX file. */
  path: string;
  backend: BackendName;
  patchSize: number;
  /** Feature dimension. */
  dim: number;
  /** Register tokens. */
  registers: number;
  inputName: string;
  inputType: 'float32' | 'float16';
  outputLayout: 'last_hidden_state' | 'reference';
  /** Size the graph is fixed to, or undefined when height/width are dynamic. */
  fixedSize: Size | undefined;
  /** Default input size of extract(). */
  defaultSize: Size;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** Facts from the graph itself (opset, layers, LayerNormalization/If nodes, parameters). */
  graph: GraphSummary;
  /** The TensorRT engine, when the backend is TensorRT. */
  engine: EngineInfo | undefined;
  /** Why backend 'auto' did not choose TensorRT, when it did not. */
  fallbackReason: string | undefined;
}

const now = (): number => performance.now();

/**
 * A DINOv3 model ready to extract features. Create with {@link loadModel}; call
 * {@link Model.dispose} (or use `await using`) when done.
 */
export class Model {
  readonly info: ModelInfo;
  readonly #backend: Backend;
  readonly #contract: ResolvedContract;
  readonly #limiter: Limiter;
  readonly #mean: Float32Array;
  readonly #std: Float32Array;
  readonly #decode: LoadOptions['decode'];
  #disposed = false;
  #inFlight = 0;
  #drained: Array<() => void> = [];

  /** @internal */
  constructor(info: ModelInfo, backend: Backend, contract: ResolvedContract, options: LoadOptions) {
    this.info = info;
    this.#backend = backend;
    this.#contract = contract;
    this.#limiter = new Limiter(backend.concurrency, options.maxQueue ?? DEFAULTS.maxQueue);
    this.#mean = new Float32Array(info.mean);
    this.#std = new Float32Array(info.std);
    this.#decode = options.decode;
  }

  /** Backend in use. */
  get backend(): BackendName {
    return this.#backend.name;
  }

  /**
   * The largest batch one inference takes: a TensorRT engine's profile maximum (build the
   * engine with `batch: { min: 1, opt: N, max: N }` to batch N streams), the batch a graph is
   * fixed to, else unlimited (Infinity). Multi-source pipelines split their rounds to fit.
   */
  get maxBatch(): number {
    return this.#contract.fixedBatch ?? this.info.engine?.profile.max[0] ?? Infinity;
  }

  /**
   * Inferences this model runs at once (ONNX Runtime: its `sessions`; TensorRT: 1). Pipelines
   * keep this many frames in inference.
   */
  get concurrency(): number {
    return this.#backend.concurrency;
  }

  /**
   * Extracts features of one image, or of several images. Several images run as one batch (one
   * inference) on TensorRT, for raw pixels and for fixed-batch models; on ONNX Runtime, images to
   * decode (paths, encoded buffers) run one by one, pipelined: the next images are decoded and
   * preprocessed while the current one is inferred (same features, less time: docs/BENCHMARKS.md).
   * @example
   * ```ts
   * const f = await model.extract('photo.jpg', { size: 448 });
   * console.log(f.grid, f.cls.length);
   * ```
   */
  extract(image: ImageInput, options?: ExtractOptions): Promise<Features>;
  extract(images: readonly ImageInput[], options?: ExtractOptions): Promise<Features[]>;
  async extract(images: ImageInput | readonly ImageInput[], options: ExtractOptions = {}): Promise<Features | Features[]> {
    const many = Array.isArray(images);
    const list = (many ? images : [images]) as readonly ImageInput[];
    if (list.length === 0) invalid('images', 'at least one image', images);
    if (list.length > 1 && this.#pipelines(list)) return this.#extractPipelined(list, options);
    const result = await this.#track(async () => {
      const start = now();
      const size = this.#sizeFor(options.size, list.length);
      const signal = signalArg(options.signal, 'signal');
      throwIfAborted(signal, 'extract');
      const decodeStart = now();
      const decoded = await Promise.all(list.map((img) => decodeImage(img, options.decode ?? this.#decode ?? {})));
      const decodeMs = list.some((i) => typeof i === 'string' || !isObject(i) || i instanceof Uint8Array) ? now() - decodeStart : 0;
      throwIfAborted(signal, 'extract');
      const prepStart = now();
      const input = await this.#preprocess(decoded, size);
      const preprocessMs = now() - prepStart;
      return this.#infer(input, size, decoded.map((d) => ({ height: d.height, width: d.width })), signal, {
        decodeMs,
        preprocessMs,
        start,
      });
    });
    return many ? result : (result[0] as Features);
  }

  /**
   * Whether extract() of several images runs them one by one, pipelined: on ONNX Runtime (CPU:
   * a batch costs what its images cost one by one, and the next images' decoding and
   * preprocessing overlap the current inference, on another session too with `sessions` > 1),
   * for a model without a fixed batch, when some image needs decoding (raw frames have little to
   * overlap and keep one inference per call, as the multi-stream pipeline expects).
   */
  #pipelines(list: readonly ImageInput[]): boolean {
    return (
      this.#backend.name !== 'tensorrt' &&
      this.#contract.fixedBatch === undefined &&
      list.some((i) => typeof i === 'string' || i instanceof Uint8Array)
    );
  }

  /** extract() of several images, pipelined (see #pipelines): each image is its own inference. */
  async #extractPipelined(list: readonly ImageInput[], options: ExtractOptions): Promise<Features[]> {
    return this.#track(async () => {
      const start = now();
      const size = this.#sizeFor(options.size, 1);
      const signal = signalArg(options.signal, 'signal');
      throwIfAborted(signal, 'extract');
      const decodeOptions = options.decode ?? this.#decode ?? {};
      const prepare = async (i: number): Promise<{ input: BackendTensor; image: Size; decodeMs: number; preprocessMs: number }> => {
        throwIfAborted(signal, 'extract');
        const item = list[i] as ImageInput;
        const decodeStart = now();
        const decoded = await decodeImage(item, decodeOptions);
        const decodeMs = typeof item === 'string' || item instanceof Uint8Array ? now() - decodeStart : 0;
        throwIfAborted(signal, 'extract');
        const prepStart = now();
        const input = await this.#preprocess([decoded], size);
        return { input, image: { height: decoded.height, width: decoded.width }, decodeMs, preprocessMs: now() - prepStart };
      };
      const features = await pipelined(list.length, { ahead: this.#backend.concurrency + 1, inferring: this.#backend.concurrency }, prepare, async (p) => {
        const [f] = await this.#infer(p.input, size, [p.image], signal, { decodeMs: p.decodeMs, preprocessMs: p.preprocessMs, start });
        return f as Features;
      });
      return features;
    });
  }

  /**
   * Runs an already preprocessed NCHW float32 tensor ([batch, 3, height, width]) — e.g. the
   * conformance inputs — and returns one Features per batch item.
   */
  async extractTensor(tensor: Float32Array, shape: readonly number[], options: Pick<ExtractOptions, 'signal'> = {}): Promise<Features[]> {
    if (!(tensor instanceof Float32Array)) invalid('tensor', 'a Float32Array', tensor);
    if (!Array.isArray(shape) || shape.length !== 4 || shape[1] !== 3) invalid('shape', '[batch, 3, height, width]', shape);
    const [batch, , height, width] = shape.map((d, i) => integer(d, `shape[${i}]`, 1)) as [number, number, number, number];
    if (tensor.length !== batch * 3 * height * width) {
      throw new DinoError(
        'ERR_DINO_SHAPE_MISMATCH',
        `Tensor holds ${tensor.length} values but shape [${shape.join(', ')}] needs ${batch * 3 * height * width}`,
      );
    }
    return this.#track(async () => {
      const start = now();
      const size = this.#sizeFor({ height, width }, batch);
      const signal = signalArg(options.signal, 'signal');
      const input = await this.#toInputType(tensor, [batch, 3, height, width]);
      return this.#infer(input, size, new Array<Size>(batch).fill(size), signal, { decodeMs: 0, preprocessMs: 0, start });
    });
  }

  /**
   * Extracts features of images already in CUDA memory (your own CUDA buffers, GStreamer CUDA
   * memory, Jetson NVMM camera frames via `frame.toDeviceImage()`): the CUDA preprocessing kernel
   * reads them in place. With TensorRT the whole path stays on the GPU; with ONNX Runtime the
   * preprocessed tensor is copied to the host once.
   * @throws DinoError ERR_DINO_CUDA_UNAVAILABLE without a CUDA device
   */
  extractDevice(image: DeviceImage, options?: Pick<ExtractOptions, 'size' | 'signal'>): Promise<Features>;
  extractDevice(images: readonly DeviceImage[], options?: Pick<ExtractOptions, 'size' | 'signal'>): Promise<Features[]>;
  async extractDevice(images: DeviceImage | readonly DeviceImage[], options: Pick<ExtractOptions, 'size' | 'signal'> = {}): Promise<Features | Features[]> {
    const many = Array.isArray(images);
    const list = ((many ? images : [images]) as readonly DeviceImage[]).map(checkDeviceImage);
    if (list.length === 0) invalid('images', 'at least one image', images);
    const result = await this.#track(async () => {
      const start = now();
      const size = this.#sizeFor(options.size, list.length);
      const signal = signalArg(options.signal, 'signal');
      throwIfAborted(signal, 'extractDevice');
      const prepStart = now();
      let input = await this.#preprocessOnDevice(list, size);
      if (this.#backend.name !== 'tensorrt' && input.location === 'cuda') {
        const device = input.tensor;
        try {
          const data = (await device.download()) as Float32Array | Uint16Array;
          input = { location: 'cpu', type: input.type, dims: input.dims, data, transferable: true };
        } finally {
          device.dispose();
        }
      }
      const preprocessMs = now() - prepStart;
      return this.#infer(input, size, list.map((d) => ({ height: d.height, width: d.width })), signal, { decodeMs: 0, preprocessMs, start });
    });
    return many ? result : (result[0] as Features);
  }

  /** Waits for calls in flight, then releases the backend. Later calls throw ERR_DINO_DISPOSED. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#inFlight > 0) await new Promise<void>((r) => this.#drained.push(r));
    await this.#backend.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  async #track<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#disposed) throw new DinoError('ERR_DINO_DISPOSED', 'The model has been disposed');
    this.#inFlight++;
    try {
      return await fn();
    } finally {
      if (--this.#inFlight === 0) {
        const waiters = this.#drained;
        this.#drained = [];
        for (const w of waiters) w();
      }
    }
  }

  #sizeFor(requested: ExtractOptions['size'], batch: number): Size {
    const size = requested === undefined ? this.info.defaultSize : parseSize(requested);
    checkPatchMultiple(size, this.#contract.patchSize);
    const fixed = this.#contract.fixedSize;
    if (fixed && (fixed.height !== size.height || fixed.width !== size.width)) {
      throw new DinoError(
        'ERR_DINO_SHAPE_MISMATCH',
        `This model is exported for ${formatSize(fixed)} inputs only; got ${formatSize(size)} (re-export with dynamic height/width for other sizes)`,
      );
    }
    if (this.#contract.fixedBatch !== undefined && this.#contract.fixedBatch !== batch) {
      throw new DinoError('ERR_DINO_SHAPE_MISMATCH', `This model takes batches of exactly ${this.#contract.fixedBatch}; got ${batch}`);
    }
    if (this.info.engine) checkInProfile([batch, 3, size.height, size.width], this.info.engine.profile);
    return size;
  }

  async #preprocess(images: readonly DecodedImage[], size: Size): Promise<BackendTensor> {
    if (this.#backend.name === 'tensorrt') return this.#preprocessOnDevice(images, size);
    const plane = 3 * size.height * size.width;
    const batch = new Float32Array(images.length * plane);
    const stack = new Error();
    try {
      await Promise.all(
        images.map((img, i) =>
          native().preprocess({
            pixels: img.data,
            width: img.width,
            height: img.height,
            rowBytes: img.rowBytes,
            format: nativeFormat(img.format),
            outWidth: size.width,
            outHeight: size.height,
            mean: this.#mean,
            std: this.#std,
            out: batch,
            outOffset: i * plane,
          }),
        ),
      );
    } catch (err) {
      throw toDinoError(err, 'ERR_DINO_INVALID_IMAGE', stack, 'Preprocessing failed');
    }
    const input = await this.#toInputType(batch, [images.length, 3, size.height, size.width]);
    return { ...input, transferable: true }; // nobody else holds the batch buffer
  }

  /**
   * TensorRT: upload each image's 8-bit pixels once and let the CUDA preprocessing kernel (the
   * same PIL-exact arithmetic as the CPU) write the engine's input tensor in place.
   */
  async #preprocessOnDevice(images: readonly (DecodedImage | CheckedDeviceImage)[], size: Size): Promise<BackendTensor> {
    const b = native();
    const type = this.#contract.inputType;
    const plane = 3 * size.height * size.width;
    const dims = [images.length, 3, size.height, size.width];
    const stack = new Error();
    let input;
    try {
      input = b.DeviceTensor.allocate(dims, type);
    } catch (err) {
      throw toDinoError(err, 'ERR_DINO_CUDA', stack, 'GPU preprocessing failed');
    }
    try {
      await Promise.all(
        images.map(async (img, i) => {
          // Device images are read where they are; host pixels are uploaded once.
          const onDevice = 'devicePointer' in img;
          const bytes = onDevice ? img.bytes : img.rowBytes * img.height;
          const pixels = onDevice ? b.DeviceTensor.fromPointer(img.devicePointer, [bytes], 'uint8') : b.DeviceTensor.allocate([bytes], 'uint8');
          try {
            if (!onDevice) await pixels.upload(img.data.subarray(0, bytes));
            await b.cudaPreprocess(
              onDevice
                ? { tensor: pixels, width: img.width, height: img.height, pitch: img.pitch, format: img.nativeFormat, ...(img.uvOffset === undefined ? {} : { uvOffset: img.uvOffset }), ...(img.uvPitch === undefined ? {} : { uvPitch: img.uvPitch }), fullRange: img.fullRange ?? false }
                : { tensor: pixels, width: img.width, height: img.height, pitch: img.rowBytes, format: nativeFormat(img.format) },
              size.width,
              size.height,
              this.#mean,
              this.#std,
              input,
              i * plane,
            );
          } finally {
            pixels.dispose(); // a borrowed pointer is never freed, only forgotten
          }
        }),
      );
    } catch (err) {
      input.dispose();
      throw toDinoError(err, 'ERR_DINO_CUDA', stack, 'GPU preprocessing failed');
    }
    return { location: 'cuda', type, dims, tensor: input };
  }


  async #toInputType(data: Float32Array, dims: number[]): Promise<HostTensor> {
    if (this.#contract.inputType === 'float16') {
      return { location: 'cpu', type: 'float16', dims, data: await native().floatToHalf(data) };
    }
    return { location: 'cpu', type: 'float32', dims, data };
  }

  async #infer(
    input: BackendTensor,
    size: Size,
    imageSizes: readonly Size[],
    signal: AbortSignal | undefined,
    t: { decodeMs: number; preprocessMs: number; start: number },
  ): Promise<Features[]> {
    const c = this.#contract;
    let result;
    try {
      result = await this.#limiter.run(() => this.#backend.run(c.inputName, input, c.fetches, signal), signal);
    } finally {
      if (input.location === 'cuda') input.tensor.dispose(); // the preprocessed batch is ours
    }
    const grid = { rows: size.height / c.patchSize, cols: size.width / c.patchSize };
    const stores = await tokensFromOutputs(c, result.outputs, imageSizes.length, grid.rows * grid.cols);
    const timings: FeatureTimings = {
      decodeMs: t.decodeMs,
      preprocessMs: t.preprocessMs,
      inferenceMs: result.runMs,
      totalMs: now() - t.start,
    };
    return stores.map(
      (store, i) =>
        new Features({
          store,
          grid,
          dim: c.dim,
          registers: c.registers,
          patchSize: c.patchSize,
          inputSize: size,
          imageSize: imageSizes[i] ?? size,
          timings,
          backend: this.#backend.name,
        }),
    );
  }
}

/**
 * Loads a DINOv3 ONNX model. The model contract (input name, output layout, patch size,
 * register count, dim) is detected from the file and checked with a probe run.
 *
 * @example
 * ```ts
 * import { loadModel } from 'dinov3-trt';
 * const model = await loadModel('dinov3-vits16.onnx');
 * const features = await model.extract('cat.jpg');
 * await model.dispose();
 * ```
 * @throws DinoError ERR_DINO_FILE_NOT_FOUND, ERR_DINO_INVALID_MODEL, ERR_DINO_NO_BACKEND
 */
export async function loadModel(path: string, options: LoadOptions = {}): Promise<Model> {
  if (typeof path !== 'string' || path.length === 0) invalid('path', 'the path of an ONNX file', path);
  if (!isObject(options as unknown)) invalid('options', 'an options object', options);
  if (options.threads !== undefined) integer(options.threads, 'threads', 1, 1024);
  if (options.sessions !== undefined) integer(options.sessions, 'sessions', 1, 64);
  if (options.spinning !== undefined) boolean(options.spinning, 'spinning');
  if (options.interOpThreads !== undefined) integer(options.interOpThreads, 'interOpThreads', 1, 1024);
  if (options.executionMode !== undefined) oneOf(options.executionMode, 'executionMode', ['sequential', 'parallel'] as const);
  if (options.maxQueue !== undefined) integer(options.maxQueue, 'maxQueue', 0);
  const abs = resolvePath(path);
  try {
    const s = await stat(abs);
    if (!s.isFile()) throw new Error('not a file');
  } catch (err) {
    throw new DinoError('ERR_DINO_FILE_NOT_FOUND', `Model file not found: ${abs}`, { cause: err });
  }
  const graph = await readGraphFacts(abs);
  const { backend, engine, fallbackReason } = await createBackend(abs, options, graph);
  try {
    const contract = detectContract(backend.inputs, backend.outputs, graph);
    // A TensorRT engine only takes sizes inside its profile: probe at the size it was optimised for.
    const opt = engine?.profile.opt;
    const probe = opt ? { height: opt[2] as number, width: opt[3] as number } : probeSize(contract);
    const probeBatch = opt ? (opt[0] as number) : (contract.fixedBatch ?? 1);
    const probeInput: HostTensor =
      contract.inputType === 'float16'
        ? { location: 'cpu', type: 'float16', dims: [probeBatch, 3, probe.height, probe.width], data: new Uint16Array(probeBatch * 3 * probe.height * probe.width) }
        : { location: 'cpu', type: 'float32', dims: [probeBatch, 3, probe.height, probe.width], data: new Float32Array(probeBatch * 3 * probe.height * probe.width) };
    // One probe per concurrent session (each run goes to an idle one): every session is checked
    // and warmed up.
    const probes = await Promise.all(
      Array.from({ length: backend.concurrency }, () =>
        backend.run(contract.inputName, probeInput, contract.fetches).catch((err: unknown) => {
          throw toDinoError(err, 'ERR_DINO_INVALID_MODEL', undefined, `The model failed a probe run at ${formatSize(probe)}`);
        }),
      ),
    );
    const out = probes[0] as (typeof probes)[number];
    const resolved = resolveContract(contract, probe, contract.fetches.map((n) => out.outputs[n]?.dims ?? []));
    for (const t of probes.flatMap((p) => Object.values(p.outputs))) if (t.location === 'cuda') t.tensor.dispose();
    const config = await readPreprocessorConfig(abs);
    const defaultSize = contract.fixedSize ?? (opt ? probe : undefined) ?? (options.size !== undefined ? parseSize(options.size) : config.size ?? parseSize(DEFAULTS.size));
    checkPatchMultiple(defaultSize, resolved.patchSize);
    const info: ModelInfo = {
      path: abs,
      backend: backend.name,
      patchSize: resolved.patchSize,
      dim: resolved.dim,
      registers: resolved.registers,
      inputName: resolved.inputName,
      inputType: resolved.inputType,
      outputLayout: resolved.layout,
      fixedSize: resolved.fixedSize,
      defaultSize,
      mean: options.mean ?? config.mean ?? DEFAULTS.mean,
      std: options.std ?? config.std ?? DEFAULTS.std,
      graph: graph.summary,
      engine,
      fallbackReason,
    };
    return new Model(info, backend, resolved, options);
  } catch (err) {
    await backend.dispose();
    throw err;
  }
}
