#!/usr/bin/env node
// HTTP service under load (issue 7): examples/http-service.ts, compiled as a user compiles it,
// run as its own process on 127.0.0.1, loaded with autocannon (8 connections) on POST /segment
// and POST /features, with the tiny test model and with ViT-S/16 (seeded weights).
// Records requests/s, latency p50/p99, non-2xx answers and errors (both must be 0), and the
// service's resident memory (VmRSS of its process) after a warm-up, during and after the load.
//
//   node bench/http-load.mjs [--duration 10] [--connections 8] [--models tiny,vits16]
//                            [--image-size 480x640] [--soak 60] [--no-build] [--json OUT.json]
//
// --soak S: after the rows, S more seconds of POST /segment per model with the service's RSS
// sampled every second, reported per tenth of the run (0 = skip): memory must stay flat.
//
// It builds first (npm run build: lib -> dist/; tsc -p examples/tsconfig.json: examples ->
// examples/dist/, where 'dinov3-trt' resolves to dist/ through the package's exports); --no-build
// skips that. ViT-S/16 comes from bench/models (bench/data.cjs). Exits 1 if any request failed.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { cache, cliArg, machine, realSizeModel, root } from './models.mjs';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');
const sharp = require('sharp');
const { measured, othersText } = require('./cpu-load.cjs');

const args = process.argv.slice(2);
const duration = Number(cliArg('duration', 10));
const connections = Number(cliArg('connections', 8));
const modelNames = cliArg('models', 'tiny,vits16').split(',');
const [imageHeight, imageWidth] = cliArg('image-size', '480x640').split('x').map(Number);
const jsonOut = cliArg('json', undefined);
const soak = Number(cliArg('soak', 60));

if (!args.includes('--no-build')) {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  console.log('building: tsc -p tsconfig.build.json (dist/), tsc -p examples/tsconfig.json (examples/dist/)');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
  execFileSync(process.execPath, [tsc, '-p', join(root, 'examples', 'tsconfig.json')], { stdio: 'inherit', cwd: root });
}
const service = join(root, 'examples', 'dist', 'http-service.js');
if (!existsSync(service)) throw new Error(`${service} is missing: run without --no-build`);

/** A smooth colourful photo (PNG), like a camera frame. */
async function photo(width, height) {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = Math.round((255 * x) / (width - 1));
      data[i + 1] = Math.round((255 * y) / (height - 1));
      data[i + 2] = Math.round(127 + 100 * Math.sin(x / 23) * Math.cos(y / 17));
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

function tinyModelPath() {
  const { writeTinyDinov3 } = require(join(root, 'dist', 'testing.js'));
  mkdirSync(cache, { recursive: true });
  const path = join(cache, 'tiny-dinov3.onnx');
  return writeTinyDinov3(path).then(() => path);
}

const rssOf = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;
const mb = (bytes) => (bytes / 2 ** 20).toFixed(0);

/** Starts the compiled example as its own process; resolves with its URL once it listens. */
async function start(modelPath) {
  const child = spawn(process.execPath, [service, '--model', modelPath, '--port', '0', '--host', '127.0.0.1'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s) => {
      out += s;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`service exited with ${code}`)));
  });
  return { child, url };
}

async function stop(child) {
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  child.kill('SIGTERM');
  return exited;
}

async function load(url, path, body, seconds = duration) {
  return autocannon({
    url: `${url}${path}`,
    method: 'POST',
    headers: { 'content-type': 'image/png' },
    body,
    connections,
    duration: seconds,
    timeout: 60,
  });
}

const image = await photo(imageWidth, imageHeight);
const routes = [
  { name: 'POST /segment?k=5', path: '/segment?k=5' },
  { name: 'POST /features (npy)', path: '/features' },
];
const rows = [];
const memory = [];
let failures = 0;
for (const name of modelNames) {
  const modelPath = name === 'tiny' ? await tinyModelPath() : realSizeModel(name);
  const { child, url } = await start(modelPath);
  try {
    const health = await (await fetch(`${url}/health`)).json();
    // warm-up under the same load (not recorded), so that the allocator and the backend's
    // buffers reach their working size before memory is compared
    for (const r of routes) {
      const res = await fetch(`${url}${r.path}`, { method: 'POST', body: image, headers: { 'content-type': 'image/png' } });
      if (res.status !== 200) throw new Error(`warm-up ${r.path}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
      const warm = await load(url, r.path, image, Math.min(3, duration));
      if (warm.non2xx + warm.errors + warm.timeouts > 0) failures++;
    }
    await sleep(500);
    const rssWarm = rssOf(child.pid);
    for (const r of routes) {
      const before = rssOf(child.pid);
      const samples = [];
      const sampler = setInterval(() => samples.push(rssOf(child.pid)), 250);
      const result = await measured(() => load(url, r.path, image), { pids: [child.pid] });
      clearInterval(sampler);
      await sleep(500);
      const after = rssOf(child.pid);
      const half = samples.slice(Math.floor(samples.length / 2));
      const row = {
        model: name === 'tiny' ? `tiny (dim ${health.model.dim}, 3 blocks)` : `${name} (dim ${health.model.dim})`,
        route: r.name,
        input: `${imageWidth}x${imageHeight} PNG -> ${health.model.defaultSize.height}x${health.model.defaultSize.width}`,
        requests: result.requests.total,
        rps: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
        rssBefore: before,
        rssPeak: Math.max(before, ...samples),
        rssSecondHalfMin: Math.min(...half),
        rssSecondHalfMax: Math.max(...half),
        rssAfter: after,
        others: result.others,
        seconds: result.seconds,
      };
      failures += row.non2xx + row.errors;
      rows.push(row);
      console.log(
        `${row.model} ${row.route}: ${row.rps.toFixed(1)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, ` +
          `${row.requests} requests, non-2xx ${row.non2xx}, errors ${row.errors}, ` +
          `RSS ${mb(before)} -> peak ${mb(row.rssPeak)} -> ${mb(after)} MB; other processes ${othersText(row)}`,
      );
    }
    let soakRss = [];
    if (soak > 0) {
      const samples = [];
      const sampler = setInterval(() => samples.push(rssOf(child.pid)), 1000);
      const result = await load(url, routes[0].path, image, soak);
      clearInterval(sampler);
      failures += result.non2xx + result.errors + result.timeouts;
      // RSS at each tenth of the run
      soakRss = Array.from({ length: 10 }, (_, i) => samples[Math.min(samples.length - 1, Math.round(((i + 1) * samples.length) / 10) - 1)]);
      console.log(
        `  soak ${soak} s on ${routes[0].name}: ${result.requests.total} requests, non-2xx ${result.non2xx}, errors ${result.errors + result.timeouts}; ` +
          `RSS MB per tenth: ${soakRss.map(mb).join(' ')}`,
      );
    }
    const queue = (await (await fetch(`${url}/health`)).json()).queue;
    const rssEnd = rssOf(child.pid);
    memory.push({ model: rows.at(-1).model, rssWarm, rssEnd, soakRss });
    console.log(
      `  service: served ${queue.served}, failed ${queue.failed}, busy ${queue.rejectedBusy}, ` +
        `aborted by the load generator at the end of a run ${queue.aborted}, peak active ${queue.peakActive}; ` +
        `RSS after warm-up ${mb(rssWarm)} MB, at the end ${mb(rssEnd)} MB`,
    );
    if (queue.failed > 0 || queue.rejectedBusy > 0) failures++;
  } finally {
    const exit = await stop(child);
    if (exit !== 0) {
      console.error(`service exited with ${exit} on SIGTERM`);
      failures++;
    }
  }
}

const date = new Date().toISOString().slice(0, 10);
console.log(`\n${machine()}, ${date}; ${connections} connections, ${duration} s per row\n`);
console.log('| model | route | req/s | p50 ms | p99 ms | requests | non-2xx | errors | RSS MB before → peak → after | other processes |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---|---:|');
for (const r of rows) {
  console.log(
    `| ${r.model} | ${r.route} | ${r.rps.toFixed(1)} | ${r.p50} | ${r.p99} | ${r.requests} | ${r.non2xx} | ${r.errors} | ${mb(r.rssBefore)} → ${mb(r.rssPeak)} → ${mb(r.rssAfter)} | ${othersText(r)} |`,
  );
}
console.log(`\n| model | RSS MB after warm-up | during the ${soak} s soak, per tenth | at the end |\n|---|---:|---|---:|`);
for (const m of memory) console.log(`| ${m.model} | ${mb(m.rssWarm)} | ${m.soakRss.map(mb).join(' ')} | ${mb(m.rssEnd)} |`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ machine: machine(), date, connections, duration, image: `${imageWidth}x${imageHeight}`, rows, memory }, null, 2));
if (failures > 0) {
  console.error(`\n${failures} failed requests (non-2xx, errors or timeouts) or unclean exits`);
  process.exitCode = 1;
}
