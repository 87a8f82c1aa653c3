#!/usr/bin/env node
// Multi-stream benchmark (issue 15): N video streams segmented through one model, their frames
// batched into one inference per round (segmentStreams), against the same N streams each through
// its own segmentVideo (every frame its own batch-1 inference call, all N running at once), in
// one process with one loaded model. Rounds alternate batched / batch-1 so machine drift hits
// both alike; each phase reports how much of the machine other processes used.
// Usage: npm run build && node bench/streams.mjs [--streams 4] [--frames 24] [--rounds 3]
//                                                [--model vits16] [--size 224]
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { cliArg, machine, median, realSizeModel, root } from './models.mjs';

const require = createRequire(import.meta.url);
const { loadModel, segmentStreams, segmentVideo } = require(join(root, 'dist', 'index.js'));
const { measured, othersText } = require('./cpu-load.cjs');

const streams = Number(cliArg('streams', 4));
const frames = Number(cliArg('frames', 24));
const rounds = Number(cliArg('rounds', 3));
const name = cliArg('model', 'vits16');
const size = Number(cliArg('size', 224));

const dir = mkdtempSync(join(tmpdir(), 'dinov3-streams-bench-'));
const patterns = ['testsrc2', 'smptebars', 'rgbtestsrc', 'testsrc'];
const videos = Array.from({ length: streams }, (_, i) => {
  const file = join(dir, `cam${i}.mp4`);
  const pattern = patterns[i % patterns.length];
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `${pattern}=size=640x480:rate=25:duration=${Math.ceil(frames / 25) + 1}`, '-pix_fmt', 'yuv420p', file]);
  return file;
});
const model = await loadModel(realSizeModel(name), { size });
const options = { k: 3, maxFrames: frames, render: false };
await model.extract({ width: 640, height: 480, format: 'rgb', data: new Uint8Array(640 * 480 * 3) }).then((f) => f.dispose()); // warm-up

async function batched() {
  const t = performance.now();
  let n = 0;
  let batch = 0;
  for await (const r of segmentStreams(model, videos, options)) {
    if (r.type === 'error') throw r.error;
    if (r.type === 'frame') {
      n++;
      batch += r.batch;
    }
  }
  return { fps: (n * 1000) / (performance.now() - t), n, fill: batch / n };
}

async function single() {
  const t = performance.now();
  const counts = await Promise.all(
    videos.map(async (v) => {
      let n = 0;
      for await (const _ of segmentVideo(model, v, options)) n++;
      return n;
    }),
  );
  const n = counts.reduce((a, b) => a + b, 0);
  return { fps: (n * 1000) / (performance.now() - t), n };
}

const pct = (x) => `${(100 * x).toFixed(1)} %`;
console.log(`\n${streams} streams (640x480 H.264, ${frames} frames each), ${name} at ${size}x${size}, k-means k=3, CPU backend (ONNX Runtime, one session); ${machine()}, ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| round | batch-1 calls (N x segmentVideo) | batched (segmentStreams) | mean batch | ratio | others (batch-1 / batched) |');
console.log('|---|---:|---:|---:|---:|---|');
const ratios = [];
for (let r = 1; r <= rounds; r++) {
  const s = await measured(single);
  const b = await measured(batched);
  if (s.n !== streams * frames || b.n !== streams * frames) throw new Error(`frame count: ${s.n} / ${b.n}, expected ${streams * frames}`);
  const ratio = b.fps / s.fps;
  ratios.push(ratio);
  console.log(`| ${r} | ${s.fps.toFixed(2)} fps | ${b.fps.toFixed(2)} fps | ${b.fill.toFixed(2)} | ${ratio.toFixed(3)}x | ${othersText(s)} / ${othersText(b)} |`);
}
await model.dispose();
console.log(`\nmedian throughput ratio batched / batch-1: ${median(ratios).toFixed(3)}x (${pct(median(ratios) - 1)} more frames per second)`);
