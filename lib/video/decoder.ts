/**
 * Decoding any source URI with the ffmpeg or gst-launch-1.0 programs, for machines without the
 * in-process capture module: video files, test patterns, V4L2 cameras, RTSP streams and
 * (gst-launch only) Jetson CSI cameras. The program writes packed RGB frames to a pipe (ffmpeg:
 * stdout, gst-launch: fd 3); {@link ProgramSource} reads them.
 * Internal: not part of the public API.
 * @module
 */
import type { Readable } from 'node:stream';

import { DinoError } from '../errors';
import { spawnChild, type Child } from './child';
import { checkFile, probeStream, probeVideo, type VideoInfo } from './probe';
import { findProgram, type VideoTool } from './programs';
import { SOURCE_DEFAULTS, type SourceOptions } from './sources/options';
import { pipelineTokens, rate, size } from './sources/pipeline';
import type { ParsedUri } from './sources/uri';
import type { SourceInfo } from './sources/video-source';

/** Default niceness of decoder and encoder processes: they take the CPU inference leaves idle. */
export const VIDEO_NICE = 10;

/** A running decoder program and what it delivers. */
export interface DecoderProcess {
  readonly decoder: 'ffmpeg' | 'gstreamer';
  readonly child: Child;
  /** The pipe the frames come through. */
  readonly frames: Readable;
  /** Size of the delivered frames, rate and length where known. */
  readonly info: SourceInfo & { width: number; height: number };
  /** Bytes from one row to the next in the pipe (GStreamer pads RGB rows to 4 bytes). */
  readonly stride: number;
}

const GST_CAPS = /GstFdSink:fdsink0\.GstPad:sink: caps = ([^\n]*)/;

function parseGstCaps(caps: string): { width: number; height: number; fps: number | undefined } | undefined {
  const w = /width=\(int\)(\d+)/.exec(caps);
  const h = /height=\(int\)(\d+)/.exec(caps);
  if (!w || !h) return undefined;
  const f = /framerate=\(fraction\)(\d+)\/(\d+)/.exec(caps);
  const fps = f && Number(f[2]) > 0 && Number(f[1]) > 0 ? Number(f[1]) / Number(f[2]) : undefined;
  return { width: Number(w[1]), height: Number(h[1]), fps };
}

/**
 * Starts gst-launch-1.0 on `tokens` (a pipeline ending in `fdsink fd=3`, packed RGB) and reads
 * the negotiated frame size from its verbose output. `label` names the input in messages.
 */
async function startGstreamer(label: string, program: string, tokens: readonly string[], probed: VideoInfo | undefined, nice: number): Promise<DecoderProcess> {
  const child = spawnChild(program, ['-v', ...tokens], ['ignore', 'pipe', 'pipe', 'pipe'], nice);
  const stdout = child.proc.stdout as Readable;
  stdout.setEncoding('utf8');
  let text = '';
  const caps = await new Promise<string | undefined>((resolve) => {
    const onData = (s: string): void => {
      text += s;
      const m = GST_CAPS.exec(text);
      if (m) {
        stdout.off('data', onData);
        stdout.resume();
        resolve(m[1]);
      }
    };
    stdout.on('data', onData);
    void child.exited.then(() => resolve(undefined));
  });
  const parsed = caps === undefined ? undefined : parseGstCaps(caps);
  if (!parsed) {
    child.kill();
    const code = await child.exited;
    throw new DinoError('ERR_DINO_SOURCE', `Cannot read ${label} with GStreamer: ${child.stderr() || text.split('\n').filter((l) => /ERROR|WARNING/.test(l)).join(' ') || 'no video caps'}`, {
      details: { path: label, exitCode: code },
    });
  }
  const { width, height } = parsed;
  const info = { width, height, fps: parsed.fps ?? probed?.fps, frames: probed?.frames };
  return { decoder: 'gstreamer', child, frames: child.proc.stdio[3] as Readable, info, stride: (width * 3 + 3) & ~3 };
}

/** ffmpeg's lavfi source closest to a videotestsrc pattern, at a size and rate. */
function lavfiSource(pattern: string, width: number, height: number, fps: number): string {
  const common = `size=${width}x${height}:rate=${fps}`;
  if (pattern === 'smpte' || pattern === 'smpte75') return `smptebars=${common}`;
  if (pattern === 'smpte100') return `smptehdbars=${common}`;
  if (['black', 'white', 'red', 'green', 'blue'].includes(pattern)) return `color=c=${pattern}:${common}`;
  return `testsrc2=${common}`;
}

/** Which program decodes `protocol`, in order of preference. */
function candidates(protocol: ParsedUri['protocol'], tool: VideoTool): Array<'ffmpeg' | 'gstreamer'> {
  // videotestsrc has the exact test patterns and nvarguscamerasrc is GStreamer's; ffmpeg reads
  // files, cameras and RTSP with less set-up.
  const order: Array<'ffmpeg' | 'gstreamer'> = protocol === 'csi' ? ['gstreamer'] : protocol === 'test' ? ['gstreamer', 'ffmpeg'] : ['ffmpeg', 'gstreamer'];
  return tool === 'auto' ? order : order.filter((t) => t === tool);
}

/** ffmpeg's input arguments and what it will deliver (after scaling), or undefined when it cannot read `src` here. */
async function ffmpegInput(src: ParsedUri, options: SourceOptions): Promise<{ input: string[]; info: DecoderProcess['info'] } | undefined> {
  switch (src.protocol) {
    case 'file': {
      // The frame size comes from ffprobe; without it, gst-launch reads it from its caps.
      if (!findProgram('ffprobe')) return undefined;
      const probed = await probeVideo(src.location);
      const { width, height } = size(options, probed.width, probed.height);
      return { input: ['-threads', '1', '-i', src.location], info: { width, height, fps: probed.fps, frames: options.numBuffers ?? probed.frames } };
    }
    case 'test': {
      const { width, height } = size(options, SOURCE_DEFAULTS.testWidth, SOURCE_DEFAULTS.testHeight);
      const fps = rate(options);
      // -re: a live test pattern comes at its frame rate, like videotestsrc is-live=true.
      return { input: [...(options.live ? ['-re'] : []), '-f', 'lavfi', '-i', lavfiSource(src.location, width, height, fps)], info: { width, height, fps, frames: options.numBuffers } };
    }
    case 'v4l2': {
      const { width, height } = size(options, SOURCE_DEFAULTS.cameraWidth, SOURCE_DEFAULTS.cameraHeight);
      const fps = rate(options);
      return { input: ['-f', 'v4l2', '-framerate', String(fps), '-video_size', `${width}x${height}`, '-i', src.location], info: { width, height, fps, frames: undefined } };
    }
    case 'rtsp': {
      const given = options.width !== undefined && options.height !== undefined;
      const probed = given ? undefined : await probeStream(src.location);
      const { width, height } = size(options, probed?.width ?? 0, probed?.height ?? 0);
      return { input: ['-rtsp_transport', 'tcp', '-i', src.location], info: { width, height, fps: probed?.fps, frames: undefined } };
    }
    default:
      return undefined;
  }
}

/**
 * Starts a program that decodes `src` to packed RGB frames at the options' size (else the
 * source's own). `tool` 'auto' picks per protocol (see candidates()).
 * @throws DinoError ERR_DINO_DECODER_MISSING (no program that can read this source),
 *   ERR_DINO_FILE_NOT_FOUND, ERR_DINO_SOURCE (not a readable video or stream).
 */
export async function startDecoder(src: ParsedUri, options: SourceOptions, tool: VideoTool): Promise<DecoderProcess> {
  if (src.protocol === 'file') await checkFile(src.location, 'Video file');
  // Cameras and streams run at normal priority (they must keep up); files and test patterns yield.
  const nice = src.protocol === 'file' || src.protocol === 'test' ? VIDEO_NICE : 0;
  for (const kind of candidates(src.protocol, tool)) {
    if (kind === 'gstreamer') {
      const gst = findProgram('gst-launch-1.0');
      if (!gst) continue;
      const probed = src.protocol === 'file' && findProgram('ffprobe') ? await probeVideo(src.location).catch(() => undefined) : undefined;
      return startGstreamer(src.uri, gst, pipelineTokens(src, options, false, 'fdsink'), probed, nice);
    }
    const ffmpeg = findProgram('ffmpeg');
    const input = ffmpeg === undefined ? undefined : await ffmpegInput(src, options);
    if (ffmpeg === undefined || input === undefined) continue;
    const { width, height } = input.info;
    const scale = src.protocol === 'file' && options.width === undefined && options.height === undefined ? [] : ['-vf', `scale=${width}:${height}`];
    const frames = options.numBuffers === undefined ? [] : ['-frames:v', String(options.numBuffers)];
    const args = ['-nostdin', '-v', 'error', ...input.input, '-map', '0:v:0', '-vsync', '0', ...scale, ...frames, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
    const child = spawnChild(ffmpeg, args, ['ignore', 'pipe', 'pipe'], nice);
    return { decoder: 'ffmpeg', child, frames: child.proc.stdout as Readable, info: input.info, stride: width * 3 };
  }
  const programs = candidates(src.protocol, tool).map((k) => (k === 'ffmpeg' ? (src.protocol === 'file' ? 'ffmpeg with ffprobe' : 'ffmpeg') : 'gst-launch-1.0'));
  throw new DinoError(
    'ERR_DINO_DECODER_MISSING',
    programs.length === 0
      ? `${src.uri}: the ${tool} program cannot read ${src.protocol}:// sources (csi:// needs GStreamer)`
      : `${src.uri}: no program to read it (${programs.join(' or ')} not on PATH), and the capture module is not built. ` +
          'Install ffmpeg or GStreamer (Debian/Ubuntu: `sudo apt-get install ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-good gstreamer1.0-libav`).',
    { details: { tool, path: process.env.PATH } },
  );
}
