/**
 * Benchmark (issue 4): frames per second of `dinov3 segment` on a 640x480 video with ViT-S/16 at
 * 224 on the CPU, against the bare inference rate (Model.extract on the same decoded frames, with
 * one call more in flight than the model runs at once, so the backend never waits) measured in the
 * same run. Goal: segment >= 90 % of bare.
 *
 *   node bench/run-ts.cjs bench/segment-video.ts [--frames 30] [--rounds 8] [--k 5] [--size 224]
 *                                                [--sessions 1] [--threads N]
 *                                                [--model .cache/models/vits16/vits16.onnx]
 *                                                [--without encode|render,encode]
 *
 * The model defaults to ViT-S/16 from bench/models with seeded weights, copied into
 * .cache/models/vits16 (see bench/models/README.md). One loaded model serves both
 * measurements; the segment phase makes the same calls as the CLI command (segmentVideo,
 * openVideoWriter, PipelineStats). Short rounds alternate bare / segment so machine drift hits
 * both alike; each phase reports how much of the machine other processes used meanwhile (rounds
 * where that is >= 5 % are not comparable), and the CPU time per frame (this process and its
 * ffmpeg children) is reported next to the wall-clock rates.
 *
 * `--without encode` drops the H.264 writer, `--without render,encode` also the picture: the
 * stage costs by ablation (what the ratio gains when a stage is not run).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { loadModel, type Model } from '../lib/model/model';
import { segmentVideo } from '../lib/pipeline/segment-video';
import { PipelineStats } from '../lib/pipeline/stats';
import type { RawImage } from '../lib/image/input';
import { openSource } from '../lib/video/sources/source';
import { openVideoWriter } from '../lib/video/encoder';
import type { FrameSink } from '../lib/video/sink';

/** Model data shared by the benchmarks. */
const { realSizeModel } = require('./data.cjs') as { realSizeModel: (name: string, options?: { quiet?: boolean }) => string };
/** CPU accounting shared with bench/live-pipeline.mjs. */
const { cpuMs, measured } = require('./cpu-load.cjs') as {
  cpuMs: () => number;
  measured: <T>(fn: () => Promise<T>) => Promise<T & { others: number }>;
};

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};

function vits16(): string {
  return realSizeModel('vits16', { quiet: true });
}

function cpuName(): string {
  return /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
}

interface Phase {
  fps: number;
  cpuPerFrame: number;
  detail: string;
}

/** Model.extract alone on the decoded frames, one call more in flight than the model runs at once. */
async function bare(model: Model, frames: readonly RawImage[], size: number): Promise<Phase> {
  let inference = 0;
  const cpu0 = cpuMs();
  const start = performance.now();
  const inFlight: Array<Promise<void>> = [];
  for (const frame of frames) {
    inFlight.push(
      model.extract(frame, { size }).then((f) => {
        inference += f.timings.inferenceMs;
        f.dispose();
      }),
    );
    if (inFlight.length >= model.concurrency + 1) await inFlight.shift();
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - start) / 1000;
  return { fps: frames.length / seconds, cpuPerFrame: (cpuMs() - cpu0) / frames.length, detail: `inference ${(inference / frames.length).toFixed(1)} ms/frame` };
}

/** What `dinov3 segment --input VIDEO --clusters K --output OUT.mp4` does, on the same loaded model. */
async function segment(model: Model, video: string, output: string, k: number, size: number, without: readonly string[]): Promise<Phase> {
  const cpu0 = cpuMs();
  const stats = new PipelineStats();
  let sink: FrameSink | undefined;
  for await (const r of segmentVideo(model, video, { k, size, ...(without.includes('render') ? { render: false } : {}) })) {
    if (without.includes('encode')) {
      stats.add(r.timings);
      continue;
    }
    const picture = r.rendered as NonNullable<typeof r.rendered>;
    sink ??= await openVideoWriter(output, { width: picture.width, height: picture.height, fps: 25 });
    const t0 = performance.now();
    await sink.write(picture);
    stats.add({ ...r.timings, encode: performance.now() - t0 });
  }
  await sink?.close();
  stats.finish();
  return { fps: stats.fps, cpuPerFrame: (cpuMs() - cpu0) / stats.frames, detail: stats.summary().split('\n')[1] ?? '' };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

async function main(): Promise<void> {
  const count = Number(arg('frames', '30'));
  const rounds = Number(arg('rounds', '8'));
  const k = Number(arg('k', '5'));
  const size = Number(arg('size', '224'));
  const modelPath = resolve(arg('model', '') || vits16());
  const dir = mkdtempSync(join(tmpdir(), 'dinov3-bench-'));
  const sessions = Number(arg('sessions', '1'));
  const threads = arg('threads', '');
  const without = arg('without', '').split(',').filter(Boolean);
  if (without.includes('render') && !without.includes('encode')) throw new Error('--without render needs encode too (nothing to encode)');
  const model = await loadModel(modelPath, { sessions, ...(threads ? { threads: Number(threads) } : {}) });
  try {
    const video = join(dir, 'input-640x480.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=25', '-frames:v', String(count), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', video]);
    const frames: RawImage[] = [];
    for await (const f of await openSource(video, { decoder: 'ffmpeg' })) frames.push(f.toRawImage());
    await model.extract(frames[0] as RawImage, { size }); // warm-up
    console.log(`machine: ${cpuName()}, ${availableParallelism()} CPUs, Node ${process.version}, backend ${model.backend}`);
    console.log(`model: ${modelPath}, input ${size}x${size}, k = ${k}, ONNX Runtime sessions ${sessions} (threads each: ${threads || 'default'}), video 640x480 H.264, ${frames.length} frames per round${without.length ? `, without ${without.join(' and ')}` : ''}\n`);
    const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
    const wall: number[] = [];
    const cpu: number[] = [];
    const quiet: number[] = [];
    for (let r = 1; r <= rounds; r++) {
      const b = await measured(() => bare(model, frames, size));
      const s = await measured(() => segment(model, video, join(dir, `out-${r}.mp4`), k, size, without));
      const ratio = s.fps / b.fps;
      wall.push(ratio);
      cpu.push(b.cpuPerFrame / s.cpuPerFrame);
      if (b.others < 0.05 && s.others < 0.05) quiet.push(ratio);
      console.log(
        `round ${r}: bare ${b.fps.toFixed(2)} fps (${b.detail}, CPU ${b.cpuPerFrame.toFixed(0)} ms/frame, others ${pct(b.others)}); ` +
          `segment ${s.fps.toFixed(2)} fps (CPU ${s.cpuPerFrame.toFixed(0)} ms/frame, others ${pct(s.others)}) = ${pct(ratio)} of bare`,
      );
      console.log(`    segment ${s.detail}`);
    }
    console.log(`\nsegment FPS / bare FPS per round: ${wall.map(pct).join(', ')}; median ${pct(median(wall))} (goal >= 90 %)`);
    console.log(
      quiet.length > 0
        ? `rounds where other processes used < 5 % of the machine in both phases: ${quiet.length}; median ${pct(median(quiet))}`
        : 'no round ran without other processes using >= 5 % of the machine: the FPS ratios above are not reliable',
    );
    console.log(`bare CPU per frame / segment CPU per frame: ${cpu.map(pct).join(', ')}; median ${pct(median(cpu))}`);
  } finally {
    await model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
