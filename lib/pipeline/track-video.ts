/**
 * Video object tracking by label propagation: objects given on the first frame (a mask of object
 * indices, DAVIS layout, or a click) are followed through every frame with
 * {@link LabelPropagator} (DINO / DINOv3 video segmentation), on the shared frame loop
 * (./frames.ts): inference of the next frames overlaps propagation and rendering of this one.
 * @module
 */
import { hardLabels, LabelPropagator, labelsOnGrid, labelsToPixels, oneHot, type PropagationOptions } from '../analysis/propagate';
import type { Grid, PixelPoint } from '../analysis/types';
import { DinoError } from '../errors';
import type { Features } from '../features';
import type { RawImage } from '../image/input';
import { readLabelPng, type LabelMap } from '../io/label-png';
import type { Model } from '../model/model';
import { renderSegmentation, type SegmentationRenderOptions } from '../render/segmentation';
import type { RgbImage } from '../render/types';
import { parseSize, type Size, type SizeLike } from '../util/size';
import { integer, invalid, isObject, number, oneOf, optional, signalArg } from '../validate';
import type { VideoTool } from '../video/programs';
import type { VideoSource } from '../video/sources/source';
import { checkOfflineInput, offlineSource, type OfflineInput } from './offline-input';
import { frameLoop, type FrameTimings } from './frames';

/** Default similarity to a clicked patch that makes a patch part of the object. */
export const TRACK_THRESHOLD = 0.5;

/** Options of {@link trackVideo}: what to track (`mask` or `point`) and how. */
export interface TrackVideoOptions extends PropagationOptions {
  /**
   * The objects on the first frame: a PNG of object indices (palette or 8-bit grey, 0 =
   * background, DAVIS layout) or a {@link LabelMap}, at any resolution (sampled at each patch's
   * centre).
   */
  mask?: string | LabelMap;
  /**
   * Or a click in first-frame pixels: the object is the patches whose cosine similarity to the
   * clicked patch is at least `threshold`, refined by one propagation step onto the first frame.
   */
  point?: PixelPoint;
  /** Similarity threshold of `point`. Default 0.5. */
  threshold?: number;
  /**
   * Model input size per frame. Default: the frame's (the mask's for `mask`) shorter side scaled
   * to `shortSide` and both sides rounded up to the patch size, as the DINOv3 notebook.
   */
  size?: SizeLike;
  /** Shorter side of the default size. Default 480 (DAVIS 480p). */
  shortSide?: number;
  /** How to render each frame; false: no pictures. Default: objects over the photo, qualitative palette, alpha 0.5. */
  render?: SegmentationRenderOptions | false;
  /** Frames decoded and sent to inference ahead of the one being propagated. Default 2. */
  prefetch?: number;
  /** What decodes a path or URI: 'auto' (default), 'ffmpeg' or 'gstreamer'. */
  tool?: VideoTool;
  maxFrames?: number;
  /** Stops the run: the iterator throws ERR_DINO_ABORTED. */
  signal?: AbortSignal;
}

/** One tracked frame. */
export interface TrackedFrame {
  /** 0-based frame number. */
  index: number;
  /** File name, for image-folder input. */
  name: string | undefined;
  /** The frame (packed RGB); undefined for frames that stayed in device memory. */
  frame: RgbImage | undefined;
  width: number;
  height: number;
  grid: Grid;
  /** Object index of every pixel (width * height, 0 = background); frame 0: the given mask. */
  labels: Uint8Array;
  /** Object index of every patch (row-major). */
  patchLabels: Int32Array;
  /** Soft labels, patches x `objects` (frame 0: one-hot of the start). */
  probs: Float32Array;
  /** Number of labels, background included. */
  objects: number;
  rendered: RgbImage | undefined;
  /** Milliseconds per stage ('analysis': the propagation step). */
  timings: FrameTimings;
}

interface TrackConfig {
  mask: string | LabelMap | undefined;
  point: PixelPoint | undefined;
  threshold: number;
  size: Size | undefined;
  shortSide: number;
  propagation: PropagationOptions;
  render: SegmentationRenderOptions | undefined;
  prefetch: number;
  tool: VideoTool;
  maxFrames: number | undefined;
  signal: AbortSignal | undefined;
}

function resolveTrack(options: TrackVideoOptions): TrackConfig {
  if (!isObject(options as unknown)) invalid('options', '{ mask } or { point }', options);
  const { mask, point } = options;
  if ((mask === undefined) === (point === undefined)) invalid('options', 'exactly one of mask or point', options);
  if (mask !== undefined && typeof mask !== 'string' && !(isObject(mask) && mask.labels instanceof Uint8Array)) invalid('mask', 'a PNG path or { width, height, labels }', mask);
  if (point !== undefined && (!isObject(point) || typeof point.x !== 'number' || typeof point.y !== 'number')) invalid('point', '{ x, y } in pixels', point);
  return {
    mask,
    point,
    threshold: number(options.threshold ?? TRACK_THRESHOLD, 'threshold', -1, 1),
    size: options.size === undefined ? undefined : parseSize(options.size, 'size'),
    shortSide: integer(options.shortSide ?? 480, 'shortSide', 16, 8192),
    propagation: {
      ...(options.contextFrames !== undefined ? { contextFrames: options.contextFrames } : {}),
      ...(options.topK !== undefined ? { topK: options.topK } : {}),
      ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
      ...(options.radius !== undefined ? { radius: options.radius } : {}),
      ...(options.neighbourhood !== undefined ? { neighbourhood: options.neighbourhood } : {}),
    },
    render: options.render === false ? undefined : { palette: 'qualitative', alpha: 0.5, ...(options.render ?? {}) },
    prefetch: integer(options.prefetch ?? 2, 'prefetch', 1, 64),
    tool: oneOf(options.tool ?? 'auto', 'tool', ['auto', 'ffmpeg', 'gstreamer'] as const),
    maxFrames: optional(options.maxFrames, (v) => integer(v, 'maxFrames', 1)),
    signal: signalArg(options.signal, 'signal'),
  };
}

/** The DINOv3 notebook's ResizeToMultiple: the shorter side to `shortSide`, both sides rounded up to the patch size. */
export function trackingSize(width: number, height: number, shortSide: number, patch: number): Size {
  const up = (v: number): number => Math.ceil(v / patch) * patch;
  if (width > height) {
    const h = up(shortSide);
    return { height: h, width: up((width * h) / height) };
  }
  const w = up(shortSide);
  return { width: w, height: up((height * w) / width) };
}

/** A label map resampled (nearest, centre sampling) to width x height. */
function resampleLabels(map: LabelMap, width: number, height: number): Uint8Array {
  if (map.width === width && map.height === height) return map.labels;
  return Uint8Array.from(labelsOnGrid(map.labels, map.width, map.height, { rows: height, cols: width }));
}

/**
 * The patch labels of a clicked object (1) and background (0): the patches whose similarity to
 * the clicked one is at least `threshold`, refined by one propagation step onto the same frame.
 */
export async function labelsFromPoint(features: Features, point: PixelPoint, threshold: number, propagation: PropagationOptions): Promise<Int32Array> {
  const heat = await features.similarity(point);
  const rough = new Int32Array(heat.values.length);
  heat.values.forEach((v, i) => (rough[i] = v >= threshold ? 1 : 0));
  const p = new LabelPropagator(features.grid, features.dim, 2, propagation);
  await p.start(features, oneHot(rough, 2));
  return hardLabels(await p.step(features), 2);
}

/**
 * Tracks objects through every frame of a video file, an image folder, any source URI, an opened
 * {@link VideoSource} or an async iterable of frames, starting from a first-frame mask (DAVIS
 * layout) or a click, by label propagation (defaults: the DINOv3 notebook's settings). Iterate
 * the result; breaking out stops the decoder.
 *
 * @example
 * ```ts
 * for await (const f of trackVideo(model, 'clip.mp4', { mask: 'first.png' })) {
 *   await out.write(f.rendered!);
 * }
 * ```
 * @throws DinoError ERR_DINO_INVALID_ARGUMENT (neither or both of mask and point, bad options),
 *   ERR_DINO_FILE_NOT_FOUND, ERR_DINO_INVALID_IMAGE (a mask that is not a PNG),
 *   ERR_DINO_SOURCE, ERR_DINO_ABORTED.
 */
export function trackVideo(model: Model, input: string | VideoSource | AsyncIterable<RawImage>, options: TrackVideoOptions): AsyncGenerator<TrackedFrame> {
  const config = resolveTrack(options);
  checkOfflineInput(input);
  return run(model, input, config);
}

async function* run(model: Model, input: OfflineInput, c: TrackConfig): AsyncGenerator<TrackedFrame> {
  const mask = typeof c.mask === 'string' ? await readLabelPng(c.mask) : c.mask;
  let objects = 2;
  if (mask) {
    objects = 1;
    for (const l of mask.labels) objects = Math.max(objects, l + 1);
    if (objects < 2) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', 'The first-frame mask holds no object (every pixel is 0)');
  }
  const { source, owned } = await offlineSource(input, c);
  const patch = model.info.patchSize;
  const refW = mask?.width ?? source.info.width;
  const refH = mask?.height ?? source.info.height;
  const size = c.size ?? (refW && refH ? trackingSize(refW, refH, c.shortSide, patch) : parseSize(model.info.defaultSize, 'size'));
  let propagator: LabelPropagator | undefined;
  try {
    const frames = frameLoop(model, source, {
      mode: 'offline',
      size,
      depth: c.prefetch + 1,
      ...(c.maxFrames === undefined ? {} : { maxFrames: c.maxFrames }),
      ...(c.signal ? { signal: c.signal } : {}),
    });
    for await (const f of frames) {
      const { features } = f;
      const grid = { ...features.grid };
      const t1 = performance.now();
      let probs: Float32Array;
      let patchLabels: Int32Array;
      let labels: Uint8Array;
      if (!propagator) {
        if (mask) {
          patchLabels = labelsOnGrid(mask.labels, mask.width, mask.height, grid);
          labels = resampleLabels(mask, f.width, f.height);
        } else {
          patchLabels = await labelsFromPoint(features, c.point as PixelPoint, c.threshold, c.propagation);
          labels = labelsToPixels(patchLabels, grid, f.width, f.height);
        }
        probs = oneHot(patchLabels, objects);
        propagator = new LabelPropagator(grid, features.dim, objects, c.propagation);
        await propagator.start(features, probs);
      } else {
        probs = await propagator.step(features);
        patchLabels = hardLabels(probs, objects);
        labels = labelsToPixels(patchLabels, grid, f.width, f.height);
      }
      const t2 = performance.now();
      let rendered: RgbImage | undefined;
      if (c.render) {
        const shown = patchLabels.map((l) => (l === 0 ? -1 : l));
        rendered = await renderSegmentation(f.frame ?? { width: f.width, height: f.height }, { labels: shown, grid, k: objects }, f.frame ? c.render : { ...c.render, mode: 'mask' });
      }
      const t3 = performance.now();
      yield {
        index: f.index,
        name: f.name,
        frame: f.frame,
        width: f.width,
        height: f.height,
        grid,
        labels,
        patchLabels,
        probs,
        objects,
        rendered,
        timings: { ...f.timings, analysis: t2 - t1, render: t3 - t2, latency: t3 - f.capturedAt },
      };
    }
  } finally {
    if (owned) await source.dispose();
  }
}
