#!/usr/bin/env node
// Dense matching benchmark (issue 14): matchPatches (all-pairs cosine similarity, nearest
// neighbours both ways, mutual pairs) on the CPU kernel, for the patch grids of ViT-S/16 at 224,
// 448 and 480p-equivalent (480 x 864) and of ViT-L/16 at 1024, at 1 thread (DINOV3_NUM_THREADS=1,
// in a child process) and at the default thread count; the brute-force float64 JavaScript
// reference is timed once per shape for scale. The CUDA kernel is timed by the C++ benchmark on a
// GPU machine (not on this one). Each row records the share of the machine other processes used.
// Usage: npm run build && node bench/match.mjs [--runs 7]
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { cliArg, machine, median, root } from './models.mjs';

const require = createRequire(import.meta.url);
const { Features, matchPatches } = require(join(root, 'dist', 'index.js'));
const { measured, othersText } = require('./cpu-load.cjs');

const runs = Number(cliArg('runs', 7));
const oursOnly = process.argv.includes('--ours-only');
const SHAPES = [
  { name: 'ViT-S/16 224', rows: 14, cols: 14, dim: 384 },
  { name: 'ViT-S/16 448', rows: 28, cols: 28, dim: 384 },
  { name: 'ViT-S/16 480 x 864', rows: 30, cols: 54, dim: 384 },
  { name: 'ViT-L/16 1024', rows: 64, cols: 64, dim: 1024 },
];

function features(rows, cols, dim, seed) {
  let s = seed >>> 0 || 1;
  const x = new Float32Array(rows * cols * dim);
  for (let i = 0; i < x.length; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    x[i] = s / 4294967296 - 0.5;
  }
  return Features.fromPatches(x, { rows, cols }, dim);
}

async function timeOurs(shape) {
  const a = features(shape.rows, shape.cols, shape.dim, 1);
  const b = features(shape.rows, shape.cols, shape.dim, 2);
  await matchPatches(a, b);
  const times = [];
  let pairs = 0;
  const m = await measured(async () => {
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      pairs = (await matchPatches(a, b)).pairs.length;
      times.push(performance.now() - t);
    }
  });
  return { ms: median(times), pairs, others: m };
}

/** The float64 brute force (what a user would write in JavaScript). */
function timeReference(shape) {
  const a = features(shape.rows, shape.cols, shape.dim, 1).patches;
  const b = features(shape.rows, shape.cols, shape.dim, 2).patches;
  const n = shape.rows * shape.cols;
  const d = shape.dim;
  const t = performance.now();
  const norm = (x) => Float64Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[i * d + k] ** 2;
    return Math.sqrt(s);
  });
  const na = norm(a);
  const nb = norm(b);
  const bestB = new Int32Array(n);
  const bestA = new Int32Array(n);
  const sA = new Float64Array(n).fill(-Infinity);
  const sB = new Float64Array(n).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += a[i * d + k] * b[j * d + k];
      s /= na[i] * nb[j];
      if (s > sA[i]) (sA[i] = s), (bestB[i] = j);
      if (s > sB[j]) (sB[j] = s), (bestA[j] = i);
    }
  }
  let pairs = 0;
  for (let i = 0; i < n; i++) if (bestA[bestB[i]] === i) pairs++;
  return { ms: performance.now() - t, pairs };
}

if (oursOnly) {
  const out = [];
  for (const s of SHAPES) out.push(await timeOurs(s));
  process.stdout.write(JSON.stringify(out));
} else {
  const single = JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--ours-only', '--runs', String(runs)], { env: { ...process.env, DINOV3_NUM_THREADS: '1' }, encoding: 'utf8' }));
  console.log(`Machine: ${machine()}. Date: ${new Date().toISOString()}. Runs: ${runs} (median).\n`);
  console.log('| grid (model, input) | patches x dim | matchPatches, 1 thread | matchPatches, default threads | JS float64 brute force | mutual pairs | other processes |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const [i, s] of SHAPES.entries()) {
    const ours = await timeOurs(s);
    const ref = s.dim * s.rows * s.cols <= 30 * 54 * 384 ? timeReference(s) : undefined;
    if (ref && ref.pairs !== ours.pairs) throw new Error(`${s.name}: ${ours.pairs} pairs, reference ${ref.pairs}`);
    const n = s.rows * s.cols;
    console.log(`| ${s.name} | ${n} x ${s.dim} | ${single[i].ms.toFixed(2)} ms | ${ours.ms.toFixed(2)} ms | ${ref ? `${ref.ms.toFixed(0)} ms` : 'not run'} | ${ours.pairs} | ${othersText(ours.others)} |`);
  }
}
