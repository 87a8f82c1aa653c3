/** `dinov3 heatmap`: patch-similarity heatmaps of one image, one picture per target, one inference. */
import { basename, dirname, extname, join } from 'node:path';

import type { PatchIndex, PixelPoint } from '../../analysis/types';
import type { SimilarityTarget } from '../../features';
import { DinoError } from '../../errors';
import { writeNpy } from '../../io/npy';
import { loadModel } from '../../model/model';
import { COLORMAP_NAMES, type ColormapName } from '../../render/colormaps';
import { renderHeatmap, type HeatmapRenderOptions } from '../../render/heatmap';
import { toPng } from '../../render/png';
import { parseSize } from '../../util/size';
import { flag, int, num, pair, parse, required, str, type Options } from '../args';
import { checkPatchSize } from '../checks';
import { loadOptions, MODEL_FLAGS, MODEL_OPTIONS_HELP } from '../model-options';
import { decoderOf, openSequenceOutput, writeSequence } from './segment';

export const usage = `Usage: dinov3 heatmap --model MODEL.onnx --image IMAGE [--size HxW]
                      [--patch ROW,COL | --point X,Y]...  (repeatable: one map per target)
                      [--colormap viridis|magma|inferno|jet|gray] [--overlay [ALPHA]] [--colorbar]
                      [--grid] [--range LOW,HIGH] [--threshold T] [--no-marker]
                      --output OUT.png [--raw OUT.npy] [model options]
       dinov3 heatmap --model MODEL.onnx --input VIDEO|DIR|URI [--patch ROW,COL | --point X,Y]
                      [same picture options] --output (OUT.mp4 | OUT-DIR/) [--fps F] [--max-frames N]
                      [--decoder auto|ffmpeg|gstreamer] [model options]

Cosine similarity of a target patch to every patch of the image, as a picture at the image's
resolution (smoothly upsampled; --grid: one block per patch), plain or blended over the photo
(--overlay, alpha 0.5 unless given), with the target patch marked and an optional colour bar.
Default target: the centre patch. --point takes pixels of the original image.
Values are mapped to the colormap from the map's minimum to its maximum (the target, similarity
1, gets the top colour) unless --range is given.
Several targets: one inference, pictures OUT-1.png, OUT-2.png, ... in the order given; --raw
writes a [targets, rows, cols] float32 array (or [rows, cols] for one target).
--input: every frame of a video, an image folder or any source URI, each frame's map of one target
(--point in frame pixels), written as a video or numbered PNGs (the pipeline segment uses).
Aliases: --input_size for --size, --patch_size to assert the model's patch size.

${MODEL_OPTIONS_HELP}`;

const options: Options = {
  model: { type: 'string' },
  image: { type: 'string' },
  input: { type: 'string' },
  fps: { type: 'string' },
  'max-frames': { type: 'string' },
  decoder: { type: 'string' },
  size: { type: 'string' },
  patch: { type: 'string', multiple: true },
  point: { type: 'string', multiple: true },
  colormap: { type: 'string' },
  overlay: { type: 'string' },
  colorbar: { type: 'boolean' },
  grid: { type: 'boolean' },
  range: { type: 'string' },
  threshold: { type: 'string' },
  'no-marker': { type: 'boolean' },
  output: { type: 'string' },
  raw: { type: 'string' },
  ...MODEL_FLAGS,
  'patch-size': { type: 'string' },
};

const DEFAULT_OVERLAY_ALPHA = 0.5;

const NUMERIC = /^-?\d*\.?\d+(\s*,\s*-?\d*\.?\d+)?$/;

/**
 * `--overlay` takes an optional value: a bare `--overlay` becomes `--overlay=<default>`. Values
 * of --range and --threshold may start with a minus sign (`--range -1,1`), which parseArgs would
 * take for a flag: they are joined with '='.
 */
function normaliseArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = argv[i + 1];
    if ((a === '--range' || a === '--threshold') && next !== undefined && NUMERIC.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else if (a === '--overlay') {
      if (next !== undefined && /^\d*\.?\d+$/.test(next)) {
        out.push(`--overlay=${next}`);
        i++;
      } else out.push(`--overlay=${DEFAULT_OVERLAY_ALPHA}`);
    } else out.push(a);
  }
  return out;
}

/** Targets in command-line order. */
function targets(argv: readonly string[]): Array<{ kind: 'patch' | 'point'; text: string }> {
  const list: Array<{ kind: 'patch' | 'point'; text: string }> = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const m = /^--(patch|point)(?:=(.*))?$/.exec(a);
    if (!m) continue;
    const text = m[2] ?? argv[++i];
    if (text !== undefined) list.push({ kind: m[1] as 'patch' | 'point', text });
  }
  return list;
}

/** A command-line target as a similarity target: a patch (row, col) or a pixel (x, y). */
function targetOf(t: { kind: 'patch' | 'point'; text: string }): PatchIndex | PixelPoint {
  const [a, b] = pair(t.text, t.kind);
  return t.kind === 'patch' ? { row: a, col: b } : { x: a, y: b };
}

/** OUT.png for one target; OUT-1.png, OUT-2.png, ... for several. */
export function outputNames(output: string, count: number): string[] {
  if (count === 1) return [output];
  const ext = extname(output) || '.png';
  const stem = basename(output, extname(output));
  return Array.from({ length: count }, (_, i) => join(dirname(output), `${stem}-${i + 1}${ext}`));
}

export async function run(argv: readonly string[], out: (s: string) => void): Promise<void> {
  const normalised = normaliseArgs(argv);
  const p = parse(normalised, options);
  const modelPath = required(p, 'model', usage);
  const input = str(p, 'input');
  if ((str(p, 'image') === undefined) === (input === undefined)) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `Give exactly one of --image or --input\n\n${usage}`);
  const output = required(p, 'output', usage);
  const colormap = (str(p, 'colormap') ?? 'viridis') as ColormapName;
  if (!COLORMAP_NAMES.includes(colormap)) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `--colormap must be one of ${COLORMAP_NAMES.join(', ')}, got '${colormap}'`);
  }
  const alpha = num(p, 'overlay');
  const rangeText = str(p, 'range');
  const render: HeatmapRenderOptions = {
    colormap,
    interpolation: flag(p, 'grid') ? 'nearest' : 'bilinear',
    overlay: alpha !== undefined,
    ...(alpha !== undefined ? { alpha } : {}),
    ...(rangeText !== undefined ? { range: pair(rangeText, 'range') } : {}),
    ...(str(p, 'threshold') !== undefined ? { threshold: num(p, 'threshold') as number } : {}),
    marker: !flag(p, 'no-marker'),
    colorbar: flag(p, 'colorbar'),
  };
  const given = targets(normalised);
  const sizeText = str(p, 'size');
  if (input !== undefined) {
    if (given.length > 1) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', '--input takes one target (--patch or --point): one map per frame');
    const target = given[0] === undefined ? undefined : targetOf(given[0]);
    const tool = decoderOf(p);
    const opened = await openSequenceOutput(output, input, tool);
    try {
      const model = await loadModel(modelPath, loadOptions(p));
      try {
        checkPatchSize(int(p, 'patch-size'), model.info.patchSize);
        const size = parseSize(sizeText ?? model.info.defaultSize, '--size');
        const centre = { row: Math.floor(size.height / model.info.patchSize / 2), col: Math.floor(size.width / model.info.patchSize / 2) };
        const maxFrames = int(p, 'max-frames');
        const fps = num(p, 'fps');
        await writeSequence(model, opened, output, { heatmap: target ?? centre, size, render, ...(maxFrames !== undefined ? { maxFrames } : {}) }, { tool, ...(fps !== undefined ? { fps } : {}) }, out);
      } finally {
        await model.dispose();
      }
    } finally {
      await opened.source.dispose();
    }
    return;
  }
  const image = required(p, 'image', usage);
  const model = await loadModel(modelPath, loadOptions(p));
  try {
    checkPatchSize(int(p, 'patch-size'), model.info.patchSize);
    const features = await model.extract(image, sizeText === undefined ? {} : { size: parseSize(sizeText, '--size') });
    const { rows, cols } = features.grid;
    const list: SimilarityTarget[] =
      given.length === 0
        ? [{ row: Math.floor(rows / 2), col: Math.floor(cols / 2) } satisfies PatchIndex]
        : given.map(targetOf);
    const start = performance.now();
    const maps = await features.similarity(list);
    const pictures = await renderHeatmap(image, maps, render);
    const names = outputNames(output, maps.length);
    for (let i = 0; i < pictures.length; i++) await toPng(pictures[i]!, names[i]!);
    const raw = str(p, 'raw');
    if (raw !== undefined) {
      const values = new Float32Array(maps.length * rows * cols);
      maps.forEach((m, i) => values.set(m.values, i * rows * cols));
      await writeNpy(raw, values, maps.length === 1 ? [rows, cols] : [maps.length, rows, cols]);
    }
    const t = features.timings;
    out(
      [
        `grid ${rows}x${cols}, image ${features.imageSize.width}x${features.imageSize.height}, backend ${features.backend}`,
        ...maps.map((m, i) => `target patch (${m.target?.row}, ${m.target?.col}): min ${m.min.toFixed(3)}, max ${m.max.toFixed(3)} -> ${names[i]}`),
        `inference ${t.inferenceMs.toFixed(1)} ms, similarity + render ${(performance.now() - start).toFixed(1)} ms`,
        ...(raw !== undefined ? [`wrote ${raw}`] : []),
      ].join('\n'),
    );
  } finally {
    await model.dispose();
  }
}
