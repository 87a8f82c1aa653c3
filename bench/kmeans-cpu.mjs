#!/usr/bin/env node
// CPU k-means benchmark (issue 3): native k-means (dinov3-trt) vs ml-kmeans (JavaScript) at
// equal settings — k-means++ seeding, at most 50 Lloyd iterations, stop only at a fixed point
// (tolerance 0 for both) — on seeded clustered data of DINOv3 patch-token shapes.
// Usage: npm run build && node bench/kmeans-cpu.mjs [--runs 5]
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { kmeans as mlKmeans } from 'ml-kmeans';

import { machine, median, root } from './models.mjs';

const require = createRequire(import.meta.url);
const { Features } = require(join(root, 'dist', 'index.js'));

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] || 5);

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
      let t = performance.now();
      const a = await features.kmeans({ k, iterations: 50, tolerance: 0, seed: i });
      const ta = performance.now() - t;
      t = performance.now();
      const b = mlKmeans(arrays, k, { initialization: 'kmeans++', maxIterations: 50, tolerance: 0, seed: i + 1 });
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
console.log(`\nk-means on ${machine()}, ${new Date().toISOString().slice(0, 10)}, median of ${runs} runs (seeds differ per run, same seeds for both)\n`);
console.log('| patches x dim | k | dinov3-trt (native) | ml-kmeans (JS) | speed-up | mean inertia ours / ml-kmeans | mean iterations ours / ml-kmeans |');
console.log('|---|---|---|---|---|---|---|');
console.log(rows.join('\n'));
