#!/usr/bin/env node
// Preprocessing benchmark (issue 16): the PIL-exact resize + normalisation, scalar reference vs
// every vectorised kernel this CPU runs (capabilities().preprocess), on ONE thread
// (DINOV3_NUM_THREADS=1, set before the addon loads; --threads N for another count). Camera frame
// 1920x1080 -> 224 and -> 448, the held-out photo size 1000x872 and the 451x300 conformance photo
// size -> 224, each from seeded RGB pixels. The kernels' runs alternate; medians of --runs
// (default 31). Before timing, every case checks that all kernels give the same floats.
// The machine load other processes caused meanwhile is reported (bench/cpu-load.cjs).
// Usage: npm run build && node bench/preprocess.mjs [--runs 21] [--threads 1]
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { cliArg, machine, median, root } from './models.mjs';

process.env.DINOV3_NUM_THREADS = String(cliArg('threads', 1));
const require = createRequire(import.meta.url);
const { native } = require(join(root, 'dist', 'binding.js'));
const { measured, othersText } = require('./cpu-load.cjs');

const runs = Number(cliArg('runs', 31));
const CASES = [
  [1920, 1080, 224, 224],
  [1920, 1080, 448, 448],
  [1000, 872, 224, 224],
  [451, 300, 224, 224],
];

function pixels(w, h, seed) {
  let s = seed >>> 0 || 1;
  const px = new Uint8Array(w * h * 3);
  for (let i = 0; i < px.length; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    // a smooth gradient plus noise, like a photo more than white noise
    px[i] = (((i / 3) % w) * 255 / w + (s & 63)) & 255;
  }
  return px;
}

const b = native();
const caps = b.capabilities();
const kernels = caps.preprocess.kernels;
const mean = new Float32Array([0.485, 0.456, 0.406]);
const std = new Float32Array([0.229, 0.224, 0.225]);

async function once(px, w, h, ow, oh, kernel, out) {
  const t0 = performance.now();
  await b.preprocess({ pixels: px, width: w, height: h, rowBytes: w * 3, format: 0, outWidth: ow, outHeight: oh, mean, std, out, kernel });
  return performance.now() - t0;
}

const sameBits = (a, v) => Buffer.from(a.buffer).equals(Buffer.from(v.buffer));

console.log(`# preprocess (resize + normalise), ${machine()}, ${process.env.DINOV3_NUM_THREADS} thread(s), kernels ${kernels.join(', ')} (auto: ${caps.preprocess.kernel}), medians of ${runs}, kernels interleaved`);
console.log(`| input | output | ${kernels.map((k) => `${k} ms`).join(' | ')} | ${kernels.slice(1).map((k) => `${k} speed-up`).join(' | ')} | same floats | others |`);
console.log(`|---|---|${kernels.map(() => '---:').join('|')}|${kernels.slice(1).map(() => '---:').join('|')}|---|---:|`);
const fastest = [];
for (const [w, h, ow, oh] of CASES) {
  const px = pixels(w, h, w * 7 + h);
  const outs = kernels.map(() => new Float32Array(3 * ow * oh));
  for (let k = 0; k < kernels.length; k++) await once(px, w, h, ow, oh, kernels[k], outs[k]);
  const same = outs.every((o) => sameBits(outs[0], o));
  const m = await measured(async () => {
    const times = kernels.map(() => []);
    for (let r = 0; r < runs; r++) {
      for (let k = 0; k < kernels.length; k++) times[k].push(await once(px, w, h, ow, oh, kernels[k], outs[k]));
    }
    return { medians: times.map(median), fastest: times.map((t) => Math.min(...t)) };
  });
  const [scalar] = m.medians;
  console.log(`| ${w}x${h} | ${ow}x${oh} | ${m.medians.map((t) => t.toFixed(2)).join(' | ')} | ${m.medians.slice(1).map((t) => `${(scalar / t).toFixed(2)}x`).join(' | ')} | ${same ? 'yes' : 'NO'} | ${othersText(m)} |`);
  fastest.push({ w, h, ow, oh, times: m.fastest });
}
// The fastest run of each kernel: on a machine other processes share, the least disturbed run.
console.log(`\nFastest of ${runs} runs (least disturbed by other processes):`);
console.log(`| input | output | ${kernels.map((k) => `${k} ms`).join(' | ')} | ${kernels.slice(1).map((k) => `${k} speed-up`).join(' | ')} |`);
console.log(`|---|---|${kernels.map(() => '---:').join('|')}|${kernels.slice(1).map(() => '---:').join('|')}|`);
for (const { w, h, ow, oh, times } of fastest) {
  console.log(`| ${w}x${h} | ${ow}x${oh} | ${times.map((t) => t.toFixed(2)).join(' | ')} | ${times.slice(1).map((t) => `${(times[0] / t).toFixed(2)}x`).join(' | ')} |`);
}
