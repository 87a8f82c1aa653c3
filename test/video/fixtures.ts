/**
 * Test media made by the tests themselves: a seeded tiny DINOv3-shaped model, small videos from
 * ffmpeg's test sources, still images; plus process checks for decoder clean-up.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import sharp from 'sharp';

import { openSource, type RgbImage, type SourceOptions } from '../../lib';
import { writeTinyDinov3 } from '../../lib/onnx/tiny-dinov3';
import { findProgram } from '../../lib/video/programs';
import { gradientPng } from '../helpers/images';

const run = promisify(execFile);

export const hasFfmpeg = findProgram('ffmpeg') !== undefined && findProgram('ffprobe') !== undefined;
export const hasGstreamer = findProgram('gst-launch-1.0') !== undefined;

/** Prints once why a suite is skipped. */
export function noteNoFfmpeg(what: string): void {
  if (!hasFfmpeg) console.warn(`SKIPPED ${what}: ffmpeg/ffprobe not on PATH`);
}

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `dinov3-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes the seeded tiny model (patch 16, dim 64, 4 registers, dynamic size) into `dir`. */
export async function tinyModel(dir: string, seed = 7): Promise<string> {
  const path = join(dir, 'tiny.onnx');
  await writeTinyDinov3(path, { seed });
  return path;
}

export async function ffmpeg(args: readonly string[]): Promise<void> {
  await run('ffmpeg', ['-v', 'error', '-y', ...args]);
}

/** A moving test pattern (ffmpeg testsrc): `frames` frames at 25 fps. */
export async function testVideo(path: string, frames = 40, width = 160, height = 120): Promise<string> {
  await ffmpeg(['-f', 'lavfi', '-i', `testsrc=size=${width}x${height}:rate=25`, '-frames:v', String(frames), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', path]);
  return path;
}

/**
 * A static scene: one still of a photo-like test pattern, repeated with fresh per-frame noise
 * (so every frame decodes slightly differently, as a camera on a tripod would give).
 */
export async function staticVideo(path: string, frames = 40, width = 160, height = 120): Promise<string> {
  await ffmpeg([
    '-f', 'lavfi', '-i', `smptehdbars=size=${width}x${height}:rate=25`,
    '-vf', 'noise=alls=6:allf=t', '-frames:v', String(frames), '-c:v', 'libx264', '-crf', '18', '-pix_fmt', 'yuv420p', path,
  ]);
  return path;
}

/** Two scenes back to back: `first` frames of testsrc, then `second` frames of a different pattern. */
export async function cutVideo(path: string, first = 10, second = 10, width = 160, height = 120): Promise<string> {
  await ffmpeg([
    '-f', 'lavfi', '-i', `testsrc=size=${width}x${height}:rate=25:duration=${first / 25}`,
    '-f', 'lavfi', '-i', `mandelbrot=size=${width}x${height}:rate=25`,
    '-filter_complex', `[1:v]trim=end_frame=${second},setpts=PTS-STARTPTS[b];[0:v][b]concat=n=2:v=1[v]`,
    '-map', '[v]', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', path,
  ]);
  return path;
}

/** A smooth colourful still image (PNG) of the given size. */
export async function testImage(path: string, width = 160, height = 128): Promise<string> {
  await writeFile(path, await gradientPng(width, height));
  return path;
}

/** Decodes a PNG into packed RGB. */
export async function readPng(path: string | Buffer): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/** Pixel (x, y) of packed RGB. */
export function pixel(img: { data: Uint8Array; width: number }, x: number, y: number): [number, number, number] {
  const i = (y * img.width + x) * 3;
  return [img.data[i] as number, img.data[i + 1] as number, img.data[i + 2] as number];
}

/**
 * Number of running processes (other than this one) whose command line contains `text`, read
 * from /proc so that no external tool can be missing and make the count a silent 0.
 */
export async function processesWith(text: string): Promise<number> {
  let n = 0;
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = (await readFile(`/proc/${name}/cmdline`, 'utf8')).split('\0').join(' ');
    } catch {
      continue; // the process ended while we looked
    }
    if (cmdline.includes(text)) n++;
  }
  return n;
}

/** Frame count of a video file, counted by decoding (ffprobe -count_frames). */
export async function countFrames(path: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', path]);
  return Number(stdout.trim());
}

/** Every frame of a video as packed RGB, decoded by a program (`decoder`) through openSource. */
export async function decodeFrames(path: string, decoder: 'ffmpeg' | 'gstreamer' = 'ffmpeg', options: SourceOptions = {}): Promise<RgbImage[]> {
  const frames: RgbImage[] = [];
  for await (const f of await openSource(path, { ...options, decoder })) {
    frames.push({ data: f.data as Uint8Array, width: f.width, height: f.height });
    f.release();
  }
  return frames;
}
