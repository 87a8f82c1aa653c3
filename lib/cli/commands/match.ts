/** `dinov3 match`: patch correspondences between two images (mutual nearest neighbours), as a picture and JSON. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import { matchPatches, type PatchMatches } from '../../analysis/correspondence';
import { DinoError } from '../../errors';
import { loadModel } from '../../model/model';
import { COLORMAP_NAMES, type ColormapName } from '../../render/colormaps';
import { renderMatches } from '../../render/matches';
import { toPng } from '../../render/png';
import { parseSize } from '../../util/size';
import { flag, int, parse, required, str, type Options } from '../args';
import { checkPatchSize } from '../checks';
import { loadOptions, MODEL_FLAGS, MODEL_OPTIONS_HELP } from '../model-options';

export const usage = `Usage: dinov3 match --model MODEL.onnx --image A.jpg --image-b B.jpg [--size HxW]
                    [--max-matches N] [--min-similarity S] [--top-k K] [--all]
                    [--colormap jet|viridis|magma|inferno|gray]
                    --output MATCHES.png [--raw MATCHES.json] [model options]

Dense correspondence between two images: the cosine similarity of every patch of A to every
patch of B, the nearest neighbour each way, and the mutual pairs (each patch the other's
nearest), most similar first. The picture shows A and B side by side with a line between the
centres of each matched pair, coloured by similarity (--colormap, from the lowest to the highest
drawn). --max-matches keeps the N most similar pairs (default: all); --top-k K keeps pairs where
each is among the other's K nearest; --all: every patch of A with its nearest patch of B.
--raw writes {"gridA": {rows, cols}, "gridB": {rows, cols}, "pairs": [{"a": [row, col],
"b": [row, col], "similarity": s}]}.

${MODEL_OPTIONS_HELP}`;

const options: Options = {
  model: { type: 'string' },
  image: { type: 'string' },
  'image-b': { type: 'string' },
  size: { type: 'string' },
  'max-matches': { type: 'string' },
  'min-similarity': { type: 'string' },
  'top-k': { type: 'string' },
  all: { type: 'boolean' },
  colormap: { type: 'string' },
  output: { type: 'string' },
  raw: { type: 'string' },
  ...MODEL_FLAGS,
  'patch-size': { type: 'string' },
};

/** The `--raw` document. */
export function matchesJson(m: PatchMatches): string {
  return JSON.stringify({
    gridA: m.gridA,
    gridB: m.gridB,
    pairs: m.pairs.map((p) => ({ a: [p.a.row, p.a.col], b: [p.b.row, p.b.col], similarity: p.similarity })),
  });
}

export async function run(argv: readonly string[], out: (s: string) => void): Promise<void> {
  const p = parse(argv, options);
  const modelPath = required(p, 'model', usage);
  const imageA = required(p, 'image', usage);
  const imageB = required(p, 'image-b', usage);
  const output = required(p, 'output', usage);
  const colormap = (str(p, 'colormap') ?? 'jet') as ColormapName;
  if (!COLORMAP_NAMES.includes(colormap)) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `--colormap must be one of ${COLORMAP_NAMES.join(', ')}, got '${colormap}'`);
  }
  const minText = str(p, 'min-similarity');
  const minSimilarity = minText === undefined ? undefined : Number(minText);
  if (minSimilarity !== undefined && !Number.isFinite(minSimilarity)) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `--min-similarity must be a number, got '${minText}'`);
  }
  const maxMatches = int(p, 'max-matches');
  const topK = int(p, 'top-k');
  const sizeText = str(p, 'size');
  const model = await loadModel(modelPath, loadOptions(p));
  try {
    checkPatchSize(int(p, 'patch-size'), model.info.patchSize);
    const extractOptions = sizeText === undefined ? {} : { size: parseSize(sizeText, '--size') };
    const fa = await model.extract(imageA, extractOptions);
    const fb = await model.extract(imageB, extractOptions);
    const start = performance.now();
    const matches = await matchPatches(fa, fb, {
      mutual: !flag(p, 'all'),
      ...(topK !== undefined ? { topK } : {}),
      ...(minSimilarity !== undefined ? { minSimilarity } : {}),
      ...(maxMatches !== undefined ? { maxMatches } : {}),
    });
    const matchMs = performance.now() - start;
    const picture = await renderMatches(imageA, imageB, matches, { colormap });
    await mkdir(dirname(output), { recursive: true });
    await toPng(picture, output);
    const raw = str(p, 'raw');
    if (raw !== undefined) {
      await mkdir(dirname(raw), { recursive: true });
      await writeFile(raw, matchesJson(matches));
    }
    const sims = matches.pairs.map((m) => m.similarity);
    out(
      [
        `grid A ${fa.grid.rows}x${fa.grid.cols}, grid B ${fb.grid.rows}x${fb.grid.cols}, backend ${fa.backend}`,
        `${matches.pairs.length} pairs` +
          (sims.length ? `, similarity ${Math.min(...sims).toFixed(3)} .. ${Math.max(...sims).toFixed(3)}` : ''),
        `inference ${(fa.timings.inferenceMs + fb.timings.inferenceMs).toFixed(1)} ms, matching ${matchMs.toFixed(1)} ms -> ${output}`,
        ...(raw !== undefined ? [`wrote ${raw}`] : []),
      ].join('\n'),
    );
  } finally {
    await model.dispose();
  }
}
