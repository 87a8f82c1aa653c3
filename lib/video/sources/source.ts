/**
 * Video sources: cameras, RTSP, files, image folders and test patterns behind one API.
 * `capture({ timeoutMs })` resolves { status: 'ok' | 'timeout' | 'eos', frame }, and every
 * source is an async iterable of frames. Capture runs on its own native thread (GStreamer
 * appsink in the capture module); the event loop is never blocked.
 * @module
 */
import { stat, readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';

import { native, type NativeCaptureSource } from '../../binding';
import { DinoError, toDinoError } from '../../errors';
import { decodeImage } from '../../image/input';
import { integer, isObject } from '../../validate';
import { Frame } from './frame';
import { SOURCE_DEFAULTS, type SourceOptions } from './options';
import { buildPipeline } from './pipeline';
import { parseSourceUri, type ParsedUri, type SourceProtocol } from './uri';

export type CaptureStatus = 'ok' | 'timeout' | 'eos';

export interface CaptureResult {
  status: CaptureStatus;
  /** Present when status is 'ok'. Release it when done. */
  frame?: Frame;
}

export interface SourceStats {
  received: number;
  dropped: number;
  delivered: number;
  leased: number;
}

/** A source of video frames. */
export abstract class VideoSource implements AsyncIterable<Frame> {
  /** Normalised URI, e.g. csi://0, file:///data/clip.mp4. */
  readonly uri: string;
  readonly protocol: SourceProtocol;

  protected constructor(parsed: ParsedUri) {
    this.uri = parsed.uri;
    this.protocol = parsed.protocol;
  }

  /** Waits up to timeoutMs (default 1000) for the next frame. */
  abstract capture(options?: { timeoutMs?: number }): Promise<CaptureResult>;
  abstract stats(): SourceStats;
  /** Stops capturing and frees the pipeline; idempotent. Frames already taken stay valid until released. */
  abstract dispose(): Promise<void>;

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  /** Frames until the end of the stream; the iterator disposes the source when it ends or is left early. */
  async *[Symbol.asyncIterator](): AsyncIterator<Frame> {
    try {
      for (;;) {
        const r = await this.capture({ timeoutMs: 10_000 });
        if (r.status === 'eos') return;
        if (r.status === 'ok' && r.frame) yield r.frame;
      }
    } finally {
      await this.dispose();
    }
  }
}

function timeoutArg(options: { timeoutMs?: number } | undefined): number {
  return integer(options?.timeoutMs ?? 1000, 'timeoutMs', 0, 24 * 3600 * 1000);
}

/** Frames from a GStreamer pipeline through the native capture module. */
class GStreamerSource extends VideoSource {
  readonly #native: NativeCaptureSource;
  #eos = false;
  #error: DinoError | undefined;
  #waiters: Array<() => void> = [];
  #disposed = false;

  constructor(parsed: ParsedUri, pipeline: string, options: SourceOptions, nvmm: boolean) {
    super(parsed);
    // Cameras and streams are live: drop stale frames to stay current. Files and test patterns
    // deliver every frame unless asked to play in real time.
    const live = parsed.protocol === 'csi' || parsed.protocol === 'v4l2' || parsed.protocol === 'rtsp' || options.live === true;
    try {
      this.#native = native().captureOpen(
        pipeline,
        { drop: options.drop ?? live, maxLeases: options.maxLeases ?? SOURCE_DEFAULTS.maxLeases, nvmm },
        (event) => {
          if (event.type === 'eos') this.#eos = true;
          if (event.type === 'error') this.#error = new DinoError('ERR_DINO_SOURCE', `${this.uri}: ${event.message ?? 'capture failed'}`);
          const w = this.#waiters;
          this.#waiters = [];
          for (const f of w) f();
        },
      );
    } catch (err) {
      throw toDinoError(err, 'ERR_DINO_SOURCE', undefined, `Cannot open ${parsed.uri}`);
    }
  }

  async capture(options?: { timeoutMs?: number }): Promise<CaptureResult> {
    const timeoutMs = timeoutArg(options);
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.#disposed) throw new DinoError('ERR_DINO_DISPOSED', `${this.uri} has been disposed`);
      let n;
      try {
        n = this.#native.takeFrame();
      } catch (err) {
        throw toDinoError(err, 'ERR_DINO_SOURCE');
      }
      if (n) return { status: 'ok', frame: Frame.fromNative(n) };
      if (this.#error) throw this.#error;
      if (this.#eos) return { status: 'eos' };
      const left = deadline - performance.now();
      if (left <= 0) return { status: 'timeout' };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.#waiters.push(done);
      });
    }
  }

  stats(): SourceStats {
    const s = this.#native.stats();
    return { received: s.received, dropped: s.dropped, delivered: s.delivered, leased: s.leased };
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#native.stop();
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff', '.bmp', '.gif', '.avif']);

/** One image, or the images of a folder in name order, as frames. */
class ImageSequenceSource extends VideoSource {
  readonly #files: string[];
  #next = 0;
  #delivered = 0;
  #disposed = false;

  constructor(parsed: ParsedUri, files: string[]) {
    super(parsed);
    this.#files = files;
  }

  async capture(options?: { timeoutMs?: number }): Promise<CaptureResult> {
    timeoutArg(options);
    if (this.#disposed) throw new DinoError('ERR_DINO_DISPOSED', `${this.uri} has been disposed`);
    const file = this.#files[this.#next];
    if (file === undefined) return { status: 'eos' };
    const index = this.#next++;
    const img = await decodeImage(file);
    this.#delivered++;
    const format = img.format === 'rgba' ? 'RGBA' : img.format === 'gray' ? 'GRAY8' : 'RGB';
    return {
      status: 'ok',
      frame: new Frame({ width: img.width, height: img.height, format, pitch: img.rowBytes, data: img.data, sequence: index, timestampMs: Number.NaN }),
    };
  }

  stats(): SourceStats {
    return { received: this.#delivered, dropped: 0, delivered: this.#delivered, leased: 0 };
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
  }
}

async function imageFiles(path: string): Promise<string[] | undefined> {
  const s = await stat(path).catch(() => undefined);
  if (!s) throw new DinoError('ERR_DINO_FILE_NOT_FOUND', `No such file or folder: ${path}`);
  if (s.isDirectory()) {
    const names = (await readdir(path)).filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase())).sort();
    if (names.length === 0) throw new DinoError('ERR_DINO_SOURCE', `Folder ${path} has no images (${[...IMAGE_EXTENSIONS].join(', ')})`);
    return names.map((n) => join(path, n));
  }
  return IMAGE_EXTENSIONS.has(extname(path).toLowerCase()) ? [path] : undefined;
}

/**
 * Opens a video source by URI (see {@link parseSourceUri} for the grammar).
 *
 * @example
 * ```ts
 * await using camera = await openSource('csi://0', { width: 1280, height: 720 });
 * for await (const frame of camera) {
 *   const features = await model.extract(frame.toRawImage());
 *   frame.release();
 * }
 * ```
 * @throws DinoError ERR_DINO_SOURCE (cannot open / no capture support), ERR_DINO_FILE_NOT_FOUND, ERR_DINO_INVALID_ARGUMENT
 */
export async function openSource(uri: string, options: SourceOptions = {}): Promise<VideoSource> {
  if (!isObject(options as unknown)) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', 'source options must be an object');
  const parsed = parseSourceUri(uri);
  if (parsed.protocol === 'file') {
    const images = await imageFiles(parsed.location);
    if (images) return new ImageSequenceSource(parsed, images);
  }
  const b = native();
  let init: { gstreamer: string; nvmm: boolean };
  try {
    init = await b.captureInit();
  } catch (err) {
    throw toDinoError(err, 'ERR_DINO_SOURCE', undefined, `Cannot open ${parsed.uri}: in-process capture is unavailable`);
  }
  const nvmm = parsed.protocol === 'csi' && (options.zeroCopy ?? init.nvmm);
  if (nvmm && !init.nvmm) {
    throw new DinoError('ERR_DINO_SOURCE', `${parsed.uri}: zeroCopy needs the capture module built with Jetson NVMM support (nvbufsurface)`);
  }
  return new GStreamerSource(parsed, buildPipeline(parsed, options, nvmm), options, nvmm);
}
