#!/usr/bin/env node
// Rendering benchmark: the three pictures the applications draw at camera resolution — heatmap
// overlay (bilinear, viridis, marker), PCA-RGB overlay (bilinear) and cluster overlay (k = 5) —
// over a 640 x 480 photo from a 14 x 14 patch grid, through the public render functions (native
// kernels on libuv's pool). Mean wall time and CPU time (all threads of this process) per call
// over --calls calls after a warm-up, and the share of the machine other processes used
// meanwhile (bench/cpu-load.cjs).
// Usage: npm run build && node bench/render.mjs [--calls 1000]
import { createRequire } from 'node:module';
import { join } from 'node:path';

import sharp from 'sharp';

import { cliArg, conformanceImage, machine, root } from './models.mjs';

const require = createRequire(import.meta.url);
const { loadModel, renderHeatmap, renderPca, renderSegmentation } = require(join(root, 'dist', 'index.js'));
const { measured, othersText } = require('./cpu-load.cjs');
const { conformanceDir } = require('./data.cjs');

const calls = Number(cliArg('calls', 1000));
const { data, info } = await sharp(conformanceImage('coffee')).resize(640, 480, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
const photo = { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };

const model = await loadModel(join(conformanceDir, 'dinov3-tiny-r4', 'model.onnx'));
const features = await model.extract({ ...photo, format: 'rgb' }, { size: 224 });
const heat = await features.similarity({ row: 7, col: 7 });
const pca = await features.pca(3);
const clusters = await features.kmeans({ k: 5, seed: 0 });
await model.dispose();

const pictures = [
  ['heatmap overlay (bilinear, viridis, marker)', () => renderHeatmap(photo, heat, { overlay: true })],
  ['PCA-RGB overlay (bilinear)', () => renderPca(photo, pca, { mode: 'overlay' })],
  ['cluster overlay (k = 5)', () => renderSegmentation(photo, { labels: clusters.labels, grid: features.grid, k: 5 })],
];

console.log(`\nrendering on ${machine()}, ${new Date().toISOString()}, ${photo.width} x ${photo.height}, grid ${features.grid.rows} x ${features.grid.cols}, mean of ${calls} calls\n`);
console.log('| picture | wall ms | CPU ms | other processes |');
console.log('|---|---:|---:|---:|');
for (const [name, render] of pictures) {
  for (let i = 0; i < 3; i++) await render(); // warm-up
  const r = await measured(async () => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await render();
    const cpu = process.cpuUsage(cpu0);
    return { wall: (performance.now() - t0) / calls, cpu: (cpu.user + cpu.system) / 1000 / calls };
  });
  console.log(`| ${name} | ${r.wall.toFixed(2)} | ${r.cpu.toFixed(2)} | ${othersText(r)} |`);
}
