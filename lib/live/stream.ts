/**
 * segmentStream(): live segmentation (or similarity heatmaps, or PCA) of a video source, frame
 * by frame, as an async iterator — the live preset of the shared frame loop (../pipeline/frames.ts).
 * Inference of frame n+1 (and more, with a model of several sessions) overlaps clustering,
 * rendering and JPEG encoding of frame n; a live source drops frames it cannot keep up with
 * instead of queueing them, so latency stays bounded. Settings can change while it runs
 * (LiveControls).
 * @module
 */
import sharp from 'sharp';

import type { Heatmap, PcaResult } from '../analysis/types';
import { DinoError } from '../errors';
import type { Model } from '../model/model';
import { ClusterTracker } from '../pipeline/cluster-tracker';
import { frameLoop, type FrameTimings } from '../pipeline/frames';
import { FrameAnalysis, type AnalysisMode } from '../pipeline/frame-analysis';
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
  /** Milliseconds per stage (the timings type of every pipeline). */
  timings: FrameTimings;
  /** Frames per second over the last second or so. */
  fps: number;
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
  const analysis = new FrameAnalysis();
  const times: number[] = [];
  const frames = frameLoop(model, source, {
    mode: 'live',
    depth: model.concurrency, // as many frames in inference as the model runs at once
    frameTimeoutMs: timeout,
    ...(size === undefined ? {} : { size }),
    ...(limit === Infinity ? {} : { maxFrames: limit }),
    ...(signal ? { signal } : {}),
  });
  for await (const current of frames) {
    const { features } = current;
    const settings = controls.settings;
    const t1 = now();
    let mode: AnalysisMode;
    if (settings.mode === 'segment') {
      if (!tracker || trackerVersion !== controls.version || tracker.k !== settings.k) {
        if (!tracker || tracker.k !== settings.k) tracker = new ClusterTracker({ k: Math.min(settings.k, features.patchCount) });
        trackerVersion = controls.version;
      }
      mode = { kind: 'segment', tracker };
    } else if (settings.mode === 'heatmap') {
      const point = settings.point ?? { x: current.width / 2, y: current.height / 2 };
      mode = { kind: 'heatmap', target: { x: Math.min(current.width - 1, point.x), y: Math.min(current.height - 1, point.y) } };
    } else {
      mode = { kind: 'pca' };
    }
    const result = await analysis.run(features, mode, signal);
    const labels = result.clusters?.labels;
    const { heatmap, pca } = result;
    const t2 = now();
    // Frames kept in device memory have no photo on the host: their analysis is drawn alone.
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
      index: current.index,
      sequence: current.sequence,
      settings,
      frame: current.frame,
      grid: { ...features.grid },
      labels,
      heatmap,
      pca,
      rendered,
      jpeg,
      timings: { ...current.timings, analysis: t2 - t1, render: t3 - t2, encode: t4 - t3, latency: t4 - current.capturedAt },
      fps,
    };
  }
}
