#!/usr/bin/env node
// NATS JetStream worker benchmark (issue 15): images per second of a folder extracted
//   plain b1    model.extract(path) one image at a time, in this process (no queue)
//   plain b16   model.extract(paths) sixteen images per call, in this process
//   worker bN   `dinov3 submit` path (submitFolder, this process) through ONE `dinov3 worker
//               --batch N` process and a loopback `nats-server -js`: upload, queue, decode,
//               inference, result + .npy through the object store, files written
// Each phase runs on the same images (640x480 PNGs, distinct); phases alternate over --rounds,
// medians reported with the CPU time per image of each process (here = this process: the plain
// extract, or the submit client; worker; server) and the share of the machine other processes
// used (bench/cpu-load.cjs; the worker and nats-server count as ours).
// Usage: npm run build && node bench/worker.mjs [--model tiny|vits16] [--images 64] [--rounds 3]
//                                               [--size 224] [--batches 1,16]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { cliArg, machine, median, realSizeModel, root } from './models.mjs';

const require = createRequire(import.meta.url);
const { loadModel } = require(join(root, 'dist', 'index.js'));
const { writeTinyDinov3 } = require(join(root, 'dist', 'testing.js'));
const { submitFolder } = require(join(root, 'dist', 'worker', 'index.js'));
const { cpuMs, measured, othersText } = require('./cpu-load.cjs');
const sharp = require('sharp');

const modelName = cliArg('model', 'tiny');
const count = Number(cliArg('images', 64));
const rounds = Number(cliArg('rounds', 3));
const size = Number(cliArg('size', 224));
const batches = String(cliArg('batches', '1,16')).split(',').map(Number);
const cli = join(root, 'dist', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'dinov3-bench-worker-'));

const modelPath = modelName === 'tiny' ? join(work, 'tiny.onnx') : realSizeModel(modelName, { quiet: true });
if (modelName === 'tiny') await writeTinyDinov3(modelPath);

// 640x480 pictures, distinct per index.
const input = join(work, 'images');
mkdirSync(input);
const paths = [];
for (let i = 0; i < count; i++) {
  const w = 640;
  const h = 480;
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const o = (y * w + x) * 3;
    data[o] = (x + i * 13) & 255;
    data[o + 1] = (y * 2 + i * 7) & 255;
    data[o + 2] = ((x ^ y) + i * 29) & 255;
  }
  const path = join(input, `img${String(i).padStart(4, '0')}.png`);
  writeFileSync(path, await sharp(data, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer());
  paths.push(path);
}

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const nats = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', join(work, 'store')], { stdio: ['ignore', 'ignore', 'pipe'] });
await new Promise((resolve, reject) => {
  let log = '';
  nats.stderr.on('data', (c) => {
    log += c;
    if (log.includes('Server is ready')) resolve();
  });
  nats.once('exit', (code) => reject(new Error(`nats-server exited ${code}: ${log}`)));
});
const url = `nats://127.0.0.1:${port}`;

function startWorker(batch, stream) {
  const child = spawn(process.execPath, [cli, 'worker', '--nats', url, '--model', modelPath, '--stream', stream, '--batch', String(batch), '--size', String(size), '--stats-s', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const ready = new Promise((resolve, reject) => {
    const on = (c) => {
      out += c;
      if (/^worker .*pool/m.test(out)) resolve();
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.once('exit', (code) => reject(new Error(`worker exited ${code}: ${out}`)));
  });
  const stop = async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    return /stopped: (.*)/.exec(out)?.[1] ?? out;
  };
  return { child, ready, stop };
}

/** CPU time of another process so far, ms (utime + stime from /proc/<pid>/stat). */
function pidCpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Runs fn under `measured` and adds CPU ms per image of this process, and of each pid given by name. */
async function timed(fn, pids = {}) {
  const own0 = cpuMs();
  const p0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pidCpuMs(pid)]));
  const m = await measured(fn, { pids: Object.values(pids) });
  const cpu = { here: (cpuMs() - own0) / count };
  for (const [k, pid] of Object.entries(pids)) cpu[k] = (pidCpuMs(pid) - p0[k]) / count;
  return { ...m, cpu };
}

const model = await loadModel(modelPath, { size });
await model.extract(paths.slice(0, 2)); // warm-up
const results = {};
const record = (name, m, extra = '') => {
  (results[name] ??= []).push({ rate: count / m.seconds, others: m.others, seconds: m.seconds, cpu: m.cpu, extra });
};
let streamNo = 0;
for (let r = 0; r < rounds; r++) {
  record('plain b1', await timed(async () => {
    for (const p of paths) await model.extract(p);
    return {};
  }));
  record('plain b16', await timed(async () => {
    for (let i = 0; i < paths.length; i += 16) await model.extract(paths.slice(i, i + 16));
    return {};
  }));
  for (const batch of batches) {
    const stream = `BENCH${streamNo++}`;
    const w = startWorker(batch, stream);
    await w.ready;
    const m = await timed(async () => ({ summary: await submitFolder({ nats: url, input, out: join(work, `out-${stream}`), stream, idleTimeoutMs: 600_000 }) }), { worker: w.child.pid, server: nats.pid });
    if (m.summary.ok !== count) throw new Error(`worker b${batch}: ${m.summary.ok} of ${count} ok`);
    const counters = await w.stop();
    record(`worker b${batch}`, m, counters);
  }
}
await model.dispose();
nats.kill('SIGTERM');

console.log(`Machine: ${machine()}; model ${modelName}, input ${size}x${size}, ${count} images of 640x480 per phase, ${rounds} rounds; ${new Date().toISOString()}`);
// CPU ms per image (medians over rounds): 'here' is this process (the plain extract, or the submit client).
const cpuText = (rs) => Object.keys(rs[0].cpu).map((k) => `${k} ${median(rs.map((x) => x.cpu[k])).toFixed(1)}`).join(', ');
console.log('| phase | images/s (median) | each round | CPU ms per image (median) | other processes (each round) | worker counters (last round) |');
console.log('|---|---:|---|---|---|---|');
for (const [name, rs] of Object.entries(results)) {
  console.log(`| ${name} | ${median(rs.map((x) => x.rate)).toFixed(1)} | ${rs.map((x) => x.rate.toFixed(1)).join(' ')} | ${cpuText(rs)} | ${rs.map((x) => othersText(x)).join(' ')} | ${rs.at(-1).extra} |`);
}
rmSync(work, { recursive: true, force: true });
