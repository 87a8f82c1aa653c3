/**
 * Frame sources of the pipeline: a video file, a directory of images, or any async iterable of
 * raw frames (a camera, later), behind one interface.
 * @module
 */
import { stat } from 'node:fs/promises';

import { DinoError } from '../errors';
import type { RawImage } from '../image/input';
import { openImageDir } from '../video/image-dir';
import { openVideo, type OpenVideoOptions } from '../video/decoder';
import { invalid, isObject } from '../validate';

/** A frame from a source: raw pixels with its position, and a file name for image directories. */
export interface SourceFrame extends RawImage {
  index: number;
  name?: string;
}

/** What is known about a source before reading it. */
export interface SourceInfo {
  kind: 'video' | 'images' | 'stream';
  /** File or directory, for file sources. */
  path: string | undefined;
  width: number | undefined;
  height: number | undefined;
  fps: number | undefined;
  /** Number of frames, when known (exact for image directories, from the container for videos). */
  frames: number | undefined;
  /** What decodes the frames: 'ffmpeg', 'gstreamer' or 'sharp'. */
  decoder: string | undefined;
}

/** An opened source of frames. */
export interface FrameSource extends AsyncIterable<SourceFrame> {
  readonly info: SourceInfo;
  /** Stops the decoder (if any). */
  close(): Promise<void>;
}

/** Options of `openFrameSource` (the frame source behind {@link segmentVideo}). */
export type FrameSourceOptions = OpenVideoOptions;

function isAsyncIterable(value: unknown): value is AsyncIterable<RawImage> {
  return isObject(value) && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/**
 * Opens a video file or an image directory as frames.
 * @example
 * ```ts
 * const source = await openFrameSource('clip.mp4');
 * console.log(source.info.frames, source.info.fps);
 * ```
 * @throws DinoError ERR_DINO_FILE_NOT_FOUND, ERR_DINO_DECODER_MISSING, ERR_DINO_SOURCE.
 */
export async function openFrameSource(input: string | AsyncIterable<RawImage>, options: FrameSourceOptions = {}): Promise<FrameSource> {
  if (isAsyncIterable(input)) {
    let index = 0;
    return {
      info: { kind: 'stream', path: undefined, width: undefined, height: undefined, fps: undefined, frames: undefined, decoder: undefined },
      close: async () => undefined,
      async *[Symbol.asyncIterator](): AsyncGenerator<SourceFrame> {
        for await (const f of input) yield { ...f, index: index++ };
      },
    };
  }
  if (typeof input !== 'string' || input.length === 0) invalid('input', 'a video file, an image directory or an async iterable of frames', input);
  let isDir = false;
  try {
    isDir = (await stat(input)).isDirectory();
  } catch (err) {
    throw new DinoError('ERR_DINO_FILE_NOT_FOUND', `Input not found: ${input}`, { cause: err });
  }
  if (isDir) {
    const dir = await openImageDir(input, options.signal);
    return {
      info: { kind: 'images', path: input, width: undefined, height: undefined, fps: undefined, frames: dir.files.length, decoder: 'sharp' },
      close: async () => undefined,
      [Symbol.asyncIterator]: () => dir[Symbol.asyncIterator](),
    };
  }
  const video = await openVideo(input, options);
  const v = video.info;
  return {
    info: { kind: 'video', path: input, width: v.width, height: v.height, fps: v.fps, frames: v.frames, decoder: v.decoder },
    close: () => video.close(),
    [Symbol.asyncIterator]: () => video[Symbol.asyncIterator](),
  };
}
