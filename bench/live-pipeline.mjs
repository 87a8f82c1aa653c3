#!/usr/bin/env node
// Live-pipeline benchmark (issue 6): frames per second of the whole live pipeline
// (GStreamer capture thread -> inference -> k-means -> overlay render -> JPEG) on the CPU
// backend, against the bare inference rate (model.extract on the same frames, already decoded),
// in the same run. Goal: >= 90 % of the bare rate (capture, clustering and rendering overlap
// inference instead of adding to it).
// Usage: npm run build && node bench/live-pipeline.mjs [--frames 60] [--model vits16] [--size 224]
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { cliArg, machine, realSizeModel, root } from './models.mjs';

const require = createRequire(import.meta.url);
const { loadModel, openSource, segmentStream } = require(join(root, 'dist', 'index.js'));


const frames = Number(cliArg('frames', 60));
const name = cliArg('model', 'vits16');
const size = Number(cliArg('size', 224));

const video = join(mkdtempSync(join(tmpdir(), 'dinov3-live-bench-')), 'clip.mp4');
execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=640x480:rate=25:duration=${Math.ceil(frames / 25) + 1}`, '-pix_fmt', 'yuv420p', video]);
const model = await loadModel(realSizeModel(name), { size });

// Bare inference rate: the same frames, decoded beforehand, one extract after another.
const decoded = [];
for await (const f of await openSource(video)) {
  const raw = f.toRawImage();
  decoded.push({ ...raw, data: raw.data.slice() });
  f.release();
  if (decoded.length === frames) break;
}
await model.extract(decoded[0]); // warm-up
let t = performance.now();
for (const img of decoded) (await model.extract(img)).dispose();
const bare = (decoded.length * 1000) / (performance.now() - t);

// The live pipeline on the same video.
const timings = { capture: 0, preprocess: 0, inference: 0, analysis: 0, render: 0, encode: 0 };
let n = 0;
const source = await openSource(video);
t = performance.now();
for await (const f of segmentStream(model, source, { k: 3, jpegQuality: 80, maxFrames: frames })) {
  for (const k of Object.keys(timings)) timings[k] += f.timings[k];
  n++;
}
const pipeline = (n * 1000) / (performance.now() - t);
await source.dispose();
await model.dispose();

console.log(`\nlive pipeline, ${name} at ${size}x${size}, 640x480 video, ${n} frames, CPU backend; ${machine()}, ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| bare inference (model.extract on decoded frames) | live pipeline (capture + inference + k-means + render + JPEG) | ratio |');
console.log('|---|---|---|');
console.log(`| ${bare.toFixed(2)} fps | ${pipeline.toFixed(2)} fps | ${((pipeline / bare) * 100).toFixed(1)} % |`);
console.log(`\nmean per frame (ms): ${Object.entries(timings).map(([k, v]) => `${k} ${(v / n).toFixed(1)}`).join(', ')}`);
