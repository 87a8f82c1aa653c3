#!/usr/bin/env node
// Live-pipeline benchmark (issue 6): frames per second of the whole live pipeline
// (GStreamer capture thread -> inference -> k-means -> overlay render -> JPEG) on the CPU
// backend, against the bare inference rate (model.extract on the same frames, already decoded,
// with one call more in flight than the model runs at once so the backend never waits), in the
// same process with the same loaded model. Short rounds alternate bare / pipeline so machine
// drift hits both alike; each phase reports how much of the machine other processes used.
// Goal: >= 90 % of the bare rate (capture, clustering and rendering overlap inference instead
// of adding to it).
// Usage: npm run build && node bench/live-pipeline.mjs [--frames 60] [--rounds 4] [--model vits16]
//                                                     [--size 224] [--sessions 1] [--threads N]
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { cliArg, machine, median, realSizeModel, root } from './models.mjs';

const require = createRequire(import.meta.url);
const { loadModel, openSource, segmentStream } = require(join(root, 'dist', 'index.js'));
const { cpuMs, measured } = require('./cpu-load.cjs');

const frames = Number(cliArg('frames', 60));
const rounds = Number(cliArg('rounds', 4));
const name = cliArg('model', 'vits16');
const size = Number(cliArg('size', 224));
const sessions = Number(cliArg('sessions', 1));
const threads = cliArg('threads', '');

const video = join(mkdtempSync(join(tmpdir(), 'dinov3-live-bench-')), 'clip.mp4');
execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=640x480:rate=25:duration=${Math.ceil(frames / 25) + 1}`, '-pix_fmt', 'yuv420p', video]);
const model = await loadModel(realSizeModel(name), { size, sessions, ...(threads ? { threads: Number(threads) } : {}) });

const decoded = [];
for await (const f of await openSource(video)) {
  const raw = f.toRawImage();
  decoded.push({ ...raw, data: raw.data.slice() });
  f.release();
  if (decoded.length === frames) break;
}
await model.extract(decoded[0]); // warm-up

async function bare() {
  const cpu0 = cpuMs();
  const t = performance.now();
  const inFlight = [];
  for (const img of decoded) {
    inFlight.push(model.extract(img).then((f) => f.dispose()));
    if (inFlight.length > model.concurrency) await inFlight.shift();
  }
  await Promise.all(inFlight);
  return { fps: (decoded.length * 1000) / (performance.now() - t), cpu: (cpuMs() - cpu0) / decoded.length };
}

async function pipeline() {
  const timings = { capture: 0, preprocess: 0, inference: 0, analysis: 0, render: 0, encode: 0 };
  let n = 0;
  const cpu0 = cpuMs();
  const source = await openSource(video);
  const t = performance.now();
  for await (const f of segmentStream(model, source, { k: 3, jpegQuality: 80, maxFrames: frames })) {
    for (const k of Object.keys(timings)) timings[k] += f.timings[k];
    n++;
  }
  const fps = (n * 1000) / (performance.now() - t);
  await source.dispose();
  const stages = Object.entries(timings).map(([k, v]) => `${k} ${(v / n).toFixed(1)}`).join(', ');
  return { fps, cpu: (cpuMs() - cpu0) / n, stages };
}

const pct = (x) => `${(100 * x).toFixed(1)} %`;
console.log(`\nlive pipeline, ${name} at ${size}x${size}, 640x480 video, ${frames} frames per phase, CPU backend, ${sessions} ONNX Runtime session(s) (threads each: ${threads || 'default'}); ${machine()}, ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| round | bare inference | live pipeline | ratio | CPU ms/frame bare / pipeline | others (bare / pipeline) |');
console.log('|---|---:|---:|---:|---|---|');
const ratios = [];
const quiet = [];
let stages = '';
for (let r = 1; r <= rounds; r++) {
  const b = await measured(bare);
  const p = await measured(pipeline);
  const ratio = p.fps / b.fps;
  ratios.push(ratio);
  if (b.others < 0.05 && p.others < 0.05) quiet.push(ratio);
  stages = p.stages;
  console.log(`| ${r} | ${b.fps.toFixed(2)} fps | ${p.fps.toFixed(2)} fps | ${pct(ratio)} | ${b.cpu.toFixed(0)} / ${p.cpu.toFixed(0)} | ${pct(b.others)} / ${pct(p.others)} |`);
}
await model.dispose();
console.log(`\nmedian ratio ${pct(median(ratios))} (goal >= 90 %); rounds with other processes < 5 % of the machine: ${quiet.length}${quiet.length ? `, median ${pct(median(quiet))}` : ''}`);
console.log(`mean per frame in the last pipeline round (ms, wall, stages overlap): ${stages}`);
