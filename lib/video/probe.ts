/**
 * Probing a video file with ffprobe: size, frame rate, frame count, duration, codec.
 * @module
 */
import { stat } from 'node:fs/promises';

import { DinoError } from '../errors';
import { string } from '../validate';
import { spawnChild } from './child';
import { findProgram } from './programs';

/** What {@link probeVideo} found out about a video file. */
export interface VideoInfo {
  path: string;
  width: number;
  height: number;
  /** Frames per second (average), when known. */
  fps: number | undefined;
  /** Number of frames: from the container, else estimated from duration * fps; undefined when unknown. */
  frames: number | undefined;
  /** True when `frames` comes from the container rather than an estimate. */
  framesExact: boolean;
  /** Duration in seconds, when known. */
  duration: number | undefined;
  codec: string | undefined;
}

function rate(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const [n, d] = text.split('/').map(Number);
  if (n === undefined || !Number.isFinite(n) || n <= 0) return undefined;
  const v = d === undefined ? n : d > 0 ? n / d : NaN;
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

function positive(text: unknown): number | undefined {
  const v = typeof text === 'string' || typeof text === 'number' ? Number(text) : NaN;
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

/** @internal Throws ERR_DINO_FILE_NOT_FOUND unless `path` is a readable file. */
export async function checkFile(path: string, what: string): Promise<void> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error('not a regular file');
  } catch (err) {
    throw new DinoError('ERR_DINO_FILE_NOT_FOUND', `${what} not found or not readable: ${path}`, { cause: err });
  }
}

/**
 * Reads size, frame rate and frame count of a video file with ffprobe.
 * @example
 * ```ts
 * const info = await probeVideo('clip.mp4');
 * console.log(`${info.width}x${info.height} at ${info.fps} fps, ${info.frames} frames`);
 * ```
 * @throws DinoError ERR_DINO_FILE_NOT_FOUND for a missing file, ERR_DINO_DECODER_MISSING
 *   without ffprobe, ERR_DINO_SOURCE for a file that is not a readable video.
 */
export async function probeVideo(path: string): Promise<VideoInfo> {
  string(path, 'path');
  await checkFile(path, 'Video file');
  return ffprobe(path, [], 'a video');
}

/**
 * Reads size, frame rate and codec of a network stream (RTSP over TCP) with ffprobe, giving up
 * after `timeoutMs`.
 * @throws DinoError ERR_DINO_DECODER_MISSING without ffprobe, ERR_DINO_SOURCE for a stream that
 *   does not answer or has no video.
 * @internal
 */
export function probeStream(url: string, timeoutMs = 15_000): Promise<VideoInfo> {
  return ffprobe(url, ['-rtsp_transport', 'tcp'], 'a video stream', timeoutMs);
}

/** Runs ffprobe on a file or URL (`extra`: input options) and reads the first video stream. */
async function ffprobe(target: string, extra: readonly string[], what: string, timeoutMs?: number): Promise<VideoInfo> {
  const program = findProgram('ffprobe');
  if (!program) {
    throw new DinoError('ERR_DINO_DECODER_MISSING', 'ffprobe is not on PATH (it comes with ffmpeg: `sudo apt-get install ffmpeg`)');
  }
  const child = spawnChild(
    program,
    ['-v', 'error', ...extra, '-select_streams', 'v:0', '-show_entries', 'stream=width,height,avg_frame_rate,r_frame_rate,nb_frames,codec_name,duration:format=duration', '-of', 'json', target],
    ['ignore', 'pipe', 'pipe'],
  );
  let out = '';
  child.proc.stdout?.setEncoding('utf8');
  child.proc.stdout?.on('data', (s: string) => {
    out += s;
  });
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => child.kill(), timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  let parsed: { streams?: Array<Record<string, unknown>>; format?: Record<string, unknown> } = {};
  try {
    parsed = JSON.parse(out || '{}') as typeof parsed;
  } catch {
    // reported below
  }
  const s = parsed.streams?.[0];
  const width = Number(s?.width);
  const height = Number(s?.height);
  if (code !== 0 || !s || !(width > 0) || !(height > 0)) {
    const why = child.stderr() || (s ? 'no frame size' : 'no video stream');
    throw new DinoError('ERR_DINO_SOURCE', `Cannot read ${target} as ${what}: ${why}`, { details: { path: target, exitCode: code } });
  }
  const fps = rate(s.avg_frame_rate) ?? rate(s.r_frame_rate);
  const duration = positive(s.duration) ?? positive(parsed.format?.duration);
  const counted = positive(s.nb_frames);
  const frames = counted ?? (fps && duration ? Math.round(fps * duration) : undefined);
  return {
    path: target,
    width,
    height,
    fps,
    frames,
    framesExact: counted !== undefined,
    duration,
    codec: typeof s.codec_name === 'string' ? s.codec_name : undefined,
  };
}
