#!/usr/bin/env node
// CPU k-means benchmark (issue 3): native k-means (dinov3-trt) vs ml-kmeans (JavaScript) at
// equal settings — the same initial centroids (k rows chosen by a seeded generator, passed to
// both), at most 50 Lloyd iterations, stop only at a fixed point (tolerance 0 for both) — so both
// reach the same inertia and the time compares the implementations. A second table times each
// library's own k-means++ seeding + Lloyd (inertia then varies with the seed).
// Usage: npm run build && node bench/kmeans-cpu.mjs [--runs 5]
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { kmeans as mlKmeans } from 'ml-kmeans';

import { cliArg, machine, median, root } from './models.mjs';

const require = createRequire(import.meta.url);
const { Features } = require(join(root, 'dist', 'index.js'));

const runs = Number(cliArg('runs', 5));

/** Seeded patch-token-like data: 12 centres, unequal spread, xorshift noise. */
function data(rows, dim, seed) {
  let s = seed >>> 0 || 1;
  const rand = () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
  const centres = Array.from({ length: 12 }, () => Float32Array.from({ length: dim }, () => (rand() - 0.5) * 1.5));
  const x = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const c = centres[Math.floor(rand() * 12)];
    const spread = 1 + (r % 3) * 0.5; // overlapping clusters: Lloyd needs many iterations, as on real features
    for (let d = 0; d < dim; d++) x[r * dim + d] = c[d] + (rand() + rand() + rand() - 1.5) * spread;
  }
  return x;
}

function inertia(x, dim, labels, centroids) {
  let s = 0;
  for (let r = 0; r < labels.length; r++) {
    const c = centroids[labels[r]];
    for (let d = 0; d < dim; d++) {
      const v = x[r * dim + d] - c[d];
      s += v * v;
    }
  }
  return s;
}

const rows = [];
for (const [n, dim] of [[196, 384], [784, 768], [4096, 1024]]) {
  const x = data(n, dim, n + dim);
  const arrays = Array.from({ length: n }, (_, r) => Array.from(x.subarray(r * dim, (r + 1) * dim)));
  const features = Features.fromPatches(x, { rows: n, cols: 1 }, dim);
  for (const k of [2, 3, 8]) {
    const ours = [];
    const theirs = [];
    let oursInertia = 0;
    let theirInertia = 0;
    let oursIter = 0;
    let theirIter = 0;
    for (let i = 0; i <= runs; i++) {
      const init = new Float32Array(k * dim);
      const picked = new Set();
      let s = (i * 7919 + k * 104729 + n) >>> 0 || 1;
      while (picked.size < k) {
        s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
        picked.add(s % n);
      }
      [...picked].forEach((r, c) => init.set(x.subarray(r * dim, (r + 1) * dim), c * dim));
      const initArrays = Array.from({ length: k }, (_, c) => Array.from(init.subarray(c * dim, (c + 1) * dim)));
      let t = performance.now();
      const a = await features.kmeans({ k, iterations: 50, tolerance: 0, init });
      const ta = performance.now() - t;
      t = performance.now();
      const b = mlKmeans(arrays, k, { initialization: initArrays, maxIterations: 50, tolerance: 0 });
      const tb = performance.now() - t;
      if (i === 0) continue; // warm-up
      ours.push(ta);
      theirs.push(tb);
      oursInertia += a.inertia / runs;
      oursIter += a.iterations / runs;
      theirInertia += inertia(x, dim, b.clusters, b.centroids) / runs;
      theirIter += b.iterations / runs;
    }
    const mo = median(ours);
    const mt = median(theirs);
    rows.push(`| ${n}x${dim} | ${k} | ${mo.toFixed(2)} ms | ${mt.toFixed(1)} ms | ${(mt / mo).toFixed(1)}x | ${oursInertia.toFixed(1)} / ${theirInertia.toFixed(1)} | ${oursIter.toFixed(1)} / ${theirIter.toFixed(1)} |`);
    console.error(rows[rows.length - 1]);
  }
}
console.log(`\nk-means on ${machine()}, ${new Date().toISOString().slice(0, 10)}, median of ${runs} runs (same initial centroids for both in each run)\n`);
console.log('| patches x dim | k | dinov3-trt (native) | ml-kmeans (JS) | speed-up | mean inertia ours / ml-kmeans | mean iterations ours / ml-kmeans |');
console.log('|---|---|---|---|---|---|---|');
console.log(rows.join('\n'));

// Each library's own k-means++ + Lloyd on the largest shape (seeding included in the time).
{
  const [n, dim, k] = [4096, 1024, 8];
  const x = data(n, dim, n + dim);
  const arrays = Array.from({ length: n }, (_, r) => Array.from(x.subarray(r * dim, (r + 1) * dim)));
  const features = Features.fromPatches(x, { rows: n, cols: 1 }, dim);
  const ours = [];
  const theirs = [];
  let io = 0;
  let it = 0;
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    const a = await features.kmeans({ k, iterations: 50, tolerance: 0, seed: i });
    ours.push(performance.now() - t);
    t = performance.now();
    const b = mlKmeans(arrays, k, { initialization: 'kmeans++', maxIterations: 50, tolerance: 0, seed: i + 1 });
    theirs.push(performance.now() - t);
    io += a.inertia / runs;
    it += inertia(x, dim, b.clusters, b.centroids) / runs;
  }
  console.log(`\nwith each library's own k-means++ seeding, ${n}x${dim}, k=${k}, ${runs} seeds: dinov3-trt ${median(ours).toFixed(1)} ms, ml-kmeans ${median(theirs).toFixed(1)} ms (${(median(theirs) / median(ours)).toFixed(1)}x); mean inertia ${io.toFixed(1)} / ${it.toFixed(1)}`);
}
