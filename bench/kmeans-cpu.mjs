#!/usr/bin/env node
// CPU k-means benchmark (issue 3): native k-means (dinov3-trt) vs ml-kmeans (JavaScript) at
// equal settings — the same initial centroids (k rows chosen by a seeded generator, passed to
// both), at most 50 Lloyd iterations, stop only at a fixed point (tolerance 0 for both) — so both
// reach the same inertia and the time compares the implementations. The native k-means runs at
// 1 thread (DINOV3_NUM_THREADS=1, in a child process: ml-kmeans is single-threaded, so this is
// like for like) and at the default thread count (every core, what users get). A second table
// times each library's own k-means++ seeding + Lloyd (inertia then varies with the seed). Each
// row records the share of the machine other processes used meanwhile (bench/cpu-load.cjs).
// Usage: npm run build && node bench/kmeans-cpu.mjs [--runs 5]
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { kmeans as mlKmeans } from 'ml-kmeans';

import { cliArg, machine, median, root } from './models.mjs';

const require = createRequire(import.meta.url);
const { Features } = require(join(root, 'dist', 'index.js'));
const { measured, othersText } = require('./cpu-load.cjs');

const runs = Number(cliArg('runs', 5));
/** Child mode: only the native k-means, JSON on stdout (the parent sets DINOV3_NUM_THREADS). */
const oursOnly = process.argv.includes('--ours-only');
const SHAPES = [[196, 384], [784, 768], [4096, 1024]];
const KS = [2, 3, 8];
const OWN_SEEDING = [4096, 1024, 8];

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

/** The run's initial centroids: k distinct rows picked by a seeded generator. */
function initialCentroids(x, n, dim, k, run) {
  const init = new Float32Array(k * dim);
  const picked = new Set();
  let s = (run * 7919 + k * 104729 + n) >>> 0 || 1;
  while (picked.size < k) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    picked.add(s % n);
  }
  [...picked].forEach((r, c) => init.set(x.subarray(r * dim, (r + 1) * dim), c * dim));
  return init;
}

/**
 * `runs` timed runs (after one warm-up), each from its own seeded initial centroids:
 * `prepare(initialCentroids)` builds the call outside the timed part and only the call it returns
 * is timed; median ms, and mean inertia and iterations from `summary` (also outside), with the
 * machine's load meanwhile.
 */
function equalSettingsRuns(x, n, dim, k, prepare, summary) {
  return measured(async () => {
    const times = [];
    let inertiaSum = 0;
    let iterSum = 0;
    for (let i = 0; i <= runs; i++) {
      const call = prepare(initialCentroids(x, n, dim, k, i));
      const t = performance.now();
      const result = await call();
      const ms = performance.now() - t;
      if (i === 0) continue; // warm-up
      times.push(ms);
      const { inertia: e, iterations } = summary(result);
      inertiaSum += e;
      iterSum += iterations;
    }
    return { ms: median(times), inertia: inertiaSum / runs, iterations: iterSum / runs };
  });
}

/** Native k-means at equal settings on every shape: { 'n x dim k': { ms, inertia, iterations, others } }. */
async function oursAtEqualSettings(only) {
  const out = {};
  for (const [n, dim] of SHAPES) {
    const x = data(n, dim, n + dim);
    const features = Features.fromPatches(x, { rows: n, cols: 1 }, dim);
    for (const k of KS) {
      if (only && !only(n, dim, k)) continue;
      const r = await equalSettingsRuns(x, n, dim, k, (init) => () => features.kmeans({ k, iterations: 50, tolerance: 0, init }), (a) => a);
      out[`${n}x${dim} ${k}`] = r;
    }
  }
  return out;
}

/** Native k-means with its own k-means++ seeding on the largest shape: median ms and mean inertia. */
async function oursOwnSeeding() {
  const [n, dim, k] = OWN_SEEDING;
  const features = Features.fromPatches(data(n, dim, n + dim), { rows: n, cols: 1 }, dim);
  return measured(async () => {
    const times = [];
    let inertiaSum = 0;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const a = await features.kmeans({ k, iterations: 50, tolerance: 0, seed: i });
      times.push(performance.now() - t);
      inertiaSum += a.inertia;
    }
    return { ms: median(times), inertia: inertiaSum / runs };
  });
}

if (oursOnly) {
  console.log(JSON.stringify({ equal: await oursAtEqualSettings(), own: await oursOwnSeeding() }));
  process.exit(0);
}

// Native k-means at 1 thread, in a child process (the thread pool's size is fixed per process).
console.error('native k-means at 1 thread (child process) ...');
const single = JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--ours-only', '--runs', String(runs)], {
  env: { ...process.env, DINOV3_NUM_THREADS: '1' },
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
}));

const rows = [];
const whole = await measured(async () => {
for (const [n, dim] of SHAPES) {
  const x = data(n, dim, n + dim);
  const arrays = Array.from({ length: n }, (_, r) => Array.from(x.subarray(r * dim, (r + 1) * dim)));
  for (const k of KS) {
    const key = `${n}x${dim} ${k}`;
    const ours = (await oursAtEqualSettings((a, b, c) => a === n && b === dim && c === k))[key];
    const theirs = await equalSettingsRuns(
      x, n, dim, k,
      (init) => {
        const initialization = Array.from({ length: k }, (_, c) => Array.from(init.subarray(c * dim, (c + 1) * dim)));
        return async () => mlKmeans(arrays, k, { initialization, maxIterations: 50, tolerance: 0 });
      },
      (b) => ({ inertia: inertia(x, dim, b.clusters, b.centroids), iterations: b.iterations }),
    );
    const one = single.equal[key];
    rows.push(`| ${n} x ${dim} | ${k} | ${one.ms.toFixed(2)} ms | ${ours.ms.toFixed(2)} ms | ${theirs.ms.toFixed(1)} ms | **${(theirs.ms / one.ms).toFixed(1)}x** | ${(theirs.ms / ours.ms).toFixed(1)}x | ` +
      `${one.inertia.toFixed(1)} / ${ours.inertia.toFixed(1)} / ${theirs.inertia.toFixed(1)} | ${ours.iterations.toFixed(1)} / ${theirs.iterations.toFixed(1)} |`);
    console.error(rows[rows.length - 1]);
  }
}
return {};
});
console.log(`\nk-means on ${machine()}, ${new Date().toISOString().slice(0, 10)}, median of ${runs} runs (same initial centroids for all in each run)\n`);
console.log(`| patches x dim | k | dinov3-trt, 1 thread | dinov3-trt, ${availableParallelism()} threads (default) | ml-kmeans (JS, 1 thread) | speed-up at 1 thread | speed-up, default | mean inertia 1 thread / default / ml-kmeans | mean iterations ours / ml-kmeans |`);
console.log('|---|---|---:|---:|---:|---:|---:|---|---|');
console.log(rows.join('\n'));
console.log(`\nother processes over the whole table: ${othersText(whole)} of the machine`);

// Each library's own k-means++ + Lloyd on the largest shape (seeding included in the time).
{
  const [n, dim, k] = OWN_SEEDING;
  const x = data(n, dim, n + dim);
  const arrays = Array.from({ length: n }, (_, r) => Array.from(x.subarray(r * dim, (r + 1) * dim)));
  const ours = await oursOwnSeeding();
  const theirs = await measured(async () => {
    const times = [];
    let inertiaSum = 0;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const b = mlKmeans(arrays, k, { initialization: 'kmeans++', maxIterations: 50, tolerance: 0, seed: i + 1 });
      times.push(performance.now() - t);
      inertiaSum += inertia(x, dim, b.clusters, b.centroids);
    }
    return { ms: median(times), inertia: inertiaSum / runs };
  });
  const one = single.own;
  console.log(`\nwith each library's own k-means++ seeding, ${n}x${dim}, k=${k}, ${runs} seeds: dinov3-trt ${one.ms.toFixed(1)} ms at 1 thread, ` +
    `${ours.ms.toFixed(1)} ms at ${availableParallelism()} threads; ml-kmeans ${theirs.ms.toFixed(1)} ms (${(theirs.ms / one.ms).toFixed(1)}x / ${(theirs.ms / ours.ms).toFixed(1)}x); ` +
    `mean inertia ${one.inertia.toFixed(1)} / ${ours.inertia.toFixed(1)} / ${theirs.inertia.toFixed(1)}; other processes ${othersText(one)} / ${othersText(ours)} / ${othersText(theirs)}`);
}
