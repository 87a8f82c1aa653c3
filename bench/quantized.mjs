#!/usr/bin/env node
// Quantised and half-precision models against the float one (issue 16): ViT-S/16-shaped files
// written by the tiny generator from one seed (dim 384, 12 blocks, 6 heads, 4 registers, MLP x4)
// — model.onnx (float32), model_quantized.onnx (ONNX Runtime's dynamic quantisation layout:
// DynamicQuantizeLinear + MatMulInteger, int8 weights) and model_fp16.onnx (float16 weights and
// activations, float32 input and outputs, as onnxconverter's keep_io_types) in one Hugging Face folder, so that transformers.js loads the same files
// with dtype 'fp32', 'q8' and 'fp16'. Per file, one image at a
// time, interleaved, medians:
//   raw      InferenceSession.run on a ready tensor, spinning off (the library's settings)
//   dinov3   model.extract(path) end to end
//   tfjs     @huggingface/transformers image-feature-extraction, same folder and file (dtype)
// and the quantised model's accuracy against the float one (per-token cosine, our extract).
// Seeded random weights: speed and plumbing, not the accuracy of a trained model's quantisation.
// Usage: npm run build && node bench/quantized.mjs [--runs 9]
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { cache, cliArg, conformanceImage, extractStep, interleaved, libraryInput, machine, medians, realSizeModel, root, splitMedians } from './models.mjs';

const require = createRequire(import.meta.url);
const { loadModel } = require(join(root, 'dist', 'index.js'));
const { buildTinyDinov3 } = require(join(root, 'dist', 'onnx', 'tiny-dinov3.js'));
const { measured, othersText } = require('./cpu-load.cjs');
require(join(root, 'dist', 'privacy.js')).applyPrivacyDefaults();
const ort = (await import('onnxruntime-node')).default;
const sharp = (await import('sharp')).default;

const runs = Number(cliArg('runs', 9));
const size = 224;
// Layer scale 0.5 (as the conformance model), not DINOv3's trained 1e-5: with random weights a tiny
// layer scale would leave the blocks (and so the quantisation) almost no effect on the tokens.
const shape = { dim: 384, depth: 12, heads: 6, registers: 4, patchSize: 16, mlpRatio: 4, seed: 16, layerScale: 0.5 };
const dir = join(cache, 'vits16-synth-quantized-hf-ls05');
mkdirSync(join(dir, 'onnx'), { recursive: true });
const files = { fp32: join(dir, 'onnx', 'model.onnx'), q8: join(dir, 'onnx', 'model_quantized.onnx'), fp16: join(dir, 'onnx', 'model_fp16.onnx') };
if (!existsSync(files.fp32)) writeFileSync(files.fp32, buildTinyDinov3(shape));
if (!existsSync(files.q8)) writeFileSync(files.q8, buildTinyDinov3({ ...shape, quantize: 'dynamic' }));
if (!existsSync(files.fp16)) writeFileSync(files.fp16, buildTinyDinov3({ ...shape, dtype: 'float16', keepIoTypes: true }));
const fileNames = { fp32: 'model.onnx (fp32)', q8: 'model_quantized.onnx (q8)', fp16: 'model_fp16.onnx (fp16)' };
const reference = realSizeModel('vits16');
copyFileSync(join(reference, '..', 'config.json'), join(dir, 'config.json'));
const pre = JSON.parse(readFileSync(join(reference, '..', 'preprocessor_config.json'), 'utf8'));
pre.size = { height: size, width: size };
writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify(pre, null, 2));

const photo = join(root, '.cache', 'bench-photo-1000x872.jpg');
await sharp(conformanceImage('coffee')).resize(1000, 872).jpeg({ quality: 90 }).toFile(photo);
const images = { '1000x872 JPEG': photo, '451x300 PNG (chelsea)': conformanceImage('chelsea') };

const { pipeline, env } = await import('@huggingface/transformers');
env.allowRemoteModels = false;
env.localModelPath = '/';

const rows = [];
for (const [dtype, file] of Object.entries(files)) {
  const raw = await ort.InferenceSession.create(file, { graphOptimizationLevel: 'all', executionProviders: ['cpu'],
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } });
  const model = await loadModel(file, { size });
  const extractor = await pipeline('image-feature-extraction', dir, { dtype, local_files_only: true });
  for (const [label, image] of Object.entries(images)) {
    const feeds = { pixel_values: new ort.Tensor('float32', await libraryInput(image, size, model.info), [1, 3, size, size]) };
    const steps = {
      raw: async () => raw.run(feeds),
      dinov3: extractStep(model, image),
      tfjs: async () => extractor(image),
    };
    const m = await measured(() => interleaved(steps, runs));
    const md = medians(m.times);
    const ours = splitMedians(m.extras.dinov3);
    rows.push({ dtype, label, ...md, ...ours, others: m.others, seconds: m.seconds });
  }
  await model.dispose();
  await raw.release();
  await extractor.dispose?.();
}

// Accuracy of the quantised and half-precision files against the float one, with our extract on all.
const float = await loadModel(files.fp32, { size });
const cos = { q8: [], fp16: [] };
for (const variant of ['q8', 'fp16']) {
  const other = await loadModel(files[variant], { size });
  for (const image of Object.values(images)) {
    const a = await float.extract(image);
    const b = await other.extract(image);
    const ta = a.tokens;
    const tb = b.tokens;
    for (let t = 0; t < ta.length / a.dim; t++) {
      let dot = 0, na = 0, nb = 0;
      for (let d = 0; d < a.dim; d++) {
        const x = ta[t * a.dim + d], y = tb[t * a.dim + d];
        dot += x * y; na += x * x; nb += y * y;
      }
      cos[variant].push(dot / Math.sqrt(na * nb));
    }
    a.dispose();
    b.dispose();
  }
  await other.dispose();
}
await float.dispose();

console.log(`\n# quantised vs float, ViT-S/16-shaped synthetic pair, ${size}x${size}, ${machine()}, ${new Date().toISOString().slice(0, 10)}, medians of ${runs}\n`);
console.log('| file (transformers.js dtype) | photo | raw run (spinning off) | dinov3-trt extract | its decode | its preprocess | its inference | transformers.js | overhead vs raw | speed-up vs transformers.js | other processes |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${fileNames[r.dtype]} | ${r.label} | ${r.raw.toFixed(1)} ms | ${r.dinov3.toFixed(1)} ms | ${r.decode.toFixed(1)} ms | ${r.preprocess.toFixed(1)} ms | ${r.inference.toFixed(1)} ms | ${r.tfjs.toFixed(1)} ms | ${((r.dinov3 / r.raw - 1) * 100).toFixed(1)} % | ${(r.tfjs / r.dinov3).toFixed(2)}x | ${othersText(r)} |`);
}
for (const [variant, c] of Object.entries(cos)) {
  console.log(`${variant} against fp32 (our extract, both photos, every token): per-token cosine mean ${(c.reduce((a, b) => a + b, 0) / c.length).toFixed(5)}, min ${Math.min(...c).toFixed(5)} over ${c.length} tokens`);
}
