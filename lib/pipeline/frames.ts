/**
 * The one frame loop under every video pipeline (segment, heatmap and PCA over video, live):
 * frames from a {@link VideoSource} to features, with inference of the next frames overlapping
 * whatever the caller does with the current one.
 *
 * - 'offline' mode: every frame, in order; the source is read only as fast as the pipeline
 *   consumes (back-pressure), a slow source is waited for.
 * - 'live' mode: the source keeps only its newest frames (drop), and a source that sends nothing
 *   for `frameTimeoutMs` is an error.
 *
 * Frames in system memory become packed RGB (the render base, which inference reads too; a
 * capture-pipeline buffer is copied out first) and their lease is released at once; frames in device memory (NVMM) go through
 * {@link Model.extractDevice} where they lie and are released when inference is done. Captures
 * run one after another; up to `depth` inferences overlap; results come out in capture order.
 * Each yielded frame's features are disposed when the consumer asks for the next one; leaving
 * early disposes those still in flight.
 * @module
 */
import { DinoError, isDinoError } from '../errors';
import type { Features } from '../features';
import type { Model } from '../model/model';
import { toRgb } from '../render/base-image';
import type { RgbImage } from '../render/types';
import type { SizeLike } from '../util/size';
import type { Frame } from '../video/sources/frame';
import type { VideoSource } from '../video/sources/source';

/** Milliseconds per stage of one frame: the one timings type of every pipeline. */
export interface FrameTimings {
  /** Getting the frame from the source (decode, capture, colour conversion). */
  capture: number;
  preprocess: number;
  inference: number;
  /** Time the pipeline waited for this frame's inference. */
  wait: number;
  /** The stage's analysis: k-means, similarity, PCA. */
  analysis: number;
  render: number;
  /** Encoding the rendered picture (JPEG, video), when the stage or the caller does it. */
  encode?: number;
  /** From the frame's capture to its result. */
  latency: number;
}

/** A frame with its features, as the frame loop yields it. */
export interface LoopFrame {
  /** 0-based position in this run. */
  index: number;
  /** The source's sequence number (gaps: frames a live source dropped). */
  sequence: number;
  /** File name, for image folders. */
  name: string | undefined;
  /** Packed RGB pixels; undefined for frames that stayed in device memory. */
  frame: RgbImage | undefined;
  width: number;
  height: number;
  /** Disposed when the consumer asks for the next frame. */
  features: Features;
  timings: Pick<FrameTimings, 'capture' | 'preprocess' | 'inference' | 'wait'>;
  /** performance.now() when the capture started. */
  capturedAt: number;
}

export interface FrameLoopOptions {
  mode: 'offline' | 'live';
  /** Model input size (default: the model's). */
  size?: SizeLike;
  /** Frames in inference at once (at least 1). */
  depth: number;
  maxFrames?: number;
  /** Live mode: how long to wait for a frame before failing (ms). Default 5000. */
  frameTimeoutMs?: number;
  signal?: AbortSignal;
}

interface InFlight extends PreparedFrame {
  captureMs: number;
  capturedAt: number;
  features: Promise<Features>;
}

const now = (): number => performance.now();

function aborted(signal: AbortSignal | undefined, cause?: unknown): DinoError {
  return new DinoError('ERR_DINO_ABORTED', 'The pipeline was aborted', { cause: cause ?? signal?.reason });
}

/**
 * A captured frame made ready for inference: a frame in system memory becomes packed RGB (the
 * render base, which inference reads too; a capture-pipeline buffer is copied out) and its lease
 * is released; a frame in device memory keeps its lease until its inference is done.
 */
export interface PreparedFrame {
  sequence: number;
  name: string | undefined;
  width: number;
  height: number;
  frame: RgbImage | undefined;
  /** Device frames: the leased frame, released by {@link inferFrames}. */
  device: Frame | undefined;
}

/** Prepares a leased frame for {@link inferFrames} (see {@link PreparedFrame}). */
export async function prepareFrame(lease: Frame): Promise<PreparedFrame> {
  const { width, height, sequence, name } = lease;
  if (lease.memory !== 'system') return { sequence, name, width, height, frame: undefined, device: lease };
  try {
    const raw = lease.toRawImage();
    let frame = await toRgb({ ...raw, rowBytes: raw.rowBytes ?? raw.width * 4 });
    // Only a capture-pipeline buffer goes back to the pipeline on release: copy out of it.
    if (lease.borrowed && frame.data.buffer === raw.data.buffer) frame = { ...frame, data: frame.data.slice() };
    return { sequence, name, width, height, frame, device: undefined };
  } finally {
    lease.release();
  }
}

/**
 * Starts inference of prepared frames: frames in system memory as one batch ({@link Model.extract}),
 * frames in device memory as another ({@link Model.extractDevice}, leases released when it is
 * done). One promise per frame, in order; each is also caught so an unawaited failure is not
 * reported as unhandled.
 */
export function inferFrames(model: Model, frames: readonly PreparedFrame[], options: { size?: SizeLike; signal?: AbortSignal }): Array<Promise<Features>> {
  const host = frames.filter((f) => f.frame !== undefined);
  const device = frames.filter((f) => f.device !== undefined);
  const fromHost = host.length === 0 ? Promise.resolve([]) : model.extract(host.map((f) => ({ data: (f.frame as RgbImage).data, width: f.width, height: f.height, format: 'rgb' as const })), options);
  // (in a then: a frame that cannot be a device image rejects like a failed inference, and its lease goes back)
  const fromDevice = device.length === 0 ? Promise.resolve([]) : Promise.resolve().then(() => model.extractDevice(device.map((f) => (f.device as Frame).toDeviceImage()), options));
  const releaseDevice = (): void => device.forEach((f) => f.device?.release());
  void fromDevice.then(releaseDevice, releaseDevice);
  return frames.map((f) => {
    const p = f.frame !== undefined ? fromHost.then((r) => r[host.indexOf(f)] as Features) : fromDevice.then((r) => r[device.indexOf(f)] as Features);
    p.catch(() => undefined);
    return p;
  });
}

/** Frames of `source` with their features, in order (see the module description). */
export async function* frameLoop(model: Model, source: VideoSource, o: FrameLoopOptions): AsyncGenerator<LoopFrame> {
  const frameTimeoutMs = o.frameTimeoutMs ?? 5000;
  const extractOptions = { ...(o.size === undefined ? {} : { size: o.size }), ...(o.signal ? { signal: o.signal } : {}) };

  // Takes the next frame (undefined at the end) and starts its inference.
  const next = async (): Promise<InFlight | undefined> => {
    const t0 = now();
    for (;;) {
      if (o.signal?.aborted) throw aborted(o.signal);
      const r = await source.capture({ timeoutMs: o.mode === 'live' ? frameTimeoutMs : 1000 });
      if (r.status === 'eos') return undefined;
      if (r.status === 'ok' && r.frame) {
        const ready = await prepareFrame(r.frame);
        const captureMs = now() - t0;
        const [features] = inferFrames(model, [ready], extractOptions) as [Promise<Features>];
        return { ...ready, captureMs, capturedAt: t0, features };
      }
      if (o.mode === 'live') throw new DinoError('ERR_DINO_SOURCE_TIMEOUT', `No frame from ${source.uri} within ${frameTimeoutMs} ms`);
    }
  };

  const queue: Array<Promise<InFlight | undefined>> = [];
  let captured: Promise<unknown> = Promise.resolve();
  let requested = 0;
  let ended = false;
  const limit = o.maxFrames ?? Infinity;
  const topUp = (): void => {
    while (!ended && queue.length < o.depth && requested < limit) {
      requested++;
      const p = captured.then(next);
      captured = p.then((f) => void (ended ||= f === undefined), () => void (ended = true));
      p.catch(() => undefined);
      queue.push(p);
    }
  };
  const release = (p: Promise<InFlight | undefined>): void =>
    void p.then((f) => f?.features.then((x) => x.dispose(), () => undefined), () => undefined);

  let index = 0;
  try {
    topUp();
    while (queue.length > 0) {
      const current = await (queue.shift() as Promise<InFlight | undefined>);
      if (!current) break;
      const waitStart = now();
      const features = await current.features;
      const wait = now() - waitStart;
      topUp(); // the next frames' capture and inference run while the consumer works on this one
      try {
        if (o.signal?.aborted) throw aborted(o.signal);
        const t = features.timings;
        yield {
          index: index++,
          sequence: current.sequence,
          name: current.name,
          frame: current.frame,
          width: current.width,
          height: current.height,
          features,
          timings: { capture: current.captureMs, preprocess: t.preprocessMs, inference: t.inferenceMs, wait },
          capturedAt: current.capturedAt,
        };
      } finally {
        features.dispose();
      }
    }
    if (o.signal?.aborted) throw aborted(o.signal);
  } catch (err) {
    // Whatever failed because of an abort (a cancelled inference, a stopped decoder) is the abort.
    if (o.signal?.aborted && !isDinoError(err, 'ERR_DINO_ABORTED')) throw aborted(o.signal, err);
    throw err;
  } finally {
    ended = true;
    for (const p of queue.splice(0)) release(p);
  }
}
