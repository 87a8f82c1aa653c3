/**
 * Decoding any source URI with the ffmpeg or gst-launch-1.0 programs, for machines without the
 * in-process capture module: files (through `openVideo`), test patterns, V4L2 cameras,
 * RTSP streams and (gst-launch only) Jetson CSI cameras. Frames arrive as packed RGB through a
 * pipe; the program is stopped when reading stops.
 * Internal: not part of the public API.
 * @module
 */
import { DinoError } from '../errors';
import { integer } from '../validate';
import { spawnChild } from './child';
import { decoderReader, openGstreamer, openVideo, VIDEO_NICE, type OpenedVideoInfo, type VideoReader } from './decoder';
import { probeStream } from './probe';
import { findProgram, type VideoTool } from './programs';
import { SOURCE_DEFAULTS, type SourceOptions } from './sources/options';
import { pipelineTokens, rate, size } from './sources/pipeline';
import type { ParsedUri } from './sources/uri';

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
  // cameras and RTSP with less set-up.
  const order: Array<'ffmpeg' | 'gstreamer'> = protocol === 'csi' ? ['gstreamer'] : protocol === 'test' ? ['gstreamer', 'ffmpeg'] : ['ffmpeg', 'gstreamer'];
  return tool === 'auto' ? order : order.filter((t) => t === tool);
}

/** ffmpeg's input arguments and the frame size it will deliver (after scaling). */
async function ffmpegInput(src: ParsedUri, options: SourceOptions): Promise<{ input: string[]; width: number; height: number; fps: number | undefined }> {
  switch (src.protocol) {
    case 'test': {
      const { width, height } = size(options, SOURCE_DEFAULTS.testWidth, SOURCE_DEFAULTS.testHeight);
      const fps = rate(options);
      // -re: a live test pattern comes at its frame rate, like videotestsrc is-live=true.
      return { input: [...(options.live ? ['-re'] : []), '-f', 'lavfi', '-i', lavfiSource(src.location, width, height, fps)], width, height, fps };
    }
    case 'v4l2': {
      const { width, height } = size(options, SOURCE_DEFAULTS.cameraWidth, SOURCE_DEFAULTS.cameraHeight);
      const fps = rate(options);
      return { input: ['-f', 'v4l2', '-framerate', String(fps), '-video_size', `${width}x${height}`, '-i', src.location], width, height, fps };
    }
    case 'rtsp': {
      const given = options.width !== undefined && options.height !== undefined;
      const probed = given ? undefined : await probeStream(src.location);
      const { width, height } = size(options, probed?.width ?? 0, probed?.height ?? 0);
      return { input: ['-rtsp_transport', 'tcp', '-i', src.location], width, height, fps: probed?.fps };
    }
    default:
      throw new DinoError('ERR_DINO_INTERNAL', `ffmpeg input for ${src.protocol}`);
  }
}

/**
 * Opens `src` for decoding with a program. `tool` 'auto' picks per protocol (see candidates()).
 * @throws DinoError ERR_DINO_DECODER_MISSING (no program that can read this source),
 *   ERR_DINO_FILE_NOT_FOUND, ERR_DINO_SOURCE.
 */
export async function openStreamDecoder(src: ParsedUri, options: SourceOptions, tool: VideoTool, signal?: AbortSignal): Promise<VideoReader> {
  const maxFrames = options.numBuffers === undefined ? undefined : integer(options.numBuffers, 'numBuffers', 1);
  if (src.protocol === 'file') return openVideo(src.location, { tool, ...(maxFrames === undefined ? {} : { maxFrames }), ...(signal ? { signal } : {}) });
  // Cameras and streams run at normal priority (they must keep up); synthetic sources yield.
  const nice = src.protocol === 'test' ? VIDEO_NICE : 0;
  for (const kind of candidates(src.protocol, tool)) {
    if (kind === 'gstreamer') {
      const gst = findProgram('gst-launch-1.0');
      if (!gst) continue;
      const { child, info, stride } = await openGstreamer(src.uri, gst, pipelineTokens(src, options, false, 'fdsink'), undefined, nice);
      return decoderReader(src.uri, info, stride, child, maxFrames, signal);
    }
    const ffmpeg = findProgram('ffmpeg');
    if (!ffmpeg) continue;
    const { input, width, height, fps } = await ffmpegInput(src, options);
    const args = ['-nostdin', '-v', 'error', ...input, '-map', '0:v:0', '-vsync', '0', '-vf', `scale=${width}:${height}`,
      ...(maxFrames === undefined ? [] : ['-frames:v', String(maxFrames)]), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
    const info: OpenedVideoInfo = { path: src.uri, width, height, fps, frames: maxFrames, framesExact: false, duration: undefined, codec: undefined, decoder: 'ffmpeg' };
    return decoderReader(src.uri, info, width * 3, () => spawnChild(ffmpeg, args, ['ignore', 'pipe', 'pipe'], nice), maxFrames, signal);
  }
  const programs = candidates(src.protocol, tool).map((k) => (k === 'ffmpeg' ? 'ffmpeg' : 'gst-launch-1.0'));
  throw new DinoError(
    'ERR_DINO_DECODER_MISSING',
    programs.length === 0
      ? `${src.uri}: the ${tool} program cannot read ${src.protocol}:// sources (csi:// needs GStreamer)`
      : `${src.uri}: no program to read it (${programs.join(' or ')} not on PATH), and the capture module is not built. ` +
          'Install ffmpeg or GStreamer (Debian/Ubuntu: `sudo apt-get install ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-good`).',
  );
}
