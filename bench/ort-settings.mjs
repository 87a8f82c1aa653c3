#!/usr/bin/env node
// ONNX Runtime session settings (issue 16): intra-op spinning on vs off
// (`session.intra_op.allow_spinning`, the `spinning` load option) in the three ways the library
// runs ONNX Runtime, ViT-S/16 at 224, on this machine's cores:
//   one session     sequential inferences of a ready tensor (model.extractTensor), latency
//   sessions: 2     8 inferences in flight on 2 sessions (cores / 2 threads each), wall time
//   pipeline        8 images in flight through model.extract (decode + preprocess of the next
//                   images on the main and libuv threads while a session runs), wall time
// plus the execution modes ('sequential' vs 'parallel' with 2 inter-op threads) for one session.
// Both variants of a scenario are loaded side by side and run in alternating blocks of 3 (the
// first run of each block is dropped, so a variant never starts while the other's threads may
// still spin); medians. The load other processes put on the machine is reported.
// Usage: npm run build && node bench/ort-settings.mjs [--runs 12] [--model vits16]
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { cliArg, conformanceImage, machine, median, realSizeModel, root } from './models.mjs';

const require = createRequire(import.meta.url);
const { loadModel } = require(join(root, 'dist', 'index.js'));
const { measured, othersText } = require('./cpu-load.cjs');

const runs = Number(cliArg('runs', 12));
const name = cliArg('model', 'vits16');
const modelPath = realSizeModel(name);
const size = 224;
const input = new Float32Array(3 * size * size).map((_, i) => Math.sin(i * 0.37));
const dims = [1, 3, size, size];

const sharp = (await import('sharp')).default;
const big = join(root, '.cache', 'bench-photo-1920x1280.jpg');
await sharp(conformanceImage('coffee')).resize(1920, 1280).jpeg({ quality: 90 }).toFile(big);
const mix = ['coffee', 'chelsea', 'astronaut'].map(conformanceImage);
const images = [big, ...mix, big, ...mix];

const scenarios = {
  'one session': { load: {}, run: async (m) => (await m.extractTensor(input, dims)).forEach((f) => f.dispose()) },
  'sessions: 2 (8 in flight)': {
    load: { sessions: 2 },
    run: async (m) => (await Promise.all(Array.from({ length: 8 }, () => m.extractTensor(input, dims)))).forEach((r) => r.forEach((f) => f.dispose())),
  },
  'pipeline (8 images in flight, extract)': { load: {}, run: async (m) => (await Promise.all(images.map((p) => m.extract(p)))).forEach((f) => f.dispose()) },
};

/** Times variants a and b of one scenario in alternating blocks; returns medians. */
async function compare(scenario, variants) {
  const models = {};
  for (const [label, options] of Object.entries(variants)) models[label] = await loadModel(modelPath, { size, ...scenario.load, ...options });
  const times = Object.fromEntries(Object.keys(models).map((k) => [k, []]));
  const m = await measured(async () => {
    for (let block = 0; block < Math.ceil(runs / 2); block++) {
      for (const [label, model] of Object.entries(models)) {
        for (let i = 0; i < 3; i++) {
          const t = performance.now();
          await scenario.run(model);
          if (i > 0) times[label].push(performance.now() - t);
        }
      }
    }
    return {};
  });
  for (const model of Object.values(models)) await model.dispose();
  return { medians: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])), m };
}

console.log(`# ONNX Runtime settings, ${name} ${size}x${size}, ${machine()}, ${new Date().toISOString().slice(0, 10)}, medians of ${runs} runs per variant\n`);
console.log('| scenario | spinning on | spinning off | off vs on | other processes |');
console.log('|---|---:|---:|---:|---:|');
for (const [label, scenario] of Object.entries(scenarios)) {
  const { medians, m } = await compare(scenario, { on: { spinning: true }, off: { spinning: false } });
  console.log(`| ${label} | ${medians.on.toFixed(1)} ms | ${medians.off.toFixed(1)} ms | ${((medians.off / medians.on - 1) * 100).toFixed(1)} % | ${othersText(m)} |`);
}
{
  const { medians, m } = await compare(scenarios['one session'], {
    sequential: { executionMode: 'sequential' },
    parallel: { executionMode: 'parallel', interOpThreads: 2 },
  });
  console.log(`\none session, execution mode: sequential ${medians.sequential.toFixed(1)} ms, parallel (2 inter-op threads) ${medians.parallel.toFixed(1)} ms (${((medians.parallel / medians.sequential - 1) * 100).toFixed(1)} %), other processes ${othersText(m)}`);
}
