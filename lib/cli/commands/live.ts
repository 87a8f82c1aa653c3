/** `dinov3 live`: live segmentation / heatmaps of a camera or stream, viewed in a browser. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DinoError } from '../../errors';
import { serveLive } from '../../live/server';
import { loadModel } from '../../model/model';
import { writeTinyDinov3 } from '../../onnx/tiny-dinov3';
import { parseSize } from '../../util/size';
import { openVideoWriter } from '../../video/encoder';
import { openFrameWriter } from '../../video/frame-writer';
import type { FrameSink } from '../../video/sink';
import { openSource, type VideoSource } from '../../video/sources/source';
import { oneOf } from '../../validate';
import { flag, int, list, parse, str, type Options } from '../args';
import { loadOptions, MODEL_FLAGS, MODEL_OPTIONS_HELP } from '../model-options';

export const usage = `Usage: dinov3 live --source URI [--source URI ...] [--model MODEL.onnx] [--clusters 3] [--mode segment|heatmap|pca]
                   [--alpha 0.4] [--size HxW] [--width W --height H --fps N] [--port 8080] [--host 127.0.0.1]
                   [--frames N] [--record out.mp4 | --record frames/] [--decoder auto|capture|ffmpeg|gstreamer]
                   [model options]

Serves a live page (MJPEG view, FPS and stage timings, k/alpha controls, click a point for its
similarity heatmap) on http://127.0.0.1:PORT/. Several --source: their frames are batched into
one inference per round and the page shows a grid, one view (controls, FPS, timings) per source;
a source that stalls does not stall the others, one that ends or fails is reported. Sources: csi://0, v4l2:///dev/video0, rtsp://...,
file://video.mp4, a folder of images, test://ball. Frames come from the in-process capture module
when it is built, else from ffmpeg or gst-launch-1.0 (--decoder forces one). Without --model a small test model with
seeded weights is generated (for trying the pipeline). Bound to localhost unless --host says otherwise.
--record also writes the rendered frames to a video file (ffmpeg/GStreamer encoder) or, for a
path ending in /, numbered PNGs.

${MODEL_OPTIONS_HELP}`;

const options: Options = {
  source: { type: 'string', multiple: true },
  model: { type: 'string' },
  clusters: { type: 'string' },
  mode: { type: 'string' },
  alpha: { type: 'string' },
  size: { type: 'string' },
  width: { type: 'string' },
  height: { type: 'string' },
  fps: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  frames: { type: 'string' },
  ...MODEL_FLAGS,
  quiet: { type: 'boolean' },
  record: { type: 'string' },
  decoder: { type: 'string' },
};

export async function run(argv: readonly string[], out: (s: string) => void): Promise<void> {
  const p = parse(argv, options);
  const uris = list(p, 'source');
  if (uris.length === 0) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `--source is required\n\n${usage}`);
  const record = str(p, 'record');
  if (record !== undefined && uris.length > 1) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', '--record takes one --source');
  let modelPath = str(p, 'model');
  if (modelPath === undefined) {
    modelPath = join(mkdtempSync(join(tmpdir(), 'dinov3-live-')), 'test-model.onnx');
    await writeTinyDinov3(modelPath);
    out(`no --model given: using a generated test model with seeded weights (${modelPath})`);
  }
  const width = int(p, 'width');
  const height = int(p, 'height');
  const fps = str(p, 'fps');
  const decoder = str(p, 'decoder');
  const sourceOptions = {
    ...(decoder === undefined ? {} : { decoder: oneOf(decoder, '--decoder', ['auto', 'capture', 'ffmpeg', 'gstreamer'] as const) }),
    ...(width === undefined ? {} : { width }),
    ...(height === undefined ? {} : { height }),
    ...(fps === undefined ? {} : { frameRate: Number(fps) }),
  };
  const model = await loadModel(modelPath, loadOptions(p, uris.length));
  const sources: VideoSource[] = [];
  try {
    for (const uri of uris) sources.push(await openSource(uri, { ...sourceOptions, ...(uri.startsWith('test://') ? { live: true } : {}) }));
  } catch (err) {
    await Promise.all(sources.map((s) => s.dispose()));
    await model.dispose();
    throw err;
  }
  const mode = str(p, 'mode');
  const alpha = str(p, 'alpha');
  const size = str(p, 'size');
  const frames = int(p, 'frames');
  const last = sources.map(() => 0);
  let sink: FrameSink | undefined;
  const live = await serveLive(model, sources, {
    port: int(p, 'port', 8080) as number,
    host: str(p, 'host') ?? '127.0.0.1',
    k: int(p, 'clusters', 3) as number,
    ...(mode === undefined ? {} : { mode: oneOf(mode, '--mode', ['segment', 'heatmap', 'pca'] as const) }),
    ...(alpha === undefined ? {} : { alpha: Number(alpha) }),
    ...(size === undefined ? {} : { size: parseSize(size, '--size') }),
    ...(frames === undefined ? {} : { maxFrames: frames }),
    title: `dinov3 live — ${sources.map((s) => s.uri).join(', ')}`,
    onStreamEnd: (i, error) => out(`${(sources[i] as VideoSource).uri}: ${error ? `failed: ${error.code}: ${error.message}` : 'ended'}`),
    onFrame: async (f, i) => {
      if (record !== undefined) {
        sink ??= record.endsWith('/')
          ? await openFrameWriter(record)
          : await openVideoWriter(record, { width: f.rendered.width, height: f.rendered.height, fps: fps === undefined ? 25 : Number(fps) });
        await sink.write(f.rendered);
      }
      const t = performance.now();
      if (flag(p, 'quiet') || t - (last[i] as number) < 2000) return;
      last[i] = t;
      const s = f.timings;
      process.stderr.write(
        `${sources.length > 1 ? `[${i}] ` : ''}frame ${f.index}  ${f.fps.toFixed(1)} fps  capture ${s.capture.toFixed(1)}  preprocess ${s.preprocess.toFixed(1)}  inference ${s.inference.toFixed(1)}  analysis ${s.analysis.toFixed(1)}  render ${s.render.toFixed(1)}  encode ${(s.encode ?? 0).toFixed(1)}  latency ${s.latency.toFixed(1)} ms\n`,
      );
    },
  });
  const from = sources.map((s) => `${s.uri} (frames from ${s.decoder})`).join(', ');
  out(`live view of ${from} on ${model.info.backend}${sources.length > 1 ? `, ${sources.length} sources batched` : ''} at ${live.url}  — Ctrl-C to stop`);
  const stop = (): void => void live.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await live.done;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await live.stop();
    if (sink) {
      await sink.close();
      out(`recorded ${sink.written} frames to ${sink.target} (${sink.encoder})`);
    }
    await model.dispose();
  }
}
