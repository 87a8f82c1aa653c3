/**
 * segmentStream(): live segmentation (or similarity heatmaps, or PCA) of a video source, frame
 * by frame, as an async iterator — the live preset of the shared frame loop (../pipeline/frames.ts).
 * Inference of frame n+1 (and more, with a model of several sessions) overlaps clustering,
 * rendering and JPEG encoding of frame n; a live source drops frames it cannot keep up with
 * instead of queueing them, so latency stays bounded. Settings can change while it runs
 * (LiveControls).
 * @module
 */
import { DinoError } from '../errors';
import type { Model } from '../model/model';
import { frameLoop } from '../pipeline/frames';
import type { ColormapName } from '../render/colormaps';
import type { PaletteName } from '../render/palettes';
import type { SizeLike } from '../util/size';
import { integer, isObject, signalArg } from '../validate';
import type { VideoSource } from '../video/sources/source';
import { LiveControls, type LiveSettings } from './controls';
import { LiveStage, type LiveFrame } from './live-stage';

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

export type { LiveFrame } from './live-stage';

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
  const stage = new LiveStage(controls, { palette, colormap, jpegQuality: quality, signal });
  const frames = frameLoop(model, source, {
    mode: 'live',
    depth: model.concurrency, // as many frames in inference as the model runs at once
    frameTimeoutMs: timeout,
    ...(size === undefined ? {} : { size }),
    ...(limit === Infinity ? {} : { maxFrames: limit }),
    ...(signal ? { signal } : {}),
  });
  for await (const current of frames) yield await stage.process(current);
}
