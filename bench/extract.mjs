#!/usr/bin/env node
// Feature-extraction benchmark (issues 2, 16): ViT-S/16 on the CPU, one image at a time.
//   raw       onnxruntime-node InferenceSession.run on a ready input tensor (no decode, no resize),
//             ONNX Runtime's default settings (its threads spin between operators)
//   raw-nospin the same with spinning off (session.intra_op.allow_spinning = 0), the library's
//             default since issue 16: the overhead column compares with this one (same settings)
//   dinov3    this library end to end: model.extract(imagePath) = decode + resize + normalise + run
//             (its own decode / preprocess / inference split, from Features.timings, is reported)
//   tfjs      @huggingface/transformers image-feature-extraction pipeline on the same ONNX and image
// Photos: the held-out-size class (1000x872, ~1 MP, PNG and JPEG, made from the coffee
// conformance photo) and the 451x300 chelsea conformance PNG, at 224; chelsea also at 448.
// The three run interleaved (A B C A B C ...) so machine drift hits them alike; medians reported.
// Usage: npm run build && node bench/extract.mjs [--runs 15] [--model vits16]
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { cliArg, conformanceImage, extractStep, huggingFaceFolder, interleaved, libraryInput, machine, medians, realSizeModel, root, splitMedians } from './models.mjs';

const require = createRequire(import.meta.url);
const { loadModel } = require(join(root, 'dist', 'index.js'));
const { measured, othersText } = require('./cpu-load.cjs');
// The raw session and transformers.js load onnxruntime-node themselves: the library's privacy
// defaults (telemetry off) go first, as they would in a service that uses the library.
require(join(root, 'dist', 'privacy.js')).applyPrivacyDefaults();
const ort = (await import('onnxruntime-node')).default;


const runs = Number(cliArg('runs', 15));
const name = cliArg('model', 'vits16');

const modelPath = realSizeModel(name);
const { pipeline, env } = await import('@huggingface/transformers');
env.allowRemoteModels = false;
env.localModelPath = '/';
const sharpLib = (await import('sharp')).default;
const photoPng = join(root, '.cache', 'bench-photo-1000x872.png');
const photoJpeg = join(root, '.cache', 'bench-photo-1000x872.jpg');
await sharpLib(conformanceImage('coffee')).resize(1000, 872).png().toFile(photoPng);
await sharpLib(conformanceImage('coffee')).resize(1000, 872).jpeg({ quality: 90 }).toFile(photoJpeg);
const CASES = [
  { label: '1000x872 PNG', image: photoPng, size: 224 },
  { label: '1000x872 JPEG', image: photoJpeg, size: 224 },
  { label: '451x300 PNG (chelsea)', image: conformanceImage('chelsea'), size: 224 },
  { label: '451x300 PNG (chelsea)', image: conformanceImage('chelsea'), size: 448 },
];

const rows = [];
let concurrent;
for (const size of [224, 448]) {
  const raw = await ort.InferenceSession.create(modelPath, { graphOptimizationLevel: 'all', executionProviders: ['cpu'] });
  const rawNoSpin = await ort.InferenceSession.create(modelPath, { graphOptimizationLevel: 'all', executionProviders: ['cpu'],
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } });
  const model = await loadModel(modelPath, { size });
  const extractor = await pipeline('image-feature-extraction', huggingFaceFolder(name, size), { dtype: 'fp32', local_files_only: true });
  for (const { label, image } of CASES.filter((k) => k.size === size)) {
    // The raw run gets the exact tensor our preprocessing makes (its cost is not counted).
    const feeds = { pixel_values: new ort.Tensor('float32', await libraryInput(image, size, model.info), [1, 3, size, size]) };
    const steps = {
      raw: async () => raw.run(feeds),
      rawNoSpin: async () => rawNoSpin.run(feeds),
      dinov3: extractStep(model, image),
      tfjs: async () => extractor(image),
    };
    const { times, extras, others, seconds } = await measured(() => interleaved(steps, runs));
    const m = medians(times);
    const split = splitMedians(extras.dinov3);
    rows.push({ label, size, ...m, split, overhead: m.dinov3 / m.rawNoSpin - 1, speedup: m.tfjs / m.dinov3, others, seconds });
  }
  await model.dispose();
  await raw.release();
  await rawNoSpin.release();
  await extractor.dispose?.();
}

// Requests in flight: 8 concurrent extractions of a mix of images (a 1920x1280 JPEG photo and
// the conformance PNGs), both libraries called the same way (Promise.all). Ours overlaps decoding
// and preprocessing with inference (ONNX Runtime runs in a worker thread); transformers.js runs
// inference on the main thread. A third variant loads our model with { sessions: 2 } (two ONNX
// Runtime sessions of cores/2 threads each, side by side); a fourth passes all 8 to one
// model.extract([...]) call (one inference per image, pipelined).
{
  const sharp = (await import('sharp')).default;
  const big = join(root, '.cache', 'bench-photo-1920x1280.jpg');
  await sharp(conformanceImage('coffee')).resize(1920, 1280).jpeg({ quality: 90 }).toFile(big);
  const mix = ['coffee', 'chelsea', 'astronaut'].map(conformanceImage);
  const requests = [big, ...mix, big, ...mix];
  const model = await loadModel(modelPath, { size: 224 });
  const model2 = await loadModel(modelPath, { size: 224, sessions: 2 });
  const extractor = await pipeline('image-feature-extraction', huggingFaceFolder(name, 224), { dtype: 'fp32', local_files_only: true });
  const all = (m) => async () => (await Promise.all(requests.map((r) => m.extract(r)))).forEach((f) => f.dispose());
  const run = {
    dinov3: all(model),
    dinov3Sessions2: all(model2),
    dinov3Array: async () => (await model.extract(requests)).forEach((f) => f.dispose()),
    tfjs: async () => Promise.all(requests.map((r) => extractor(r))),
  };
  const { times, others, seconds } = await measured(() => interleaved(run, Math.max(5, Math.ceil(runs / 2))));
  const md = medians(times);
  concurrent = { requests: requests.length, dinov3: md.dinov3, sessions2: md.dinov3Sessions2, array: md.dinov3Array, tfjs: md.tfjs, others, seconds };
  await model.dispose();
  await model2.dispose();
}

console.log(`\n${name} on ${machine()}, ${new Date().toISOString().slice(0, 10)}, ${runs} interleaved runs, medians\n`);
console.log('| photo | input | raw run (ORT defaults) | raw run (spinning off) | dinov3-trt extract (end to end) | its decode | its preprocess | its inference | transformers.js (end to end) | overhead vs raw (spinning off) | speed-up vs transformers.js | other processes |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.label} | ${r.size}x${r.size} | ${r.raw.toFixed(1)} ms | ${r.rawNoSpin.toFixed(1)} ms | ${r.dinov3.toFixed(1)} ms | ${r.split.decode.toFixed(1)} ms | ${r.split.preprocess.toFixed(1)} ms | ${r.split.inference.toFixed(1)} ms | ${r.tfjs.toFixed(1)} ms | ${(r.overhead * 100).toFixed(1)} % | ${r.speedup.toFixed(2)}x | ${othersText(r)} |`);
}
console.log(`\n${concurrent.requests} requests in flight (Promise.all; a 1920x1280 JPEG and the conformance PNGs, 224x224):`);
console.log(`  dinov3-trt ${concurrent.dinov3.toFixed(1)} ms (${(concurrent.tfjs / concurrent.dinov3).toFixed(2)}x transformers.js)`);
console.log(`  dinov3-trt, sessions: 2 ${concurrent.sessions2.toFixed(1)} ms (${(concurrent.tfjs / concurrent.sessions2).toFixed(2)}x)`);
console.log(`  dinov3-trt, one extract([...]) call (pipelined) ${concurrent.array.toFixed(1)} ms (${(concurrent.tfjs / concurrent.array).toFixed(2)}x)`);
console.log(`  transformers.js ${concurrent.tfjs.toFixed(1)} ms`);
console.log(`  other processes used ${othersText(concurrent)} of the machine meanwhile`);
