/**
 * `dinov3 segment`: k-means segmentation (or PCA-RGB pictures) of an image, a video file or a
 * directory of images, with stable colours across frames.
 */
import { mkdir, stat } from 'node:fs/promises';
import { extname, join, parse as parsePath } from 'node:path';

import { DinoError } from '../../errors';
import { writeNpy } from '../../io/npy';
import { loadModel, type Model } from '../../model/model';
import { segmentStreams } from '../../pipeline/segment-streams';
import { segmentVideo, type SegmentVideoOptions } from '../../pipeline/segment-video';
import { PALETTE_NAMES, type PaletteName } from '../../render/palettes';
import { renderPca, type PcaRenderOptions } from '../../render/pca';
import { toPng } from '../../render/png';
import { renderSegmentation, type SegmentationRenderOptions } from '../../render/segmentation';
import { parseSize, type Size } from '../../util/size';
import { ProgressBar } from '../../video/progress';
import type { VideoTool } from '../../video/programs';
import { openSource, type VideoSource } from '../../video/sources/source';
import { flag, int, list, num, parse, required, str, type Options, type Parsed } from '../args';
import { checkPatchSize } from '../checks';
import { loadOptions, MODEL_FLAGS, MODEL_OPTIONS_HELP } from '../model-options';
import { SequenceOutput, type WriteSettings } from '../sequence-output';

export const usage = `Usage: dinov3 segment --model MODEL.onnx (--image IMAGE | --input VIDEO|DIR/|URI [--input ...])
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
Several --input (videos, folders, camera or stream URIs) run through the model together, their
frames batched into one inference per round; --output is then a folder with one output per
input (NAME.mp4 for a video, NAME/ for an image folder) and --labels a folder of NAME.npy.
A progress bar shows on a terminal; FPS and per-stage timings are printed at the end.
Aliases: --n_clusters for --clusters, --input_size for --size, --patch_size to assert the
model's patch size.

${MODEL_OPTIONS_HELP}`;

const options: Options = {
  model: { type: 'string' },
  image: { type: 'string' },
  input: { type: 'string', multiple: true },
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

/** An opened input and what its output is: a video file or a folder of PNG frames. */
export interface Opened {
  source: VideoSource;
  kind: 'video' | 'dir';
}

/** Checks that `output` suits a sequence (a video file or DIR/) and opens `input`: every frame, in order. */
export async function openSequenceOutput(output: string, input: string, tool: VideoTool): Promise<Opened> {
  const kind = await outputKind(output);
  if (kind === 'png') throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `A video or image directory needs --output DIR/ (PNG frames) or a video file such as out.mp4, got '${output}'`);
  // drop: false — every frame, whatever the source: a file, a folder, a camera URI.
  return { source: await openSource(input, { drop: false, decoder: tool }), kind };
}

/** The pipeline options the sequence flags give. */
function sequenceOptions(p: Parsed, size: Size | undefined): SegmentVideoOptions {
  const pca = flag(p, 'pca');
  const k = int(p, 'clusters');
  if (!pca && k === undefined) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `--clusters is required (or --pca)\n\n${usage}`);
  const maxFrames = int(p, 'max-frames');
  const refresh = int(p, 'refresh');
  const sceneCut = num(p, 'scene-cut');
  return {
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
}

/**
 * Runs the offline pipeline over an opened sequence and writes every rendered frame to a video
 * or a folder of PNGs, with a progress bar and the stage timings at the end (`segment`, and
 * `heatmap --input`). `labels`: also write the per-frame labels (kept only when asked).
 */
export async function writeSequence(model: Model, opened: Opened, output: string, options: SegmentVideoOptions, write: WriteSettings, out: (s: string) => void): Promise<void> {
  const sequence = new SequenceOutput(opened.source, opened.kind, output, write);
  await sequence.writeAll(segmentVideo(model, opened.source, options), options.heatmap ? 'heatmap' : 'segment', options.maxFrames, (r) => sequence.add(r));
  out(sequence.summary(model));
}

/**
 * Several inputs (`segment --input A --input B ...`): their frames batched into one inference per
 * round (segmentStreams), each written to its own output in the `outputDir` folder — a video
 * `<name>.mp4` for a video input, a folder `<name>/` for an image folder — and, with --labels, its
 * labels as `<labels>/<name>.npy`. A failing input is reported and the others are finished.
 */
async function writeStreams(model: Model, inputs: readonly Opened[], outputDir: string, options: SegmentVideoOptions, write: WriteSettings, out: (s: string) => void): Promise<void> {
  const names = uniqueNames(inputs.map((o) => parsePath(o.source.uri.replace(/\/+$/, '')).name || 'input'));
  const { labels, ...settings } = write;
  const sequences = inputs.map((o, i) => {
    const name = names[i] as string;
    const output = join(outputDir, o.kind === 'video' ? `${name}.mp4` : name);
    return new SequenceOutput(o.source, o.kind, output, { ...settings, ...(labels !== undefined ? { labels: join(labels, `${name}.npy`) } : {}) });
  });
  if (labels !== undefined) await mkdir(labels, { recursive: true });
  const known = inputs.map((o) => o.source.info.frames);
  const bar = new ProgressBar('segment', known.every((n) => n !== undefined) ? known.reduce((a, b) => (a as number) + Math.min(b as number, options.maxFrames ?? Infinity), 0) : undefined);
  const failures: string[] = [];
  const batches: number[] = [];
  let done = 0;
  try {
    for await (const e of segmentStreams(model, inputs.map((o) => o.source), options)) {
      const sequence = sequences[e.stream] as SequenceOutput;
      if (e.type === 'frame') {
        await sequence.add(e.result);
        batches.push(e.batch);
        bar.update(++done);
      } else if (e.type === 'error') {
        failures.push(`${e.uri}: ${e.error.message}`);
        await sequence.abort();
      } else await sequence.close();
    }
    bar.finish();
  } catch (err) {
    bar.finish();
    await Promise.all(sequences.map((s) => s.abort()));
    throw err;
  }
  const fill = batches.reduce((a, b) => a + b, 0) / Math.max(1, batches.length);
  out([...sequences.filter((s) => s.stats.frames > 0).map((s) => s.summary(model)), `${inputs.length} inputs batched: ${fill.toFixed(2)} frames per inference on average`].join('\n\n'));
  if (failures.length > 0) throw new DinoError('ERR_DINO_SOURCE', `${failures.length} of ${inputs.length} inputs failed:\n${failures.join('\n')}`);
}

/** Names made unique by a numeric suffix (two inputs called clip.mp4 in different folders). */
function uniqueNames(names: readonly string[]): string[] {
  return names.map((n, i) => (names.indexOf(n) === i && names.lastIndexOf(n) === i ? n : `${n}-${i + 1}`));
}

export async function run(argv: readonly string[], out: (s: string) => void): Promise<void> {
  const p = parse(argv, options);
  const modelPath = required(p, 'model', usage);
  const image = str(p, 'image');
  const inputs = list(p, 'input');
  if ((image === undefined) === (inputs.length === 0)) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `Give exactly one of --image or --input\n\n${usage}`);
  const output = required(p, 'output', usage);
  if (inputs.length > 1 && (await outputKind(output)) !== 'dir') throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `With several --input, --output must be a directory (one output per input), got '${output}'`);
  const sizeText = str(p, 'size');
  const size = sizeText === undefined ? undefined : parseSize(sizeText, '--size');
  const opened: Opened[] = [];
  let model: Model | undefined;
  try {
    // The flags and inputs are checked, and the inputs opened, before the (slower) model load.
    const sequence = inputs.length > 0 ? sequenceOptions(p, size) : undefined;
    if (inputs.length > 1) {
      for (const input of inputs) {
        const source = await openSource(input, { drop: false, decoder: decoderOf(p) });
        opened.push({ source, kind: source.decoder === 'images' ? 'dir' : 'video' });
      }
    } else if (inputs.length === 1) opened.push(await openSequenceOutput(output, inputs[0] as string, decoderOf(p)));
    model = await loadModel(modelPath, loadOptions(p, inputs.length));
    checkPatchSize(int(p, 'patch-size'), model.info.patchSize);
    const fps = num(p, 'fps');
    const labels = str(p, 'labels');
    const write = { tool: decoderOf(p), ...(fps !== undefined ? { fps } : {}), ...(labels !== undefined ? { labels } : {}) };
    if (sequence && opened.length > 1) await writeStreams(model, opened, output, sequence, write, out);
    else if (sequence) await writeSequence(model, opened[0] as Opened, output, sequence, write, out);
    else await segmentImage(model, p, image as string, size, out);
  } finally {
    await Promise.all(opened.map((o) => o.source.dispose()));
    await model?.dispose();
  }
}
