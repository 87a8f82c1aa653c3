/**
 * Decoding video files into raw RGB frames with ffmpeg (or, without it, GStreamer's
 * gst-launch-1.0), started by the library. Frames come through a pipe with back-pressure; the
 * program is killed whenever iteration stops early, fails or is aborted.
 * @module
 */
import type { Readable } from 'node:stream';

import { DinoError } from '../errors';
import { integer, invalid, isObject, oneOf, optional, signalArg, string } from '../validate';
import { spawnChild, type Child } from './child';
import { checkFile, probeVideo, type VideoInfo } from './probe';
import { findProgram, pickTool, type VideoTool } from './programs';
import { readRawFrames } from './frame-reader';

/** One decoded frame: packed RGB, usable directly as an image input of {@link Model.extract}. */
export interface VideoFrame {
  data: Uint8Array;
  width: number;
  height: number;
  format: 'rgb';
  /** 0-based position in the video. */
  index: number;
}

/** Options of `openVideo`, the video-file decoder. */
export interface OpenVideoOptions {
  /** 'auto' (default): ffmpeg, else GStreamer; or force one. */
  tool?: VideoTool;
  /** Stop after this many frames. */
  maxFrames?: number;
  /** Stops decoding (the iterator throws ERR_DINO_ABORTED). */
  signal?: AbortSignal;
  /**
   * Niceness of the decoder process (0..19). Default 10: it takes the CPU that inference leaves
   * idle instead of slowing inference down; 0 runs it at normal priority.
   */
  nice?: number;
}

/** Default niceness of decoder and encoder processes. */
export const VIDEO_NICE = 10;

/** Size, rate and length of an opened video, and which program decodes it. */
export interface OpenedVideoInfo extends Omit<VideoInfo, 'codec'> {
  codec: string | undefined;
  decoder: 'ffmpeg' | 'gstreamer';
}

/** An opened video file: its {@link OpenedVideoInfo} and its frames as an async iterable. */
export interface VideoReader extends AsyncIterable<VideoFrame> {
  readonly info: OpenedVideoInfo;
  /** Stops the decoder if it still runs. Iterating to the end or breaking out also does. */
  close(): Promise<void>;
}

const GST_CAPS = /GstFdSink:fdsink0\.GstPad:sink: caps = ([^\n]*)/;

function fail(path: string, child: Child, code: number): DinoError {
  return new DinoError('ERR_DINO_SOURCE', `Decoding ${path} failed (exit code ${code}): ${child.stderr() || 'no message'}`, { details: { path, exitCode: code } });
}

async function* iterate(
  path: string,
  child: Child,
  stream: Readable,
  info: OpenedVideoInfo,
  stride: number,
  maxFrames: number | undefined,
  signal: AbortSignal | undefined,
): AsyncGenerator<VideoFrame> {
  const onAbort = (): void => child.kill();
  signal?.addEventListener('abort', onAbort, { once: true });
  let index = 0;
  try {
    if (maxFrames === 0) return;
    for await (const data of readRawFrames(stream, info.width, info.height, stride)) {
      if (signal?.aborted) break;
      yield { data, width: info.width, height: info.height, format: 'rgb', index };
      index++;
      if (maxFrames !== undefined && index >= maxFrames) return;
    }
    if (signal?.aborted) throw new DinoError('ERR_DINO_ABORTED', `Decoding ${path} was aborted`, { cause: signal.reason });
    const code = await child.exited;
    if (code !== 0) throw fail(path, child, code);
  } catch (err) {
    if (signal?.aborted) throw new DinoError('ERR_DINO_ABORTED', `Decoding ${path} was aborted`, { cause: signal.reason });
    if (err instanceof DinoError) throw err;
    child.kill();
    const code = await child.exited;
    throw new DinoError('ERR_DINO_SOURCE', `Decoding ${path} failed: ${child.stderr() || (err instanceof Error ? err.message : String(err))}`, {
      cause: err,
      details: { path, exitCode: code },
    });
  } finally {
    signal?.removeEventListener('abort', onAbort);
    child.kill();
    await child.exited;
  }
}

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
 * the negotiated frame size from its verbose output. `path` names the input in messages.
 */
export async function openGstreamer(path: string, program: string, tokens: readonly string[], probed: VideoInfo | undefined, nice: number): Promise<{ child: Child; info: OpenedVideoInfo; stride: number }> {
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
    throw new DinoError('ERR_DINO_SOURCE', `Cannot read ${path} as a video with GStreamer: ${child.stderr() || text.split('\n').filter((l) => /ERROR|WARNING/.test(l)).join(' ') || 'no video caps'}`, {
      details: { path, exitCode: code },
    });
  }
  const info: OpenedVideoInfo = {
    path,
    width: parsed.width,
    height: parsed.height,
    fps: parsed.fps ?? probed?.fps,
    frames: probed?.frames,
    framesExact: probed?.framesExact ?? false,
    duration: probed?.duration,
    codec: probed?.codec,
    decoder: 'gstreamer',
  };
  return { child, info, stride: (parsed.width * 3 + 3) & ~3 };
}

/** gst-launch-1.0 arguments that decode a file to packed RGB on fd 3. */
const fileTokens = (path: string): string[] => ['filesrc', `location=${path}`, '!', 'decodebin', '!', 'videoconvert', '!', 'video/x-raw,format=RGB', '!', 'fdsink', 'fd=3', 'sync=false'];

/**
 * Opens a video file for decoding into RGB frames. With ffmpeg, size, rate and frame count come
 * from ffprobe; with GStreamer (used when ffmpeg is missing), from the negotiated caps.
 *
 * @example
 * ```ts
 * const video = await openVideo('clip.mp4');
 * console.log(video.info.width, video.info.height, video.info.frames);
 * for await (const frame of video) {
 *   // frame.data: width * height * 3 bytes of RGB
 *   if (frame.index === 9) break; // stops the decoder
 * }
 * ```
 * @throws DinoError ERR_DINO_FILE_NOT_FOUND, ERR_DINO_DECODER_MISSING (neither ffmpeg nor
 *   gst-launch-1.0 on PATH), ERR_DINO_SOURCE (not a readable video); while iterating
 *   ERR_DINO_SOURCE (decoder failed) and ERR_DINO_ABORTED.
 */
export async function openVideo(path: string, options: OpenVideoOptions = {}): Promise<VideoReader> {
  string(path, 'path');
  if (!isObject(options)) invalid('options', 'an options object', options);
  const tool = oneOf(options.tool ?? 'auto', 'tool', ['auto', 'ffmpeg', 'gstreamer'] as const);
  const maxFrames = optional(options.maxFrames, (v) => integer(v, 'maxFrames', 0));
  const signal = signalArg(options.signal, 'signal');
  const nice = integer(options.nice ?? VIDEO_NICE, 'nice', 0, 19);
  await checkFile(path, 'Video file');
  const picked = pickTool(tool, 'decode');
  const haveProbe = findProgram('ffprobe') !== undefined;
  let reader: { child: Child | undefined; info: OpenedVideoInfo; stride: number };
  if (picked.kind === 'ffmpeg' && haveProbe) {
    const probed = await probeVideo(path);
    reader = { child: undefined, info: { ...probed, decoder: 'ffmpeg' }, stride: probed.width * 3 };
  } else if (picked.kind === 'ffmpeg') {
    const gst = tool === 'auto' ? findProgram('gst-launch-1.0') : undefined;
    if (!gst) throw new DinoError('ERR_DINO_DECODER_MISSING', 'ffprobe is not on PATH (it comes with ffmpeg); it is needed to read the frame size');
    reader = await openGstreamer(path, gst, fileTokens(path), undefined, nice);
  } else {
    reader = await openGstreamer(path, picked.program, fileTokens(path), haveProbe ? await probeVideo(path).catch(() => undefined) : undefined, nice);
  }
  const ffmpegArgs = ['-nostdin', '-v', 'error', '-threads', '1', '-i', path, '-map', '0:v:0', '-vsync', '0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
  return decoderReader(path, reader.info, reader.stride, reader.child ?? (() => spawnChild(picked.program, ffmpegArgs, ['ignore', 'pipe', 'pipe'], nice)), maxFrames, signal);
}

/**
 * A {@link VideoReader} over a decoder process: `child` runs already (gst-launch, started to read
 * its caps) or is started by the first iteration (ffmpeg). gst-launch writes frames to fd 3,
 * ffmpeg to stdout.
 */
export function decoderReader(
  label: string,
  info: OpenedVideoInfo,
  stride: number,
  child: Child | (() => Child),
  maxFrames: number | undefined,
  signal: AbortSignal | undefined,
): VideoReader {
  let started = false;
  let running = typeof child === 'function' ? undefined : child;
  return {
    info,
    async close(): Promise<void> {
      if (running) {
        running.kill();
        await running.exited;
      }
    },
    [Symbol.asyncIterator](): AsyncGenerator<VideoFrame> {
      if (started) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', 'A VideoReader can be iterated only once; open the video again');
      started = true;
      running ??= (child as () => Child)();
      const stream = (info.decoder === 'gstreamer' ? running.proc.stdio[3] : running.proc.stdout) as Readable;
      return iterate(label, running, stream, info, stride, maxFrames, signal);
    },
  };
}
