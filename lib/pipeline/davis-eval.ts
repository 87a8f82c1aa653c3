/**
 * Semi-supervised video object segmentation on DAVIS-2017 (Pont-Tuset et al., 2017): every
 * sequence is tracked from its first-frame annotation with {@link trackVideo}, and each object is
 * scored per frame with region similarity J and boundary F-measure F, as the davis2017-evaluation
 * code does (the first and last frames are not scored; an object's score is its mean over the
 * scored frames; the benchmark's J, F and J&F are means over all objects of all sequences).
 * Layout: DIR/JPEGImages/<resolution>/<seq>/*.jpg, DIR/Annotations/<resolution>/<seq>/*.png
 * (palette PNGs of object indices), DIR/ImageSets/2017/val.txt (the default sequence list).
 * @module
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join, parse as parsePath } from 'node:path';

import { boundaryF, objectMask, regionSimilarity } from '../analysis/davis-metrics';
import type { PropagationOptions } from '../analysis/propagate';
import { DinoError } from '../errors';
import { readLabelPng, writeLabelPng, type LabelMap } from '../io/label-png';
import type { Model } from '../model/model';
import type { SizeLike } from '../util/size';
import { listImageDir } from '../video/image-dir';
import { trackVideo } from './track-video';

/** Options of {@link evaluateDavis}. */
export interface DavisOptions extends PropagationOptions {
  /** Sequences to evaluate. Default: ImageSets/2017/val.txt, else every folder of JPEGImages/<resolution>. */
  sequences?: readonly string[];
  /** Default '480p'. */
  resolution?: string;
  /** Shorter side of the model input (default 480), or an explicit size. */
  shortSide?: number;
  size?: SizeLike;
  /** Write the predicted masks here, DAVIS results layout (<dir>/<seq>/<frame>.png). */
  output?: string;
  /** Called after each sequence. */
  onSequence?: (result: DavisSequenceResult) => void;
}

/** One object of one sequence. */
export interface DavisObjectScore {
  object: number;
  /** Mean region similarity over the scored frames. */
  J: number;
  /** Mean boundary F-measure over the scored frames. */
  F: number;
}

export interface DavisSequenceResult {
  sequence: string;
  frames: number;
  /** Frames scored (all but the first and the last that have an annotation). */
  scored: number;
  objects: DavisObjectScore[];
  /** Milliseconds per frame spent tracking (inference + propagation). */
  msPerFrame: number;
}

export interface DavisReport {
  sequences: DavisSequenceResult[];
  /** Means over all objects of all sequences. */
  J: number;
  F: number;
  /** (J + F) / 2. */
  JF: number;
}

async function sequenceList(dir: string, resolution: string, given: readonly string[] | undefined): Promise<string[]> {
  if (given && given.length > 0) return [...given];
  const val = join(dir, 'ImageSets', '2017', 'val.txt');
  if (existsSync(val)) return (await readFile(val, 'utf8')).split(/\s+/).filter((s) => s.length > 0);
  const images = join(dir, 'JPEGImages', resolution);
  try {
    return (await readdir(images, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch (err) {
    throw new DinoError('ERR_DINO_FILE_NOT_FOUND', `Not a DAVIS folder: ${images} cannot be read`, { cause: err });
  }
}

const mean = (v: readonly number[]): number => (v.length === 0 ? NaN : v.reduce((a, b) => a + b, 0) / v.length);

/** Tracks and scores one sequence. */
async function evaluateSequence(model: Model, dir: string, sequence: string, o: DavisOptions, resolution: string): Promise<DavisSequenceResult> {
  const frameDir = join(dir, 'JPEGImages', resolution, sequence);
  const annDir = join(dir, 'Annotations', resolution, sequence);
  const names = await listImageDir(frameDir);
  const annotation = async (name: string): Promise<LabelMap | undefined> => {
    const path = join(annDir, `${parsePath(name).name}.png`);
    return existsSync(path) ? readLabelPng(path) : undefined;
  };
  const first = await annotation(names[0] as string);
  if (!first) throw new DinoError('ERR_DINO_FILE_NOT_FOUND', `${sequence}: no first-frame annotation ${join(annDir, `${parsePath(names[0] as string).name}.png`)}`);
  const ids = [...new Set(first.labels)].filter((v) => v !== 0 && v !== 255).sort((a, b) => a - b);
  const perObject = new Map<number, { j: number[]; f: number[] }>(ids.map((id) => [id, { j: [], f: [] }]));
  const { sequences: _s, resolution: _r, output, onSequence: _c, ...track } = o;
  if (output !== undefined) await mkdir(join(output, sequence), { recursive: true });
  const start = performance.now();
  let frames = 0;
  let scored = 0;
  for await (const f of trackVideo(model, frameDir, { ...track, mask: first, render: false })) {
    frames++;
    const name = f.name ?? names[f.index] ?? `${f.index}`;
    if (output !== undefined) await writeLabelPng(join(output, sequence, `${parsePath(name).name}.png`), { width: f.width, height: f.height, labels: f.labels });
    if (f.index === 0 || f.index === names.length - 1) continue;
    const gt = await annotation(name);
    if (!gt) continue;
    if (gt.width !== f.width || gt.height !== f.height) {
      throw new DinoError('ERR_DINO_SHAPE_MISMATCH', `${sequence}/${name}: annotation ${gt.width}x${gt.height}, frame ${f.width}x${f.height}`);
    }
    scored++;
    for (const id of ids) {
      const p = objectMask(f.labels, id);
      const g = objectMask(gt.labels, id);
      const s = perObject.get(id)!;
      s.j.push(regionSimilarity(p, g));
      s.f.push(boundaryF(p, g, f.width, f.height).f);
    }
  }
  return {
    sequence,
    frames,
    scored,
    objects: ids.map((id) => ({ object: id, J: mean(perObject.get(id)!.j), F: mean(perObject.get(id)!.f) })),
    msPerFrame: (performance.now() - start) / Math.max(1, frames),
  };
}

/**
 * Evaluates tracking on a DAVIS-2017 folder (see the module description) and returns J, F and
 * J&F per object and their means. The published anchor for this protocol is the DINOv3 model
 * card's DAVIS-2017 J&F (ViT-S/16: 72.7); reaching it needs the real weights and the dataset.
 */
export async function evaluateDavis(model: Model, dir: string, options: DavisOptions = {}): Promise<DavisReport> {
  const resolution = options.resolution ?? '480p';
  const sequences: DavisSequenceResult[] = [];
  for (const name of await sequenceList(dir, resolution, options.sequences)) {
    const r = await evaluateSequence(model, dir, name, options, resolution);
    sequences.push(r);
    options.onSequence?.(r);
  }
  const objects = sequences.flatMap((s) => s.objects).filter((o) => !Number.isNaN(o.J));
  const J = mean(objects.map((o) => o.J));
  const F = mean(objects.map((o) => o.F));
  return { sequences, J, F, JF: (J + F) / 2 };
}
