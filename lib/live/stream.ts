/**
 * segmentStream(): live segmentation (or similarity heatmaps, or PCA) of a video source, frame
 * by frame, as an async iterator. Inference of frame n+1 (and more, with a model of several
 * sessions) overlaps clustering, rendering and JPEG encoding of frame n; a live source drops
 * frames it cannot keep up with instead of queueing them, so latency stays bounded. Settings can
 * change while it runs (LiveControls).
 * @module
 */
import sharp from 'sharp';

import type { Heatmap, PcaResult } from '../analysis/types';
import { DinoError } from '../errors';
import type { Features } from '../features';
import type { Model } from '../model/model';
import { ClusterTracker } from '../pipeline/cluster-tracker';
import { alignPcaSigns } from '../pipeline/pca-signs';
import { toRgb } from '../render/base-image';
import type { ColormapName } from '../render/colormaps';
import { renderHeatmap } from '../render/heatmap';
import type { PaletteName } from '../render/palettes';
import { renderPca } from '../render/pca';
import { renderSegmentation } from '../render/segmentation';
import type { RgbImage } from '../render/types';
import type { SizeLike } from '../util/size';
import { integer, isObject, signalArg } from '../validate';
import type { VideoSource } from '../video/sources/source';
import { LiveControls, type LiveSettings } from './controls';

export interface SegmentStreamOptions extends Partial<LiveSettings> {
  /** Settings shared with a control surface (the live page); created from the options when absent. */
  controls?: LiveControls;
  /** Model input size. Default: the model's. */
  size?: SizeLike;
  palette?: PaletteName;
  colormap?: ColormapName;
  /** Encode each rendered frame as JPEG (for MJPEG streaming). Default 0 = no JPEG; else the quality 1..100. */
  jpegQuality?: number;
  /** Stop after this many frames. */
  maxFrames?: number;
  /** How long to wait for a frame before giving up (ms). Default 5000. */
  frameTimeoutMs?: number;
  signal?: AbortSignal;
}

/** Milliseconds per stage of one live frame. */
export interface LiveTimings {
  capture: number;
  preprocess: number;
  inference: number;
  analysis: number;
  render: number;
  encode: number;
  /** From the frame's capture to its result. */
  latency: number;
}

export interface LiveFrame {
  index: number;
  /** Sequence number from the source (gaps: frames dropped to stay live). */
  sequence: number;
  settings: Readonly<LiveSettings>;
  /**
   * The captured picture (packed RGB); undefined for frames that stayed in device memory (NVMM
   * zero copy), whose pixels never reach the CPU: their analysis is drawn on a plain background.
   */
  frame: RgbImage | undefined;
  grid: { rows: number; cols: number };
  labels: Int32Array | undefined;
  heatmap: Heatmap | undefined;
  pca: PcaResult | undefined;
  rendered: RgbImage;
  jpeg: Buffer | undefined;
  timings: LiveTimings;
  /** Frames per second over the last second or so. */
  fps: number;
}

interface InFlight {
  sequence: number;
  frame: RgbImage | undefined;
  width: number;
  height: number;
  captureMs: number;
  capturedAt: number;
  features: Promise<Features>;
}

const now = (): number => performance.now();

/**
 * @example
 * ```ts
 * const source = await openSource('test://ball', { width: 640, height: 480 });
 * for await (const f of segmentStream(model, source, { k: 4, maxFrames: 100 })) {
 *   console.log(f.index, f.fps.toFixed(1), f.timings.inference);
 * }
 * ```
 */
export async function* segmentStream(model: Model, source: VideoSource, options: SegmentStreamOptions = {}): AsyncGenerator<LiveFrame> {
  if (!isObject(options as unknown)) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', 'options must be an object');
  const { controls: given, size, palette, colormap, jpegQuality, maxFrames, frameTimeoutMs, signal, ...initial } = options;
  const controls = given ?? new LiveControls(initial);
  const quality = integer(jpegQuality ?? 0, 'jpegQuality', 0, 100);
  const limit = maxFrames === undefined ? Infinity : integer(maxFrames, 'maxFrames', 1);
  const timeout = integer(frameTimeoutMs ?? 5000, 'frameTimeoutMs', 1);
  signalArg(signal, 'signal');
  let tracker: ClusterTracker | undefined;
  let trackerVersion = -1;
  let previousPca: PcaResult | undefined;
  const times: number[] = [];
  let index = 0;

  // Takes the next frame and starts its inference. A frame in system memory is copied into
  // packed RGB for rendering (inference reads that copy) and its lease released at once; a frame
  // in device memory (NVMM) is preprocessed where it lies and released when inference is done.
  const extractOptions = { ...(size === undefined ? {} : { size }), ...(signal ? { signal } : {}) };
  const next = async (): Promise<InFlight | undefined> => {
    const t0 = now();
    const r = await source.capture({ timeoutMs: timeout });
    if (r.status === 'eos') return undefined;
    if (r.status === 'timeout' || !r.frame) throw new DinoError('ERR_DINO_SOURCE_TIMEOUT', `No frame from ${source.uri} within ${timeout} ms`);
    const lease = r.frame;
    const { width, height, sequence } = lease;
    if (lease.memory !== 'system') {
      let features: Promise<Features>;
      try {
        features = model.extractDevice(lease.toDeviceImage(), extractOptions);
      } catch (err) {
        lease.release();
        throw err;
      }
      void features.then(() => lease.release(), () => lease.release());
      features.catch(() => undefined);
      return { sequence, frame: undefined, width, height, captureMs: now() - t0, capturedAt: t0, features };
    }
    let frame: RgbImage;
    try {
      const raw = lease.toRawImage();
      frame = await toRgb({ ...raw, rowBytes: raw.rowBytes ?? raw.width * 4 });
      if (frame.data.buffer === raw.data.buffer) frame = { ...frame, data: frame.data.slice() };
    } finally {
      lease.release();
    }
    const captureMs = now() - t0;
    const features = model.extract({ data: frame.data, width: frame.width, height: frame.height, format: 'rgb' }, extractOptions);
    features.catch(() => undefined);
    return { sequence, frame, width, height, captureMs, capturedAt: t0, features };
  };

  // Frames in inference while one is analysed: as many as the model runs at once. Captures
  // happen one after another (a chain); inferences overlap.
  const depth = model.concurrency;
  const queue: Array<Promise<InFlight | undefined>> = [];
  let captured: Promise<unknown> = Promise.resolve();
  let requested = 0;
  const topUp = (): void => {
    while (queue.length < depth && requested < limit) {
      requested++;
      const p = captured.then(next);
      captured = p.catch(() => undefined);
      p.catch(() => undefined);
      queue.push(p);
    }
  };
  topUp();
  let current = await queue.shift();
  try {
    while (current && index < limit) {
      if (signal?.aborted) throw new DinoError('ERR_DINO_ABORTED', 'The stream was aborted', { cause: signal.reason });
      const features = await current.features;
      // Start the next frames' capture and inference before analysing this one.
      topUp();
      try {
        const settings = controls.settings;
        const t1 = now();
        let labels: Int32Array | undefined;
        let heatmap: Heatmap | undefined;
        let pca: PcaResult | undefined;
        if (settings.mode === 'segment') {
          if (!tracker || trackerVersion !== controls.version || tracker.k !== settings.k) {
            if (!tracker || tracker.k !== settings.k) tracker = new ClusterTracker({ k: Math.min(settings.k, features.patchCount) });
            trackerVersion = controls.version;
          }
          labels = (await tracker.update(features, signal)).labels;
        } else if (settings.mode === 'heatmap') {
          const point = settings.point ?? { x: current.width / 2, y: current.height / 2 };
          const clamped = { x: Math.min(current.width - 1, point.x), y: Math.min(current.height - 1, point.y) };
          heatmap = await features.similarity(clamped);
        } else {
          pca = alignPcaSigns(previousPca, await features.pca(3));
          previousPca = pca;
        }
        const t2 = now();
        const base = current.frame ?? { width: current.width, height: current.height };
        const overPhoto = current.frame !== undefined;
        const rendered =
          labels !== undefined
            ? await renderSegmentation(base, { labels, grid: features.grid, k: tracker?.k ?? settings.k }, { alpha: settings.alpha, mode: overPhoto ? 'overlay' : 'mask', ...(palette ? { palette } : {}) })
            : heatmap !== undefined
              ? await renderHeatmap(base, heatmap, { overlay: overPhoto, alpha: Math.max(settings.alpha, 0.3), ...(colormap ? { colormap } : {}) })
              : await renderPca(base, pca as PcaResult, { alpha: settings.alpha });
        const t3 = now();
        const jpeg = quality > 0 ? await sharp(rendered.data, { raw: { width: rendered.width, height: rendered.height, channels: 3 } }).jpeg({ quality, optimiseCoding: false }).toBuffer() : undefined;
        const t4 = now();
        times.push(t4);
        while (times.length > 1 && (times[0] as number) < t4 - 1000) times.shift();
        const fps = times.length > 1 ? ((times.length - 1) * 1000) / (t4 - (times[0] as number)) : 0;
        yield {
          index: index++,
          sequence: current.sequence,
          settings,
          frame: current.frame,
          grid: { ...features.grid },
          labels,
          heatmap,
          pca,
          rendered,
          jpeg,
          timings: {
            capture: current.captureMs,
            preprocess: features.timings.preprocessMs,
            inference: features.timings.inferenceMs,
            analysis: t2 - t1,
            render: t3 - t2,
            encode: t4 - t3,
            latency: t4 - current.capturedAt,
          },
          fps,
        };
      } finally {
        features.dispose();
      }
      current = await queue.shift();
    }
  } finally {
    // Left early (break, error, abort): free the features of frames already in flight.
    const release = (p: Promise<InFlight | undefined>): void =>
      void p.then((f) => f?.features.then((x) => x.dispose(), () => undefined), () => undefined);
    for (const p of queue.splice(0)) release(p);
    if (current) release(Promise.resolve(current));
  }
}
