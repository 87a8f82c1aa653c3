/**
 * The live stage of one stream: a frame's features to the picture the live view shows —
 * clusters with stable colours, the similarity map of the queried point, or PCA, drawn over the
 * frame and optionally JPEG-encoded — following the stream's {@link LiveControls} as they change.
 * segmentStream (one source) and the multi-source grid run one per stream.
 * Internal: not part of the public API.
 * @module
 */
import sharp from 'sharp';

import { matchPatches, type PatchMatches } from '../analysis/correspondence';
import { hardLabels, LabelPropagator, oneHot } from '../analysis/propagate';
import type { Heatmap, PcaResult, PixelPoint } from '../analysis/types';
import { ClusterTracker } from '../pipeline/cluster-tracker';
import { FrameAnalysis, type AnalysisMode } from '../pipeline/frame-analysis';
import type { Features } from '../features';
import type { FrameTimings, LoopFrame } from '../pipeline/frames';
import { labelsFromPoint, TRACK_THRESHOLD } from '../pipeline/track-video';
import type { ColormapName } from '../render/colormaps';
import { renderHeatmap } from '../render/heatmap';
import { renderMatches } from '../render/matches';
import type { PaletteName } from '../render/palettes';
import { renderPca } from '../render/pca';
import { renderSegmentation } from '../render/segmentation';
import type { RgbImage } from '../render/types';
import type { LiveControls, LiveSettings } from './controls';

export interface LiveStageOptions {
  palette?: PaletteName | undefined;
  colormap?: ColormapName | undefined;
  /** JPEG quality 1..100, or 0 for no JPEG. */
  jpegQuality: number;
  signal?: AbortSignal | undefined;
}

/** One frame of a live stream as the live view shows it. */
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
  /** 'match' mode: the pairs between the frozen reference frame (a) and this one (b). */
  matches: PatchMatches | undefined;
  rendered: RgbImage;
  jpeg: Buffer | undefined;
  /** Milliseconds per stage (the timings type of every pipeline). */
  timings: FrameTimings;
  /** Frames per second over the last second or so. */
  fps: number;
}

const now = (): number => performance.now();

/** A point of the settings moved inside this frame (a click on a larger earlier frame). */
const onFrame = (p: PixelPoint, f: LoopFrame): PixelPoint => ({ x: Math.min(f.width - 1, p.x), y: Math.min(f.height - 1, p.y) });

/** Pairs drawn in 'match' mode (the most similar). */
const MATCHES_SHOWN = 64;

/** The frozen frame of 'match' mode. */
interface Reference {
  point: PixelPoint | undefined;
  features: Features;
  picture: RgbImage | { width: number; height: number };
}

export class LiveStage {
  #tracker: ClusterTracker | undefined;
  #trackerVersion = -1;
  readonly #analysis = new FrameAnalysis();
  readonly #times: number[] = [];
  #tracking: { point: PixelPoint; propagator: LabelPropagator; rows: number; cols: number } | undefined;
  #reference: Reference | undefined;

  constructor(
    readonly controls: LiveControls,
    private readonly options: LiveStageOptions,
  ) {}

  /** Analyses, renders and encodes one frame (its features stay the caller's). */
  async process(current: LoopFrame): Promise<LiveFrame> {
    const { features } = current;
    const { palette, colormap, jpegQuality, signal } = this.options;
    const settings = this.controls.settings;
    const t1 = now();
    const tracked = settings.mode === 'track' ? await this.#follow(current) : undefined;
    if (settings.mode !== 'track') this.#tracking = undefined;
    const matched = settings.mode === 'match' ? await this.#match(current) : undefined;
    if (settings.mode !== 'match') this.#reference = undefined;
    const result = tracked || matched ? { clusters: undefined, heatmap: undefined, pca: undefined } : await this.#analysis.run(features, this.#mode(current), signal);
    const labels = tracked ?? result.clusters?.labels;
    const { heatmap, pca } = result;
    const t2 = now();
    // Frames kept in device memory have no photo on the host: their analysis is drawn alone.
    const base = current.frame ?? { width: current.width, height: current.height };
    const overPhoto = current.frame !== undefined;
    const rendered = matched
      ? await renderMatches((this.#reference as Reference).picture, base, matched)
      : labels !== undefined
        ? await renderSegmentation(base, { labels, grid: features.grid, k: tracked ? 2 : (this.#tracker?.k ?? settings.k) }, { alpha: settings.alpha, mode: overPhoto ? 'overlay' : 'mask', ...(palette ? { palette } : {}) })
        : heatmap !== undefined
          ? await renderHeatmap(base, heatmap, { overlay: overPhoto, alpha: Math.max(settings.alpha, 0.3), ...(colormap ? { colormap } : {}) })
          : await renderPca(base, pca as PcaResult, { alpha: settings.alpha });
    const t3 = now();
    const jpeg = jpegQuality > 0 ? await sharp(rendered.data, { raw: { width: rendered.width, height: rendered.height, channels: 3 } }).jpeg({ quality: jpegQuality, optimiseCoding: false }).toBuffer() : undefined;
    const t4 = now();
    const times = this.#times;
    times.push(t4);
    while (times.length > 1 && (times[0] as number) < t4 - 1000) times.shift();
    const fps = times.length > 1 ? ((times.length - 1) * 1000) / (t4 - (times[0] as number)) : 0;
    return {
      index: current.index,
      sequence: current.sequence,
      settings,
      frame: current.frame,
      grid: { ...features.grid },
      labels,
      heatmap,
      pca,
      matches: matched,
      rendered,
      jpeg,
      timings: { ...current.timings, analysis: t2 - t1, render: t3 - t2, encode: t4 - t3, latency: t4 - current.capturedAt },
      fps,
    };
  }

  /**
   * 'track' mode: the object under the point, followed by label propagation from the frame the
   * point was set on (a new point or a new frame size starts again). Patch labels: 1 for the
   * object, -1 (not drawn) for the rest; all -1 until a point is set.
   */
  async #follow(current: LoopFrame): Promise<Int32Array> {
    const { features } = current;
    const point = this.controls.settings.point;
    if (!point) return new Int32Array(features.patchCount).fill(-1);
    const t = this.#tracking;
    let labels: Int32Array;
    if (!t || t.point !== point || t.rows !== features.grid.rows || t.cols !== features.grid.cols) {
      labels = await labelsFromPoint(features, onFrame(point, current), TRACK_THRESHOLD, {});
      const propagator = new LabelPropagator(features.grid, features.dim, 2);
      await propagator.start(features, oneHot(labels, 2));
      this.#tracking = { point, propagator, rows: features.grid.rows, cols: features.grid.cols };
    } else {
      labels = hardLabels(await t.propagator.step(features), 2);
    }
    return labels.map((l) => (l === 0 ? -1 : l));
  }

  /**
   * 'match' mode: the mutual nearest-neighbour patches of a frozen reference frame (the first
   * frame in this mode; a new point freezes the current one) and this frame.
   */
  async #match(current: LoopFrame): Promise<PatchMatches> {
    const point = this.controls.settings.point;
    if (!this.#reference || this.#reference.point !== point) {
      this.#reference?.features.dispose();
      this.#reference = { point, features: await current.features.hostCopy(), picture: current.frame ?? { width: current.width, height: current.height } };
    }
    return matchPatches(this.#reference.features, current.features, { maxMatches: MATCHES_SHOWN });
  }

  /** What the current settings ask of this frame; a new k or new settings restart the clusters. */
  #mode(current: LoopFrame): AnalysisMode {
    const settings = this.controls.settings;
    if (settings.mode === 'segment') {
      if (!this.#tracker || this.#trackerVersion !== this.controls.version || this.#tracker.k !== settings.k) {
        if (!this.#tracker || this.#tracker.k !== settings.k) this.#tracker = new ClusterTracker({ k: Math.min(settings.k, current.features.patchCount) });
        this.#trackerVersion = this.controls.version;
      }
      return { kind: 'segment', tracker: this.#tracker };
    }
    if (settings.mode === 'heatmap') {
      return { kind: 'heatmap', target: onFrame(settings.point ?? { x: current.width / 2, y: current.height / 2 }, current) };
    }
    return { kind: 'pca' };
  }
}
