/** `dinov3 track`: video object tracking by label propagation from a first-frame mask or a click. */
import { mkdir } from 'node:fs/promises';
import { join, parse as parsePath } from 'node:path';

import { DinoError } from '../../errors';
import { writeLabelPng } from '../../io/label-png';
import { loadModel } from '../../model/model';
import { trackVideo, type TrackVideoOptions } from '../../pipeline/track-video';
import { parseSize } from '../../util/size';
import { int, num, pair, parse, required, str, type Options } from '../args';
import { checkPatchSize } from '../checks';
import { loadOptions, MODEL_FLAGS, MODEL_OPTIONS_HELP } from '../model-options';
import { SequenceOutput } from '../sequence-output';
import { PROPAGATION_FLAGS, propagationFlags } from '../propagation-options';
import { decoderOf, openSequenceOutput } from './segment';

export const usage = `Usage: dinov3 track --model MODEL.onnx --input VIDEO|DIR/|URI (--mask FIRST.png | --point X,Y)
                    --output (OUT.mp4 | OUT-DIR/) [--labels LABELS-DIR/] [--threshold T]
                    [--size HxW | --short-side N] [--context N] [--top-k K] [--temperature T]
                    [--radius R] [--square] [--max-frames N] [--fps F]
                    [--decoder auto|ffmpeg|gstreamer] [model options]

Tracks objects through a video by label propagation (DINO / DINOv3 video segmentation): every
frame's patches take the soft labels of their most similar patches in the first frame and the
last --context frames (default 7), within --radius patches (default 12, a circle; --square:
a square window), top --top-k (default 5), softmax at --temperature (default 0.2) — the DINOv3
notebook's settings. Start from --mask, a PNG of object indices (palette or 8-bit grey,
0 = background: a DAVIS annotation), or from --point X,Y in first-frame pixels (the object is
the patches at least --threshold similar to the clicked one, default 0.5, refined by one
propagation step). Frames are resized so the shorter side is --short-side (default 480),
rounded up to the patch size, unless --size is given. The output shows the objects over the
frames; --labels writes each frame's object indices as an 8-bit grey PNG (DAVIS layout).

${MODEL_OPTIONS_HELP}`;

const options: Options = {
  model: { type: 'string' },
  input: { type: 'string' },
  mask: { type: 'string' },
  point: { type: 'string' },
  threshold: { type: 'string' },
  output: { type: 'string' },
  labels: { type: 'string' },
  ...PROPAGATION_FLAGS,
  'max-frames': { type: 'string' },
  fps: { type: 'string' },
  decoder: { type: 'string' },
  ...MODEL_FLAGS,
  'patch-size': { type: 'string' },
};

export async function run(argv: readonly string[], out: (s: string) => void): Promise<void> {
  const p = parse(argv, options);
  const modelPath = required(p, 'model', usage);
  const input = required(p, 'input', usage);
  const output = required(p, 'output', usage);
  const mask = str(p, 'mask');
  const pointText = str(p, 'point');
  if ((mask === undefined) === (pointText === undefined)) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `Give exactly one of --mask or --point\n\n${usage}`);
  const start: Pick<TrackVideoOptions, 'mask' | 'point'> = mask !== undefined ? { mask } : (([x, y]) => ({ point: { x, y } }))(pair(pointText as string, 'point'));
  const threshold = num(p, 'threshold');
  const sizeText = str(p, 'size');
  const shortSide = int(p, 'short-side');
  const maxFrames = int(p, 'max-frames');
  const fps = num(p, 'fps');
  const labelsDir = str(p, 'labels');
  const tool = decoderOf(p);
  const opened = await openSequenceOutput(output, input, tool);
  try {
    const model = await loadModel(modelPath, loadOptions(p));
    try {
      checkPatchSize(int(p, 'patch-size'), model.info.patchSize);
      const sequence = new SequenceOutput(opened.source, opened.kind, output, { tool, ...(fps !== undefined ? { fps } : {}) });
      if (labelsDir !== undefined) await mkdir(labelsDir, { recursive: true });
      let objects = 0;
      const frames = trackVideo(model, opened.source, {
        ...start,
        ...propagationFlags(p),
        ...(threshold !== undefined ? { threshold } : {}),
        ...(sizeText !== undefined ? { size: parseSize(sizeText, '--size') } : {}),
        ...(shortSide !== undefined ? { shortSide } : {}),
        ...(maxFrames !== undefined ? { maxFrames } : {}),
      });
      await sequence.writeAll(frames, 'track', maxFrames, async (f) => {
        objects = f.objects;
        await sequence.add({ rendered: f.rendered, name: f.name, timings: f.timings, grid: f.grid, labels: undefined });
        if (labelsDir !== undefined) {
          const name = f.name !== undefined ? `${parsePath(f.name).name}.png` : `${String(f.index).padStart(5, '0')}.png`;
          await writeLabelPng(join(labelsDir, name), { width: f.width, height: f.height, labels: f.labels });
        }
      });
      out(`${sequence.summary(model)}\ntracked ${objects - 1} object(s)${labelsDir !== undefined ? `; labels in ${labelsDir}` : ''}`);
    } finally {
      await model.dispose();
    }
  } finally {
    await opened.source.dispose();
  }
}
