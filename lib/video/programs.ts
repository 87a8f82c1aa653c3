/**
 * Finding the external video programs (ffmpeg, ffprobe, gst-launch-1.0) on PATH.
 * Internal: not part of the public API.
 * @module
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

import { DinoError } from '../errors';

/** The programs the video layer can use. */
export type VideoProgram = 'ffmpeg' | 'ffprobe' | 'gst-launch-1.0' | 'gst-inspect-1.0';

/** Which decoder/encoder family to use: 'auto' prefers ffmpeg and falls back to GStreamer. */
export type VideoTool = 'auto' | 'ffmpeg' | 'gstreamer';

/** Absolute path of `name` on PATH (looked up at call time), or undefined. */
export function findProgram(name: VideoProgram, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The tool family to use for `tool`, or ERR_DINO_DECODER_MISSING naming what was looked for. */
export function pickTool(tool: VideoTool, purpose: 'decode' | 'encode'): { kind: 'ffmpeg' | 'gstreamer'; program: string } {
  const ffmpeg = tool === 'gstreamer' ? undefined : findProgram('ffmpeg');
  if (ffmpeg) return { kind: 'ffmpeg', program: ffmpeg };
  const gst = tool === 'ffmpeg' ? undefined : findProgram('gst-launch-1.0');
  if (gst) return { kind: 'gstreamer', program: gst };
  const wanted = tool === 'ffmpeg' ? 'ffmpeg' : tool === 'gstreamer' ? 'gst-launch-1.0' : 'ffmpeg or gst-launch-1.0';
  throw new DinoError(
    'ERR_DINO_DECODER_MISSING',
    `No video ${purpose === 'decode' ? 'decoder' : 'encoder'} found: ${wanted} is not on PATH. ` +
      'Install one (Debian/Ubuntu: `sudo apt-get install ffmpeg`, or `sudo apt-get install gstreamer1.0-tools gstreamer1.0-plugins-good gstreamer1.0-libav`).',
    { details: { tool, path: process.env.PATH } },
  );
}
