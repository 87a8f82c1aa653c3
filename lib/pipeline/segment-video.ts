/**
 * Segmentation of a frame sequence (video file, image directory, or any async iterable of
 * frames) as an async iterator of per-frame results, with stable cluster colours.
 *
 * The stages overlap: while the backend runs inference on frame n (ONNX Runtime in its worker
 * thread, TensorRT on the GPU), the main thread clusters and renders frame n-1, the caller
 * encodes it, and the decoder (a separate process) and the preprocessing prepare frames n+1 and
 * n+2. Queues are bounded (`prefetch` frames ahead), so memory stays flat on long videos.
 * @module
 */
import type { Grid, PcaResult } from '../analysis/types';
import { DinoError } from '../errors';
import type { Features } from '../features';
import type { RawImage } from '../image/input';
import type { Model } from '../model/model';
import { resolvePcaOptions, renderPcaResolved, type PcaRenderOptions } from '../render/pca';
import { resolveSegmentationOptions, renderSegmentationResolved, type SegmentationRenderOptions } from '../render/segmentation';
import type { RgbImage } from '../render/types';
import { parseSize, type SizeLike } from '../util/size';
import { boolean, integer, invalid, isObject, optional, signalArg } from '../validate';
import { ClusterTracker, resolveTrackerOptions, type ClusterReset, type ClusterTrackerOptions } from './cluster-tracker';
import { alignPcaSigns } from './pca-signs';
import { openFrameSource, type FrameSource, type FrameSourceOptions, type SourceFrame } from './source';
import type { StageTimings } from './stats';

/** Options of {@link segmentVideo}. */
export interface SegmentVideoOptions extends Partial<ClusterTrackerOptions> {
  /** Model input size per frame (default: the model's). */
  size?: SizeLike;
  /** PCA-RGB pictures instead of clusters (then `k` is not needed). Default false. */
  pca?: boolean;
  /** How to render each frame; false: no rendering (labels only). Default: overlay with the jet palette. */
  render?: SegmentationRenderOptions | PcaRenderOptions | false;
  /** Frames decoded and sent to inference ahead of the one being clustered. Default 2, or the model's {@link Model.concurrency} when larger. */
  prefetch?: number;
  /** Decoder choice and frame limit for video files. */
  tool?: FrameSourceOptions['tool'];
  maxFrames?: number;
  /** Stops the run: the iterator throws ERR_DINO_ABORTED and the decoder is stopped. */
  signal?: AbortSignal;
}

/** The result of one frame. */
export interface SegmentedFrame {
  /** 0-based frame number. */
  index: number;
  /** File name, for image-directory input. */
  name: string | undefined;
  /** The decoded frame (packed RGB). */
  frame: RgbImage;
  grid: Grid;
  /** Cluster of every patch (row-major), numbered consistently across frames; undefined in PCA mode. */
  labels: Int32Array | undefined;
  /** k * dim centroids in the same numbering; undefined in PCA mode. */
  centroids: Float32Array | undefined;
  k: number | undefined;
  inertia: number | undefined;
  /** Why this frame was clustered from scratch (first frame, scene cut, refresh), if it was. */
  reset: ClusterReset | undefined;
  /** The PCA of the frame (PCA mode), component signs aligned with the previous frame. */
  pca: PcaResult | undefined;
  /** The rendered picture, unless `render: false`. */
  rendered: RgbImage | undefined;
  /** Milliseconds per stage for this frame ('wait': time the pipeline waited for inference). */
  timings: StageTimings;
}

interface Extracted {
  frame: SourceFrame;
  features: Features;
  decodeMs: number;
}

const now = (): number => performance.now();

function toRgb(f: SourceFrame): RgbImage {
  if (f.format !== 'rgb' || (f.rowBytes !== undefined && f.rowBytes !== f.width * 3)) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `segmentVideo needs packed RGB frames; got ${f.format}${f.rowBytes ? ` with row pitch ${f.rowBytes}` : ''}`);
  }
  return { data: f.data, width: f.width, height: f.height };
}

/**
 * Segments every frame of a video file, an image directory or an async iterable of frames, with
 * cluster colours kept stable from frame to frame (warm-started k-means, Hungarian matching after
 * from-scratch re-clustering). Iterate the result; breaking out stops the decoder.
 *
 * @param input a video file path, an image directory, an opened {@link FrameSource}, or an async
 *   iterable of RGB frames.
 * @example
 * ```ts
 * import { loadModel, segmentVideo, openVideoWriter } from 'dinov3-trt';
 * const model = await loadModel('dinov3-vits16.onnx');
 * const out = await openVideoWriter('segmented.mp4', { width: 640, height: 480, fps: 25 });
 * for await (const r of segmentVideo(model, 'street.mp4', { k: 5 })) {
 *   await out.write(r.rendered!);
 * }
 * await out.close();
 * await model.dispose();
 * ```
 * @throws DinoError (from the iterator) ERR_DINO_INVALID_ARGUMENT (bad options, k larger than
 *   the patch count), ERR_DINO_FILE_NOT_FOUND, ERR_DINO_DECODER_MISSING, ERR_DINO_SOURCE,
 *   ERR_DINO_ABORTED.
 */
export function segmentVideo(
  model: Model,
  input: string | FrameSource | AsyncIterable<RawImage>,
  options: SegmentVideoOptions,
): AsyncGenerator<SegmentedFrame> {
  if (!isObject(options as unknown)) invalid('options', '{ k, ... }', options);
  const pca = boolean(options.pca ?? false, 'pca');
  const tracker = pca ? undefined : new ClusterTracker(resolveTrackerOptions({ ...options, k: options.k as number }));
  const size = parseSize(options.size ?? model.info.defaultSize, 'size');
  const patches = Math.floor(size.height / model.info.patchSize) * Math.floor(size.width / model.info.patchSize);
  if (tracker && tracker.k > patches) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `k = ${tracker.k} is larger than the number of patches (${patches} at ${size.height}x${size.width}); use at most ${patches} clusters or a larger size`);
  }
  const prefetch = integer(options.prefetch ?? Math.max(2, model.concurrency), 'prefetch', 1, 64);
  const maxFrames = optional(options.maxFrames, (v) => integer(v, 'maxFrames', 1));
  const signal = signalArg(options.signal, 'signal');
  const render = options.render === false ? undefined : pca ? { pca: resolvePcaOptions((options.render ?? {}) as PcaRenderOptions) } : { seg: resolveSegmentationOptions((options.render ?? {}) as SegmentationRenderOptions) };
  const sourceOptions: FrameSourceOptions = { ...(options.tool ? { tool: options.tool } : {}), ...(maxFrames !== undefined ? { maxFrames } : {}), ...(signal ? { signal } : {}) };
  return run(model, input, { tracker, size, prefetch, signal, render, sourceOptions, maxFrames });
}

interface RunConfig {
  tracker: ClusterTracker | undefined;
  size: { height: number; width: number };
  prefetch: number;
  signal: AbortSignal | undefined;
  render: { seg?: ReturnType<typeof resolveSegmentationOptions>; pca?: ReturnType<typeof resolvePcaOptions> } | undefined;
  sourceOptions: FrameSourceOptions;
  maxFrames: number | undefined;
}

function isFrameSource(value: unknown): value is FrameSource {
  return isObject(value) && isObject(value.info) && typeof value.close === 'function';
}

async function* run(model: Model, input: string | FrameSource | AsyncIterable<RawImage>, c: RunConfig): AsyncGenerator<SegmentedFrame> {
  const stop = new AbortController();
  const signal = c.signal ? AbortSignal.any([c.signal, stop.signal]) : stop.signal;
  const source = isFrameSource(input) ? input : await openFrameSource(input, c.sourceOptions);
  const frames = source[Symbol.asyncIterator]();
  const queue: Array<Promise<Extracted | undefined>> = [];
  let exhausted = false;
  let requested = 0;
  let fetched: Promise<unknown> = Promise.resolve();

  // Frames are fetched strictly one after another (a chain), then sent to inference; the model
  // queues inference calls in order, so results come back in frame order.
  const pull = (): Promise<Extracted | undefined> => {
    const fetch = fetched.then(async () => {
      if (exhausted) return undefined;
      const t0 = now();
      const next = await frames.next();
      if (next.done) {
        exhausted = true;
        return undefined;
      }
      return { frame: next.value, decodeMs: now() - t0 };
    });
    fetched = fetch.catch(() => undefined);
    return fetch.then(async (got) => {
      if (!got) return undefined;
      const features = await model.extract(got.frame, { size: c.size, signal });
      return { ...got, features };
    });
  };
  const fill = (): void => {
    while (!exhausted && queue.length < c.prefetch + 1 && (c.maxFrames === undefined || requested < c.maxFrames)) {
      requested++;
      const p = pull();
      p.catch(() => undefined);
      queue.push(p);
    }
  };

  let previousPca: PcaResult | undefined;
  try {
    if (c.signal?.aborted) throw new DinoError('ERR_DINO_ABORTED', 'segmentVideo was aborted', { cause: c.signal.reason });
    fill();
    while (queue.length > 0) {
      const waitStart = now();
      const item = await (queue.shift() as Promise<Extracted | undefined>);
      const waitMs = now() - waitStart;
      fill();
      if (!item) continue;
      const { frame, features } = item;
      try {
        const rgb = toRgb(frame);
        const t1 = now();
        let clusters: Awaited<ReturnType<ClusterTracker['update']>> | undefined;
        let pcaResult: PcaResult | undefined;
        if (c.tracker) clusters = await c.tracker.update(features, signal);
        else {
          pcaResult = alignPcaSigns(previousPca, await features.pca({ components: 3, signal }));
          previousPca = pcaResult;
        }
        const t2 = now();
        const base = { photo: rgb, width: rgb.width, height: rgb.height };
        let rendered: RgbImage | undefined;
        if (c.render?.seg && clusters) rendered = await renderSegmentationResolved(base, clusters, c.render.seg);
        else if (c.render?.pca && pcaResult) rendered = await renderPcaResolved(base, pcaResult, c.render.pca);
        const t3 = now();
        const ft = features.timings;
        yield {
          index: frame.index,
          name: frame.name,
          frame: rgb,
          grid: { ...features.grid },
          labels: clusters?.labels,
          centroids: clusters?.centroids,
          k: clusters?.k,
          inertia: clusters?.inertia,
          reset: clusters?.reset,
          pca: pcaResult,
          rendered,
          timings: {
            decode: item.decodeMs,
            preprocess: ft.preprocessMs,
            inference: ft.inferenceMs,
            wait: waitMs,
            cluster: t2 - t1,
            render: t3 - t2,
          },
        };
      } finally {
        features.dispose();
      }
    }
    if (c.signal?.aborted) throw new DinoError('ERR_DINO_ABORTED', 'segmentVideo was aborted', { cause: c.signal.reason });
  } catch (err) {
    if (c.signal?.aborted && !(err instanceof DinoError && err.code === 'ERR_DINO_ABORTED')) {
      throw new DinoError('ERR_DINO_ABORTED', 'segmentVideo was aborted', { cause: err });
    }
    throw err;
  } finally {
    stop.abort();
    exhausted = true;
    await source.close().catch(() => undefined);
    const pending = await Promise.allSettled(queue);
    for (const p of pending) if (p.status === 'fulfilled') p.value?.features.dispose();
    await frames.return?.(undefined).catch(() => undefined);
  }
}
