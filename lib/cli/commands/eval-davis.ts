/** `dinov3 eval-davis`: J, F and J&F of label-propagation tracking on a DAVIS-2017 folder. */
import { writeFile } from 'node:fs/promises';

import { loadModel } from '../../model/model';
import { evaluateDavis, type DavisSequenceResult } from '../../pipeline/davis-eval';
import { parseSize } from '../../util/size';
import { int, list, parse, required, str, type Options } from '../args';
import { checkPatchSize } from '../checks';
import { loadOptions, MODEL_FLAGS, MODEL_OPTIONS_HELP } from '../model-options';
import { PROPAGATION_FLAGS, propagationFlags } from '../propagation-options';

export const usage = `Usage: dinov3 eval-davis --model MODEL.onnx --davis DIR [--sequences a,b,...] [--resolution 480p]
                         [--size HxW | --short-side N] [--context N] [--top-k K] [--temperature T]
                         [--radius R] [--square] [--output RESULTS-DIR/] [--json REPORT.json]
                         [model options]

Semi-supervised video object segmentation on DAVIS-2017: DIR/JPEGImages/480p/<seq>/*.jpg and
DIR/Annotations/480p/<seq>/*.png (palette PNGs of object indices). Every sequence (default:
DIR/ImageSets/2017/val.txt, else every folder) is tracked from its first-frame annotation as
dinov3 track does (same propagation flags and defaults), and every object is scored as the DAVIS
benchmark does: region similarity J (IoU) and boundary F-measure F (boundary tolerance
ceil(0.008 x image diagonal) pixels), per frame except the first and the last, averaged per
object; the summary gives the means over all objects and J&F = (J + F) / 2. --output writes the
predicted masks (DAVIS results layout, for the official evaluation code); --json the report.
Reference: the DINOv3 model card's DAVIS-2017 J&F for ViT-S/16 is 72.7.

${MODEL_OPTIONS_HELP}`;

const options: Options = {
  model: { type: 'string' },
  davis: { type: 'string' },
  sequences: { type: 'string', multiple: true },
  resolution: { type: 'string' },
  ...PROPAGATION_FLAGS,
  output: { type: 'string' },
  json: { type: 'string' },
  ...MODEL_FLAGS,
  'patch-size': { type: 'string' },
};

const pct = (v: number): string => (100 * v).toFixed(1);

function line(r: DavisSequenceResult): string {
  return [
    `${r.sequence}: ${r.frames} frames (${r.scored} scored), ${r.msPerFrame.toFixed(1)} ms/frame`,
    ...r.objects.map((o) => `  object ${o.object}: J ${pct(o.J)}  F ${pct(o.F)}  J&F ${pct((o.J + o.F) / 2)}`),
  ].join('\n');
}

export async function run(argv: readonly string[], out: (s: string) => void): Promise<void> {
  const p = parse(argv, options);
  const modelPath = required(p, 'model', usage);
  const dir = required(p, 'davis', usage);
  const sequences = list(p, 'sequences').flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
  const sizeText = str(p, 'size');
  const shortSide = int(p, 'short-side');
  const resolution = str(p, 'resolution');
  const output = str(p, 'output');
  const model = await loadModel(modelPath, loadOptions(p));
  try {
    checkPatchSize(int(p, 'patch-size'), model.info.patchSize);
    const report = await evaluateDavis(model, dir, {
      ...propagationFlags(p),
      ...(sequences.length > 0 ? { sequences } : {}),
      ...(resolution !== undefined ? { resolution } : {}),
      ...(sizeText !== undefined ? { size: parseSize(sizeText, '--size') } : {}),
      ...(shortSide !== undefined ? { shortSide } : {}),
      ...(output !== undefined ? { output } : {}),
      onSequence: (r) => out(line(r)),
    });
    const objects = report.sequences.reduce((n, s) => n + s.objects.length, 0);
    out(`${report.sequences.length} sequences, ${objects} objects: J ${pct(report.J)}  F ${pct(report.F)}  J&F ${pct(report.JF)}  (backend ${model.backend})`);
    const json = str(p, 'json');
    if (json !== undefined) {
      await writeFile(json, JSON.stringify(report, null, 2));
      out(`wrote ${json}`);
    }
  } finally {
    await model.dispose();
  }
}
