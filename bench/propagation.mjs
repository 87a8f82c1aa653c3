#!/usr/bin/env node
// Label-propagation benchmark (issue 14): the cost of one propagation step (LabelPropagator.step
// with a full context: the first frame + 7 recent frames, top-5, circle of radius 12 — the
// defaults) against ViT-S/16 inference of one frame at 480p-equivalent (an 854 x 480 frame at the
// model input 480 x 864: a 30 x 54 patch grid, as trackVideo sizes DAVIS 480p frames), both on the
// CPU, in one process, interleaved. Goal: propagation <= 10 % of inference per frame.
// The model is the real-size ViT-S/16 graph with seeded weights (bench/models, bench/data.cjs).
// Usage: npm run build && node bench/propagation.mjs [--runs 7] [--labels 3]
import { createRequire } from 'node:module';
import { join } from 'node:path';

import sharp from 'sharp';

import { cliArg, conformanceImage, machine, median, realSizeModel, root } from './models.mjs';

const require = createRequire(import.meta.url);
const { loadModel } = require(join(root, 'dist', 'index.js'));
const { LabelPropagator, oneHot } = require(join(root, 'dist', 'analysis', 'propagate.js'));
const { measured, othersText } = require('./cpu-load.cjs');

const runs = Number(cliArg('runs', 7));
const labels = Number(cliArg('labels', 3));
const size = { height: 480, width: 864 };

const model = await loadModel(realSizeModel('vits16', { quiet: true }), { size });
// An 854 x 480 frame: the conformance photo scaled to DAVIS 480p.
const { data, info } = await sharp(conformanceImage('astronaut')).resize(854, 480, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
const frame = { data: new Uint8Array(data), width: info.width, height: info.height, format: 'rgb' };

const first = await model.extract(frame);
const { grid, dim } = first;
const start = new Int32Array(grid.rows * grid.cols).map((_, i) => (i % grid.cols < grid.cols / 3 ? 1 : i % grid.cols < (2 * grid.cols) / 3 ? 2 : 0) % labels);
const propagator = new LabelPropagator(grid, dim, labels);
await propagator.start(first, oneHot(start, labels));
// Fill the context ring (7 frames) before timing, as in the middle of a video.
for (let i = 0; i < 7; i++) await propagator.step(first);

const times = { inference: [], propagation: [] };
const m = await measured(async () => {
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    const f = await model.extract(frame);
    times.inference.push(performance.now() - t);
    t = performance.now();
    await propagator.step(f);
    times.propagation.push(performance.now() - t);
    f.dispose();
  }
});
const inf = median(times.inference);
const prop = median(times.propagation);
console.log(`Machine: ${machine()}. Date: ${new Date().toISOString()}. Runs: ${runs} (median), grid ${grid.rows} x ${grid.cols}, dim ${dim}, ${labels} labels, context 1 + 7 frames.\n`);
console.log('| ViT-S/16 inference per frame | propagation step | propagation / inference (goal <= 10 %) | other processes |');
console.log('|---:|---:|---:|---:|');
console.log(`| ${inf.toFixed(1)} ms | ${prop.toFixed(1)} ms | ${((100 * prop) / inf).toFixed(1)} % | ${othersText(m)} |`);
first.dispose();
await model.dispose();
