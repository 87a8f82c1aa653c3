/**
 * Video sources: cameras, RTSP, files, image folders and test patterns behind one API, whatever
 * the machine has. `openSource(uri)` picks what delivers the frames: the native GStreamer capture
 * module (in process, its own thread, zero copy on Jetson) when it is built, otherwise a decoder
 * program (ffmpeg or gst-launch-1.0) piping RGB frames, and image files decoded in process. Every
 * source is a {@link VideoSource}: `capture({ timeoutMs })` and async iteration of {@link Frame}s.
 * @module
 */
import { native } from '../../binding';
import { DinoError, toDinoError } from '../../errors';
import { integer, isObject, oneOf, optional } from '../../validate';
import { startDecoder } from '../decoder';
import { probeVideo } from '../probe';
import { findProgram } from '../programs';
import { CaptureSource } from './capture-source';
import { ImageSource, imageFiles } from './image-source';
import { isLive, SOURCE_DEFAULTS, type SourceOptions } from './options';
import { buildPipeline, rate, size } from './pipeline';
import { ProgramSource } from './program-source';
import { parseSourceUri, type ParsedUri } from './uri';
import { UNKNOWN_INFO, type SourceInfo, type VideoSource } from './video-source';

export { VideoSource, type CaptureResult, type CaptureStatus, type SourceDecoder, type SourceInfo, type SourceStats } from './video-source';

/** What is known of a source the capture module reads: a file's probe (when ffprobe is there), a test pattern's settings. */
async function captureInfo(parsed: ParsedUri, options: SourceOptions): Promise<SourceInfo> {
  if (parsed.protocol === 'file' && findProgram('ffprobe')) {
    const v = await probeVideo(parsed.location).catch(() => undefined);
    if (v) return { width: options.width ?? v.width, height: options.height ?? v.height, fps: v.fps, frames: v.frames };
  }
  if (parsed.protocol === 'test') {
    const { width, height } = size(options, SOURCE_DEFAULTS.testWidth, SOURCE_DEFAULTS.testHeight);
    return { width, height, fps: rate(options), frames: options.numBuffers };
  }
  return UNKNOWN_INFO;
}

/**
 * Opens a video source by URI — `csi://0`, `v4l2:///dev/video0`, `rtsp://…`, `file://` (video, image
 * or folder), `test://pattern` or a bare path (jetson-utils' grammar). Frames come from
 * the capture module when it is built (`decoder: 'capture'`), else from ffmpeg or gst-launch-1.0
 * (`'ffmpeg'`, `'gstreamer'`); images and folders are decoded in process. `options.decoder`
 * forces one; the source's `decoder` says which one runs.
 *
 * @example
 * ```ts
 * await using camera = await openSource('csi://0', { width: 1280, height: 720 });
 * for await (const frame of camera) {
 *   const features = await model.extract(frame.toRawImage());
 *   frame.release();
 * }
 * ```
 * @throws DinoError ERR_DINO_SOURCE (cannot open), ERR_DINO_DECODER_MISSING (neither the capture
 *   module nor a program that can read it), ERR_DINO_FILE_NOT_FOUND, ERR_DINO_INVALID_ARGUMENT
 */
export async function openSource(uri: string, options: SourceOptions = {}): Promise<VideoSource> {
  if (!isObject(options as unknown)) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', 'source options must be an object');
  const parsed = parseSourceUri(uri);
  const decoder = oneOf(options.decoder ?? 'auto', 'decoder', ['auto', 'capture', 'ffmpeg', 'gstreamer'] as const);
  const limit = optional(options.numBuffers, (n) => integer(n, 'numBuffers', 1));
  if (parsed.protocol === 'file') {
    const images = await imageFiles(parsed.location);
    if (images) return new ImageSource(parsed, images);
  }
  if (decoder === 'auto' || decoder === 'capture') {
    let init: { gstreamer: string; nvmm: boolean } | undefined;
    try {
      init = await native().captureInit();
    } catch (err) {
      // Without the module the programs below decode; a caller who asked for it gets the reason.
      if (decoder === 'capture' || options.zeroCopy === true) {
        throw toDinoError(err, 'ERR_DINO_SOURCE', undefined, `Cannot open ${parsed.uri}: in-process capture is unavailable`);
      }
    }
    if (init) {
      const nvmm = parsed.protocol === 'csi' && (options.zeroCopy ?? init.nvmm);
      if (nvmm && !init.nvmm) {
        throw new DinoError('ERR_DINO_SOURCE', `${parsed.uri}: zeroCopy needs the capture module built with Jetson NVMM support (nvbufsurface)`);
      }
      return new CaptureSource(parsed, buildPipeline(parsed, options, nvmm), options, nvmm, await captureInfo(parsed, options));
    }
  }
  // Here decoder is 'auto' (no capture module) or a program.
  const process = await startDecoder(parsed, options, decoder === 'ffmpeg' || decoder === 'gstreamer' ? decoder : 'auto');
  return new ProgramSource(parsed, process, options.drop ?? isLive(parsed, options), limit);
}
