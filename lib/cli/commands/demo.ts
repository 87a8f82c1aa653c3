/**
 * `dinov3 demo`: the tutorial's two programs in one command — a patch-similarity heatmap,
 * a k-means segmentation and the PCA picture of one image — written as PNGs with the features.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import sharp from 'sharp';

import { decodeImage } from '../../image/input';
import { encodeNpy } from '../../io/npy';
import { loadModel } from '../../model/model';
import { writeTinyDinov3 } from '../../onnx/tiny-dinov3';
import { renderHeatmap } from '../../render/heatmap';
import { renderPca } from '../../render/pca';
import { toPng } from '../../render/png';
import { renderSegmentation } from '../../render/segmentation';
import { parseSize } from '../../util/size';
import { int, parse, str, type Options } from '../args';
import { loadOptions, MODEL_FLAGS, MODEL_OPTIONS_HELP } from '../model-options';

export const usage = `Usage: dinov3 demo [--model MODEL.onnx] [--image IMAGE] [--out DIR] [--size HxW] [--clusters 4] [model options]

Runs the tutorial's applications on one image and writes DIR/heatmap.png (similarity of the
centre patch, over the photo, with a colour bar), DIR/segmentation.png (k-means clusters beside
the photo), DIR/pca.png (top 3 principal components as RGB), DIR/patches.npy and DIR/summary.json.
Without --model a small DINOv3-shaped model with seeded (untrained) weights is generated: the
pictures then show the pipeline working, not DINOv3's semantics. Without --image a synthetic
scene is drawn. Default DIR: ./dinov3-demo.

${MODEL_OPTIONS_HELP}`;

const options: Options = {
  model: { type: 'string' },
  image: { type: 'string' },
  out: { type: 'string' },
  size: { type: 'string' },
  clusters: { type: 'string' },
  ...MODEL_FLAGS,
};

/** A synthetic scene: sky gradient, ground, a sun and two boxes (deterministic). */
async function syntheticScene(width: number, height: number): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#3a7bd5"/><stop offset="1" stop-color="#a8d8ff"/></linearGradient></defs>
    <rect width="100%" height="62%" fill="url(#sky)"/>
    <rect y="62%" width="100%" height="38%" fill="#4f7d2a"/>
    <circle cx="${width * 0.78}" cy="${height * 0.2}" r="${height * 0.1}" fill="#ffd23f"/>
    <rect x="${width * 0.12}" y="${height * 0.42}" width="${width * 0.22}" height="${height * 0.3}" fill="#b5432f"/>
    <rect x="${width * 0.5}" y="${height * 0.5}" width="${width * 0.16}" height="${height * 0.2}" fill="#e8e2d0"/>
  </svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

export async function run(argv: readonly string[], out: (s: string) => void): Promise<void> {
  const p = parse(argv, options);
  const dir = str(p, 'out') ?? 'dinov3-demo';
  await mkdir(dir, { recursive: true });
  let modelPath = str(p, 'model');
  let generated = false;
  if (modelPath === undefined) {
    modelPath = join(dir, 'test-model.onnx');
    await writeTinyDinov3(modelPath, { depth: 4, dim: 96, heads: 4 });
    generated = true;
  }
  // Decoded once: inference and the three pictures all read these pixels.
  const image = await decodeImage(str(p, 'image') ?? (await syntheticScene(640, 480)));
  const size = str(p, 'size');
  const k = int(p, 'clusters', 4) as number;
  const model = await loadModel(modelPath, loadOptions(p));
  try {
    const features = await (await model.extract(image, size === undefined ? {} : { size: parseSize(size, '--size') })).toHost();
    const centre = { row: Math.floor(features.grid.rows / 2), col: Math.floor(features.grid.cols / 2) };
    const [heatmap, clusters, pca] = [await features.similarity(centre), await features.kmeans({ k, restarts: 3 }), await features.pca(3)];
    const files = {
      heatmap: join(dir, 'heatmap.png'),
      segmentation: join(dir, 'segmentation.png'),
      pca: join(dir, 'pca.png'),
      patches: join(dir, 'patches.npy'),
      summary: join(dir, 'summary.json'),
    };
    await toPng(await renderHeatmap(image, heatmap, { overlay: true, colorbar: true }), files.heatmap);
    await toPng(await renderSegmentation(image, clusters, { sideBySide: true }), files.segmentation);
    await toPng(await renderPca(image, pca), files.pca);
    await writeFile(files.patches, encodeNpy(features.patches, [features.patchCount, features.dim]));
    const summary = {
      model: model.info.path,
      generatedModel: generated,
      backend: model.backend,
      grid: features.grid,
      dim: features.dim,
      registers: features.registerCount,
      timings: features.timings,
      heatmapTarget: centre,
      kmeans: { k, inertia: clusters.inertia, iterations: clusters.iterations },
      pcaExplainedRatio: pca.explainedRatio,
    };
    await writeFile(files.summary, `${JSON.stringify(summary, null, 2)}\n`);
    out(
      [
        generated ? `model: generated ${modelPath} (seeded, untrained weights — pass --model for real DINOv3 features)` : `model: ${modelPath}`,
        `features: grid ${features.grid.rows}x${features.grid.cols}, dim ${features.dim}, ${model.backend}, ${features.timings.totalMs.toFixed(0)} ms`,
        `k-means: k=${k}, inertia ${clusters.inertia.toFixed(1)}, ${clusters.iterations} iterations`,
        ...Object.values(files).map((f) => `wrote ${f}`),
      ].join('\n'),
    );
  } finally {
    await model.dispose();
  }
}
