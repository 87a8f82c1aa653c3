/**
 * Segmentation of a frame sequence (video file, image folder, any source URI or any async
 * iterable of frames) as an async iterator of per-frame results, with stable cluster colours.
 * The offline preset of the shared frame loop (./frames.ts): every frame, in order; inference of
 * the next frames overlaps clustering and rendering of this one, and queues are bounded
 * (`prefetch` frames ahead), so memory stays flat on long videos.
 * @module
 */
import type { Grid, Heatmap, PatchIndex, PcaResult, PixelPoint } from '../analysis/types';
import { DinoError } from '../errors';
import type { RawImage } from '../image/input';
import type { Model } from '../model/model';
import { renderHeatmap, type HeatmapRenderOptions } from '../render/heatmap';
import { resolvePcaOptions, renderPcaResolved, type PcaRenderOptions } from '../render/pca';
import { resolveSegmentationOptions, renderSegmentationResolved, type SegmentationRenderOptions } from '../render/segmentation';
import type { RgbImage } from '../render/types';
import { parseSize, type SizeLike } from '../util/size';
import { boolean, integer, invalid, isObject, oneOf, optional, signalArg } from '../validate';
import type { VideoTool } from '../video/programs';
import { openSource, VideoSource } from '../video/sources/source';
import { ClusterTracker, resolveTrackerOptions, type ClusterReset, type ClusterTrackerOptions } from './cluster-tracker';
import { checkOfflineInput, offlineSource, type OfflineInput } from './offline-input';
import { frameLoop, type FrameTimings, type LoopFrame } from './frames';
import { FrameAnalysis, type AnalysisMode } from './frame-analysis';

/** Options of {@link segmentVideo}. */
export interface SegmentVideoOptions extends Partial<ClusterTrackerOptions> {
  /** Model input size per frame (default: the model's). */
  size?: SizeLike;
  /** PCA-RGB pictures instead of clusters (then `k` is not needed). Default false. */
  pca?: boolean;
  /**
   * Similarity heatmaps instead of clusters: every frame's map of this patch, or of the patch at
   * this pixel of the frame (then `k` is not needed).
   */
  heatmap?: PatchIndex | PixelPoint;
  /**
   * How to render each frame; false: no rendering (results only). Default: clusters over the
   * photo with the jet palette; heatmaps over the photo (alpha 0.5) with viridis; PCA colours.
   */
  render?: SegmentationRenderOptions | PcaRenderOptions | HeatmapRenderOptions | false;
  /** Frames decoded and sent to inference ahead of the one being clustered. Default 2, or the model's {@link Model.concurrency} when larger. */
  prefetch?: number;
  /**
   * What decodes a path or URI given as input: 'auto' (default: the in-process capture module when
   * it is built, else ffmpeg, else GStreamer), or a decoder program.
   */
  tool?: VideoTool;
  maxFrames?: number;
  /** Stops the run: the iterator throws ERR_DINO_ABORTED and the decoder is stopped. */
  signal?: AbortSignal;
}

/** The result of one frame. */
export interface SegmentedFrame {
  /** 0-based frame number. */
  index: number;
  /** File name, for image-folder input. */
  name: string | undefined;
  /** The frame (packed RGB); undefined for frames that stayed in device memory. */
  frame: RgbImage | undefined;
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
  /** The similarity map of the frame (heatmap mode). */
  heatmap: Heatmap | undefined;
  /** The rendered picture, unless `render: false`. */
  rendered: RgbImage | undefined;
  /** Milliseconds per stage for this frame ('wait': time the pipeline waited for inference). */
  timings: FrameTimings;
}

/**
 * Segments every frame of a video file, an image folder, any source URI ({@link openSource}), an
 * opened {@link VideoSource} or an async iterable of frames, with cluster colours kept stable from
 * frame to frame (warm-started k-means, Hungarian matching after from-scratch re-clustering).
 * Iterate the result; breaking out stops the decoder. A source passed in stays the caller's to
 * dispose; one opened here from a path is disposed here.
 *
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
export function segmentVideo(model: Model, input: string | VideoSource | AsyncIterable<RawImage>, options: SegmentVideoOptions): AsyncGenerator<SegmentedFrame> {
  const config = resolveSegmentConfig(model, options);
  checkOfflineInput(input);
  return run(model, input, config);
}

/** @internal The validated settings of an offline preset (segmentVideo, segmentStreams). */
export interface SegmentConfig {
  /** A new analysis mode for one stream (its own cluster tracker). */
  newMode: () => AnalysisMode;
  size: { height: number; width: number };
  prefetch: number;
  signal: AbortSignal | undefined;
  render: { seg?: ReturnType<typeof resolveSegmentationOptions>; pca?: ReturnType<typeof resolvePcaOptions>; heat?: HeatmapRenderOptions } | undefined;
  tool: VideoTool;
  maxFrames: number | undefined;
}

/** @internal Validates {@link SegmentVideoOptions} (k against the patch count at the input size included). */
export function resolveSegmentConfig(model: Model, options: SegmentVideoOptions): SegmentConfig {
  if (!isObject(options as unknown)) invalid('options', '{ k, ... }', options);
  const pca = boolean(options.pca ?? false, 'pca');
  const heatmap = options.heatmap;
  if (heatmap !== undefined && (!isObject(heatmap as unknown) || pca)) invalid('heatmap', 'a patch { row, col } or a pixel { x, y } (and not pca)', heatmap);
  const trackerOptions = pca || heatmap ? undefined : resolveTrackerOptions({ ...options, k: options.k as number });
  const size = parseSize(options.size ?? model.info.defaultSize, 'size');
  const patches = Math.floor(size.height / model.info.patchSize) * Math.floor(size.width / model.info.patchSize);
  if (trackerOptions && trackerOptions.k > patches) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `k = ${trackerOptions.k} is larger than the number of patches (${patches} at ${size.height}x${size.width}); use at most ${patches} clusters or a larger size`);
  }
  const given = options.render ?? {};
  const render =
    options.render === false
      ? undefined
      : pca
        ? { pca: resolvePcaOptions(given as PcaRenderOptions) }
        : heatmap
          ? { heat: { overlay: true, alpha: 0.5, ...(given as HeatmapRenderOptions) } }
          : { seg: resolveSegmentationOptions(given as SegmentationRenderOptions) };
  return {
    newMode: () => (trackerOptions ? { kind: 'segment', tracker: new ClusterTracker(trackerOptions) } : heatmap ? { kind: 'heatmap', target: heatmap } : { kind: 'pca' }),
    size,
    prefetch: integer(options.prefetch ?? Math.max(2, model.concurrency), 'prefetch', 1, 64),
    signal: signalArg(options.signal, 'signal'),
    render,
    tool: oneOf(options.tool ?? 'auto', 'tool', ['auto', 'ffmpeg', 'gstreamer'] as const),
    maxFrames: optional(options.maxFrames, (v) => integer(v, 'maxFrames', 1)),
  };
}

/** @internal Analyses and renders one frame of the loop: the result {@link segmentVideo} yields. */
export async function segmentFrame(f: LoopFrame, analysis: FrameAnalysis, mode: AnalysisMode, c: SegmentConfig): Promise<SegmentedFrame> {
  const { features } = f;
  const t1 = performance.now();
  const { clusters, heatmap: heat, pca } = await analysis.run(features, mode, c.signal);
  const t2 = performance.now();
  const base = { photo: f.frame, width: f.width, height: f.height };
  let rendered: RgbImage | undefined;
  if (c.render?.seg && clusters) rendered = await renderSegmentationResolved(base, clusters, f.frame ? c.render.seg : { ...c.render.seg, mode: 'mask' });
  else if (c.render?.pca && pca) rendered = await renderPcaResolved(base, pca, f.frame ? c.render.pca : { ...c.render.pca, mode: 'mask' });
  else if (c.render?.heat && heat) rendered = await renderHeatmap(f.frame ?? { width: f.width, height: f.height }, heat, f.frame ? c.render.heat : { ...c.render.heat, overlay: false });
  const t3 = performance.now();
  return {
    index: f.index,
    name: f.name,
    frame: f.frame,
    grid: { ...features.grid },
    labels: clusters?.labels,
    centroids: clusters?.centroids,
    k: clusters?.k,
    inertia: clusters?.inertia,
    reset: clusters?.reset,
    pca,
    heatmap: heat,
    rendered,
    timings: { ...f.timings, analysis: t2 - t1, render: t3 - t2, latency: t3 - f.capturedAt },
  };
}

async function* run(model: Model, input: OfflineInput, c: SegmentConfig): AsyncGenerator<SegmentedFrame> {
  if (c.signal?.aborted) throw new DinoError('ERR_DINO_ABORTED', 'segmentVideo was aborted', { cause: c.signal.reason });
  const { source, owned } = await offlineSource(input, c);
  const analysis = new FrameAnalysis();
  const mode = c.newMode();
  try {
    const frames = frameLoop(model, source, {
      mode: 'offline',
      size: c.size,
      depth: c.prefetch + 1,
      ...(c.maxFrames === undefined ? {} : { maxFrames: c.maxFrames }),
      ...(c.signal ? { signal: c.signal } : {}),
    });
    for await (const f of frames) yield await segmentFrame(f, analysis, mode, c);
  } finally {
    if (owned) await source.dispose();
  }
}
