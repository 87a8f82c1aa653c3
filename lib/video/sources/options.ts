/**
 * Options of {@link openSource}, with defaults.
 * @module
 */
import type { ParsedUri } from './uri';

export interface SourceOptions {
  /**
   * What delivers the frames: 'auto' (default) — the in-process capture module when it is built,
   * else a decoder program; 'capture' — the capture module or an error; 'ffmpeg' / 'gstreamer' —
   * that program (ffmpeg, gst-launch-1.0) even where the capture module exists.
   */
  decoder?: 'auto' | 'capture' | 'ffmpeg' | 'gstreamer';
  /** Capture width in pixels. Default: the source's own (cameras: 1280). */
  width?: number;
  /** Capture height in pixels. Default: the source's own (cameras: 720). */
  height?: number;
  /** Frames per second asked of cameras and test sources. Default 30. */
  frameRate?: number;
  /** nvvidconv flip-method on Jetson (0 none, 2 rotate 180, 4 horizontal flip, 6 vertical flip, ...). Default 0. */
  flipMethod?: number;
  /** Stop after this many frames (test sources and files). Default: unlimited / the whole file. */
  numBuffers?: number;
  /**
   * Keep frames in NVMM/CUDA memory (Jetson CSI cameras: NvBufSurface mapped to CUDA, no CPU copy).
   * Default: true where the capture module has NVMM support, else false.
   */
  zeroCopy?: boolean;
  /** Drop old frames to stay current (true), or deliver every frame in order (false). Default: true for cameras, RTSP and `live` test patterns; false for files and test patterns. */
  drop?: boolean;
  /** Frames the caller may hold at once (leases). Default 4. */
  maxLeases?: number;
  /** RTSP jitter-buffer latency in ms. Default 200. */
  latency?: number;
  /**
   * Files and test:// patterns: deliver frames at the stream's own rate (true) or as fast as they
   * decode (false, the default: processing a file should not wait for its playback clock).
   * Cameras and RTSP streams are always live.
   */
  live?: boolean;
}

export const SOURCE_DEFAULTS = {
  cameraWidth: 1280,
  cameraHeight: 720,
  frameRate: 30,
  flipMethod: 0,
  maxLeases: 4,
  latency: 200,
  testWidth: 640,
  testHeight: 480,
} as const;

/** Cameras and streams are live: they drop stale frames to stay current (and so does `live: true`). */
export function isLive(parsed: ParsedUri, options: SourceOptions): boolean {
  return parsed.protocol === 'csi' || parsed.protocol === 'v4l2' || parsed.protocol === 'rtsp' || options.live === true;
}
