/**
 * Encoding RGB frames into a video file with ffmpeg (H.264 via libx264 when available, else
 * MPEG-4 part 2) or, without ffmpeg, GStreamer (H.264 with x264enc, else Motion JPEG; VP8 for
 * .webm). Frames go through the encoder's stdin with
 * back-pressure: `write` resolves when the pipe can take more.
 * @module
 */
import type { Writable } from 'node:stream';

import { DinoError } from '../errors';
import type { RgbImage } from '../render/types';
import { integer, invalid, isObject, number, oneOf, string } from '../validate';
import { spawnChild, type Child } from './child';
import { VIDEO_NICE } from './decoder';
import { ffmpegVideoCodec, gstreamerVideoChain } from './encoders';
import { pickTool, type VideoTool } from './programs';
import type { FrameSink } from './sink';

/** Options of {@link openVideoWriter}. */
export interface VideoWriterOptions {
  width: number;
  height: number;
  /** Frames per second. Default 25. */
  fps?: number;
  /** 'auto' (default): ffmpeg, else GStreamer; or force one. */
  tool?: VideoTool;
  /** Niceness of the encoder process (0..19). Default 10: it takes the CPU that inference leaves idle; 0 runs it at normal priority. */
  nice?: number;
}

function fraction(fps: number): string {
  return Number.isInteger(fps) ? `${fps}/1` : `${Math.round(fps * 1000)}/1000`;
}

async function ffmpegArgs(program: string, path: string, w: number, h: number, fps: number): Promise<{ args: string[]; codec: string }> {
  const codec = await ffmpegVideoCodec(program);
  const quality = codec === 'libx264' ? ['-preset', 'ultrafast', '-crf', '20', '-threads', '1'] : ['-q:v', '3', '-threads', '1'];
  return {
    codec,
    args: [
      '-nostdin', '-v', 'error', '-y',
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${w}x${h}`, '-r', String(fps), '-i', 'pipe:0',
      // yuv420p needs even sizes: pad odd ones by a pixel (the filter costs CPU, so only then).
      '-an', ...(w % 2 || h % 2 ? ['-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2'] : []), '-c:v', codec, ...quality, '-pix_fmt', 'yuv420p',
      '-movflags', '+faststart', path,
    ],
  };
}

async function gstreamerArgs(path: string, w: number, h: number, fps: number): Promise<{ args: string[]; codec: string }> {
  const chain = await gstreamerVideoChain(path);
  return {
    codec: `${chain.codec} (${chain.encoder[0] as string} ! ${chain.muxer})`,
    args: [
      '-q', '-e', 'fdsrc', 'fd=0', '!', 'rawvideoparse', `width=${w}`, `height=${h}`, 'format=rgb', `framerate=${fraction(fps)}`,
      '!', 'videoconvert', '!', 'video/x-raw,format=I420', '!', ...chain.encoder, '!', chain.muxer, '!', 'filesink', `location=${path}`,
    ],
  };
}

class PipeVideoWriter implements FrameSink {
  readonly kind = 'video' as const;
  readonly target: string;
  readonly encoder: string;
  #written = 0;
  readonly #child: Child;
  readonly #stdin: Writable;
  readonly #width: number;
  readonly #height: number;
  readonly #stride: number;
  #failure: Error | undefined;
  #closed = false;

  constructor(child: Child, target: string, encoder: string, width: number, height: number, stride: number) {
    this.#child = child;
    this.target = target;
    this.encoder = encoder;
    this.#width = width;
    this.#height = height;
    this.#stride = stride;
    this.#stdin = child.proc.stdin as Writable;
    this.#stdin.on('error', (err) => {
      this.#failure ??= err;
    });
  }

  get written(): number {
    return this.#written;
  }

  #error(what: string, code?: number): DinoError {
    const reason = this.#child.stderr() || this.#failure?.message || 'the encoder stopped';
    return new DinoError('ERR_DINO_ENCODER', `${what} ${this.target} failed${code === undefined ? '' : ` (exit code ${code})`}: ${reason}`, {
      cause: this.#failure,
      details: { target: this.target, encoder: this.encoder },
    });
  }

  async write(frame: RgbImage): Promise<void> {
    if (this.#closed) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `The writer of ${this.target} is closed`);
    if (!isObject(frame) || !(frame.data instanceof Uint8Array)) invalid('frame', 'an RgbImage { data, width, height }', frame);
    if (frame.width !== this.#width || frame.height !== this.#height || frame.data.length !== this.#width * this.#height * 3) {
      throw new DinoError('ERR_DINO_SHAPE_MISMATCH', `Frame of ${frame.width}x${frame.height} written to a ${this.#width}x${this.#height} video`);
    }
    if (this.#failure || this.#child.done) throw this.#error('Encoding');
    let bytes = frame.data;
    if (this.#stride !== this.#width * 3) {
      bytes = new Uint8Array(this.#stride * this.#height);
      for (let y = 0; y < this.#height; y++) bytes.set(frame.data.subarray(y * this.#width * 3, (y + 1) * this.#width * 3), y * this.#stride);
    }
    const ok = this.#stdin.write(bytes);
    this.#written++;
    if (!ok) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.#stdin.off('drain', done);
          this.#stdin.off('close', done);
          resolve();
        };
        this.#stdin.once('drain', done);
        this.#stdin.once('close', done);
        void this.#child.exited.then(done);
      });
      if (this.#failure || this.#child.done) throw this.#error('Encoding');
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stdin.end();
    const code = await this.#child.exited;
    if (code !== 0) throw this.#error('Encoding', code);
  }

  async abort(): Promise<void> {
    this.#closed = true;
    this.#child.kill();
    await this.#child.exited;
  }
}

/**
 * Starts an encoder writing `path` (an .mp4 or any container ffmpeg infers from the name).
 * Write frames in order, then `close()`; on error call `abort()`.
 * @example
 * ```ts
 * const out = await openVideoWriter('out.mp4', { width: 640, height: 480, fps: 25 });
 * for (const frame of frames) await out.write(frame);
 * await out.close();
 * ```
 * @throws DinoError ERR_DINO_DECODER_MISSING (no ffmpeg or gst-launch-1.0), ERR_DINO_ENCODER
 *   (the encoder failed), ERR_DINO_SHAPE_MISMATCH (a frame of another size).
 */
export async function openVideoWriter(path: string, options: VideoWriterOptions): Promise<FrameSink> {
  string(path, 'path');
  if (!isObject(options)) invalid('options', '{ width, height, fps? }', options);
  const width = integer(options.width, 'width', 1, 16384);
  const height = integer(options.height, 'height', 1, 16384);
  const fps = number(options.fps ?? 25, 'fps', 0.01, 1000);
  const tool = oneOf(options.tool ?? 'auto', 'tool', ['auto', 'ffmpeg', 'gstreamer'] as const);
  const nice = integer(options.nice ?? VIDEO_NICE, 'nice', 0, 19);
  const picked = pickTool(tool, 'encode');
  const { args, codec } = picked.kind === 'ffmpeg' ? await ffmpegArgs(picked.program, path, width, height, fps) : await gstreamerArgs(path, width, height, fps);
  const child = spawnChild(picked.program, args, ['pipe', 'ignore', 'pipe'], nice);
  const stride = picked.kind === 'gstreamer' ? (width * 3 + 3) & ~3 : width * 3;
  return new PipeVideoWriter(child, path, `${picked.kind} ${codec}`, width, height, stride);
}
