/**
 * `dinov3 segment`: k-means segmentation (or PCA-RGB pictures) of an image, a video file or a
 * directory of images, with stable colours across frames.
 */
import { stat } from 'node:fs/promises';
import { extname, parse as parsePath } from 'node:path';

import { DinoError } from '../../errors';
import { writeNpy } from '../../io/npy';
import { loadModel, type Model } from '../../model/model';
import { segmentVideo, type SegmentVideoOptions } from '../../pipeline/segment-video';
import { PipelineStats } from '../../pipeline/stats';
import { PALETTE_NAMES, type PaletteName } from '../../render/palettes';
import { renderPca, type PcaRenderOptions } from '../../render/pca';
import { toPng } from '../../render/png';
import { renderSegmentation, type SegmentationRenderOptions } from '../../render/segmentation';
import { parseSize, type Size } from '../../util/size';
import { openFrameWriter } from '../../video/frame-writer';
import { openVideoWriter } from '../../video/encoder';
import { ProgressBar } from '../../video/progress';
import type { FrameSink } from '../../video/sink';
import type { VideoTool } from '../../video/programs';
import { openSource, type VideoSource } from '../../video/sources/source';
import { flag, int, parse, required, str, type Options, type Parsed } from '../args';
import { checkPatchSize } from '../checks';
import { loadOptions, MODEL_FLAGS, MODEL_OPTIONS_HELP } from '../model-options';

export const usage = `Usage: dinov3 segment --model MODEL.onnx (--image IMAGE | --input VIDEO | --input DIR/)
                      --clusters K [--size HxW] [--seed S] [--alpha 0.4] [--palette jet|qualitative]
                      [--side-by-side] [--mask-only] [--pca] [--refresh N] [--scene-cut R]
                      [--no-stable] [--fps F] [--max-frames N] [--decoder auto|ffmpeg|gstreamer]
                      --output (OUT.png | OUT-DIR/ | OUT.mp4) [--labels OUT.npy] [model options]

k-means over the patch tokens, each patch coloured by its cluster (nearest-neighbour upsampled,
blended 0.6 photo / 0.4 colour; --alpha sets the colour's weight), or --mask-only, optionally
next to the photo (--side-by-side). --pca draws the PCA-RGB picture of the features instead
(alone, or blended over the photo when --alpha is given).
Video files are decoded with ffmpeg (or GStreamer) and written as a video (.mp4, .mkv, .webm,
.mov) or as PNG frames into a directory; a directory of images is read in name order. Colours
stay stable across frames: k-means starts from the previous frame's centroids, and a
from-scratch re-clustering (first frame, scene cut, --refresh N) is matched to the previous
clusters. --no-stable clusters every frame from scratch (the tutorial's flickering colours).
--labels writes int32 labels: [rows, cols] for an image, [frames, rows, cols] for a sequence.
A progress bar shows on a terminal; FPS and per-stage timings are printed at the end.
Aliases: --n_clusters for --clusters, --input_size for --size, --patch_size to assert the
model's patch size.

${MODEL_OPTIONS_HELP}`;

const options: Options = {
  model: { type: 'string' },
  image: { type: 'string' },
  input: { type: 'string' },
  clusters: { type: 'string' },
  size: { type: 'string' },
  seed: { type: 'string' },
  alpha: { type: 'string' },
  palette: { type: 'string' },
  'side-by-side': { type: 'boolean' },
  'mask-only': { type: 'boolean' },
  pca: { type: 'boolean' },
  refresh: { type: 'string' },
  'scene-cut': { type: 'string' },
  'no-stable': { type: 'boolean' },
  fps: { type: 'string' },
  'max-frames': { type: 'string' },
  decoder: { type: 'string' },
  output: { type: 'string' },
  labels: { type: 'string' },
  ...MODEL_FLAGS,
  'patch-size': { type: 'string' },
};

const VIDEO_EXTENSIONS = ['.mp4', '.mkv', '.webm', '.mov', '.avi', '.m4v'];
const IMAGE_EXTENSIONS = ['.png'];

function num(p: Parsed, name: string): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `--${name} must be a number, got '${v}'`);
  return n;
}

/** What --output names: one PNG, a video file, or a directory of frames. */
async function outputKind(output: string): Promise<'png' | 'video' | 'dir'> {
  const ext = extname(output).toLowerCase();
  if (output.endsWith('/') || output.endsWith('\\')) return 'dir';
  try {
    if ((await stat(output)).isDirectory()) return 'dir';
  } catch {
    // does not exist yet
  }
  if (IMAGE_EXTENSIONS.includes(ext)) return 'png';
  if (VIDEO_EXTENSIONS.includes(ext)) return 'video';
  if (ext === '') return 'dir';
  throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `--output must be a .png, a video (${VIDEO_EXTENSIONS.join(', ')}) or a directory, got '${output}'`);
}

function renderOptions(p: Parsed, pca: boolean): SegmentationRenderOptions | PcaRenderOptions {
  const alpha = num(p, 'alpha');
  const common = { mode: flag(p, 'mask-only') ? 'mask' : 'overlay', sideBySide: flag(p, 'side-by-side'), ...(alpha !== undefined ? { alpha } : {}) } as const;
  if (pca) return { ...common, mode: flag(p, 'mask-only') || !str(p, 'alpha') ? 'mask' : 'overlay' };
  const palette = str(p, 'palette') ?? 'jet';
  if (!PALETTE_NAMES.includes(palette as PaletteName)) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `--palette must be one of ${PALETTE_NAMES.join(', ')}, got '${palette}'`);
  }
  return { ...common, palette: palette as PaletteName };
}

async function segmentImage(model: Model, p: Parsed, image: string, size: Size | undefined, out: (s: string) => void): Promise<void> {
  const output = required(p, 'output', usage);
  if ((await outputKind(output)) !== 'png') throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `For --image, --output must be a .png file, got '${output}'`);
  const pca = flag(p, 'pca');
  const render = renderOptions(p, pca);
  const features = await model.extract(image, size ? { size } : {});
  const start = performance.now();
  let summary: string;
  if (pca) {
    const result = await features.pca(3);
    await toPng(await renderPca(image, result, render as PcaRenderOptions), output);
    summary = `PCA explained variance ratio ${result.explainedRatio.map((r) => r.toFixed(3)).join(', ')}`;
  } else {
    const k = int(p, 'clusters');
    if (k === undefined) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `--clusters is required (or --pca)\n\n${usage}`);
    const seed = int(p, 'seed', 0) as number;
    const result = await features.kmeans({ k, seed });
    await toPng(await renderSegmentation(image, result, render as SegmentationRenderOptions), output);
    const labels = str(p, 'labels');
    if (labels !== undefined) await writeNpy(labels, result.labels, [features.grid.rows, features.grid.cols]);
    summary = `k-means k=${k}: inertia ${result.inertia.toFixed(3)}, ${result.iterations} iterations${labels !== undefined ? `\nwrote ${labels}` : ''}`;
  }
  const t = features.timings;
  out(
    `grid ${features.grid.rows}x${features.grid.cols}, image ${features.imageSize.width}x${features.imageSize.height}, backend ${features.backend}\n` +
      `${summary}\ninference ${t.inferenceMs.toFixed(1)} ms, cluster + render ${(performance.now() - start).toFixed(1)} ms\nwrote ${output}`,
  );
}

export function decoderOf(p: Parsed): VideoTool {
  const decoder = (str(p, 'decoder') ?? 'auto') as VideoTool;
  if (!['auto', 'ffmpeg', 'gstreamer'].includes(decoder)) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `--decoder must be auto, ffmpeg or gstreamer, got '${decoder}'`);
  return decoder;
}

/** Checks the sequence options and opens the input, before the (slower) model load. */
async function openSequence(p: Parsed, input: string): Promise<{ source: VideoSource; kind: 'video' | 'dir' }> {
  if (!flag(p, 'pca') && int(p, 'clusters') === undefined) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `--clusters is required (or --pca)\n\n${usage}`);
  return openSequenceOutput(required(p, 'output', usage), input, decoderOf(p));
}

/** Checks that `output` suits a sequence (a video file or DIR/) and opens `input`: every frame, in order. */
export async function openSequenceOutput(output: string, input: string, tool: VideoTool): Promise<{ source: VideoSource; kind: 'video' | 'dir' }> {
  const kind = await outputKind(output);
  if (kind === 'png') throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `A video or image directory needs --output DIR/ (PNG frames) or a video file such as out.mp4, got '${output}'`);
  // drop: false — every frame, whatever the source: a file, a folder, a camera URI.
  return { source: await openSource(input, { drop: false, decoder: tool }), kind };
}

async function segmentSequence(model: Model, p: Parsed, opened: { source: VideoSource; kind: 'video' | 'dir' }, size: Size | undefined, out: (s: string) => void): Promise<void> {
  const pca = flag(p, 'pca');
  const k = int(p, 'clusters');
  const maxFrames = int(p, 'max-frames');
  const refresh = int(p, 'refresh');
  const sceneCut = num(p, 'scene-cut');
  const options: SegmentVideoOptions = {
    ...(k !== undefined ? { k } : {}),
    ...(size ? { size } : {}),
    seed: int(p, 'seed', 0) as number,
    pca,
    stable: !flag(p, 'no-stable'),
    ...(refresh !== undefined ? { refreshEvery: refresh } : {}),
    ...(sceneCut !== undefined ? { sceneCut } : {}),
    render: renderOptions(p, pca),
    ...(maxFrames !== undefined ? { maxFrames } : {}),
  };
  const fps = num(p, 'fps');
  const labels = str(p, 'labels');
  await writeSequence(model, opened, required(p, 'output', usage), options, { tool: decoderOf(p), ...(fps !== undefined ? { fps } : {}), ...(labels !== undefined ? { labels } : {}) }, out);
}

/**
 * Runs the offline pipeline over an opened sequence and writes every rendered frame to a video
 * or a folder of PNGs, with a progress bar and the stage timings at the end (`segment`, and
 * `heatmap --input`). `labels`: also write the per-frame labels (kept only when asked).
 */
export async function writeSequence(
  model: Model,
  opened: { source: VideoSource; kind: 'video' | 'dir' },
  output: string,
  options: SegmentVideoOptions,
  write: { tool: VideoTool; fps?: number; labels?: string },
  out: (s: string) => void,
): Promise<void> {
  const { source, kind } = opened;
  const input = source.uri;
  const maxFrames = options.maxFrames;
  const info = source.info;
  const total = maxFrames !== undefined && info.frames !== undefined ? Math.min(maxFrames, info.frames) : (maxFrames ?? info.frames);
  const fps = write.fps ?? info.fps ?? 25;
  const bar = new ProgressBar(options.heatmap ? 'heatmap' : 'segment', total);
  const stats = new PipelineStats();
  // Per-frame labels are kept only when --labels asks for them: memory stays flat otherwise.
  const labelsPath = write.labels;
  const labels: Int32Array[] = [];
  let grid = { rows: 0, cols: 0 };
  let sink: FrameSink | undefined;
  try {
    for await (const r of segmentVideo(model, source, options)) {
      const picture = r.rendered as NonNullable<typeof r.rendered>;
      if (!sink) sink = kind === 'video' ? await openVideoWriter(output, { width: picture.width, height: picture.height, fps, tool: write.tool }) : await openFrameWriter(output);
      const t0 = performance.now();
      await sink.write(picture, r.name !== undefined ? `${parsePath(r.name).name}.png` : undefined);
      stats.add({ ...r.timings, encode: performance.now() - t0 });
      if (labelsPath !== undefined && r.labels) labels.push(r.labels);
      grid = r.grid;
      bar.update(stats.frames);
    }
    bar.finish();
    if (sink) await sink.close();
  } catch (err) {
    bar.finish();
    await sink?.abort();
    throw err;
  }
  stats.finish();
  if (stats.frames === 0) throw new DinoError('ERR_DINO_SOURCE', `No frames could be read from ${input}`);
  if (labelsPath !== undefined && labels.length > 0) {
    const all = new Int32Array(labels.length * grid.rows * grid.cols);
    labels.forEach((l, i) => all.set(l, i * l.length));
    await writeNpy(labelsPath, all, [labels.length, grid.rows, grid.cols]);
  }
  out(
    [
      `input ${source.decoder === 'images' ? 'images' : 'video'} ${input}${info.width ? ` ${info.width}x${info.height}` : ''}${info.fps ? ` at ${info.fps.toFixed(2)} fps` : ''} (decoder ${source.decoder}), grid ${grid.rows}x${grid.cols}, backend ${model.backend}`,
      stats.summary(),
      `wrote ${stats.frames} frames to ${output} (${sink?.encoder ?? '?'})${labelsPath !== undefined && labels.length > 0 ? `\nwrote ${labelsPath}` : ''}`,
    ].join('\n'),
  );
}

export async function run(argv: readonly string[], out: (s: string) => void): Promise<void> {
  const p = parse(argv, options);
  const modelPath = required(p, 'model', usage);
  const image = str(p, 'image');
  const input = str(p, 'input');
  if ((image === undefined) === (input === undefined)) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `Give exactly one of --image or --input\n\n${usage}`);
  required(p, 'output', usage);
  const sizeText = str(p, 'size');
  const size = sizeText === undefined ? undefined : parseSize(sizeText, '--size');
  const opened = input !== undefined ? await openSequence(p, input) : undefined;
  let model: Model | undefined;
  try {
    model = await loadModel(modelPath, loadOptions(p));
    checkPatchSize(int(p, 'patch-size'), model.info.patchSize);
    if (opened) await segmentSequence(model, p, opened, size, out);
    else await segmentImage(model, p, image as string, size, out);
  } finally {
    await opened?.source.dispose();
    await model?.dispose();
  }
}

