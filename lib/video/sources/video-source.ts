/**
 * The base of every video source: `capture({ timeoutMs })` resolves { status: 'ok' | 'timeout'
 * | 'eos', frame }, and every source is an async iterable of frames.
 * @module
 */
import { integer } from '../../validate';
import type { Frame } from './frame';
import type { ParsedUri, SourceProtocol } from './uri';

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

/**
 * What delivers a source's frames: 'capture' (the native GStreamer capture module, in process),
 * 'ffmpeg' or 'gstreamer' (a decoder program piping frames), 'images' (image files decoded in
 * process), 'caller' (frames handed in by the caller).
 */
export type SourceDecoder = 'capture' | 'ffmpeg' | 'gstreamer' | 'images' | 'caller';

/** What is known about a source before reading it (undefined: not known). */
export interface SourceInfo {
  width: number | undefined;
  height: number | undefined;
  /** Frames per second of a video or the rate asked of a camera or test pattern. */
  fps: number | undefined;
  /** Number of frames: exact for images, from the container for videos, undefined for streams. */
  frames: number | undefined;
}

/** Nothing known. */
export const UNKNOWN_INFO: SourceInfo = { width: undefined, height: undefined, fps: undefined, frames: undefined };

/** A source of video frames. */
export abstract class VideoSource implements AsyncIterable<Frame> {
  /** Normalised URI, e.g. csi://0, file:///data/clip.mp4. */
  readonly uri: string;
  readonly protocol: SourceProtocol;
  /** What is known before reading: size, rate, length. */
  readonly info: Readonly<SourceInfo>;
  /** What delivers the frames. */
  abstract readonly decoder: SourceDecoder;

  protected constructor(parsed: ParsedUri, info: SourceInfo = UNKNOWN_INFO) {
    this.uri = parsed.uri;
    this.protocol = parsed.protocol;
    this.info = info;
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

/**
 * capture() of a source that is told when frames arrive: `take` returns a result (a frame, the
 * end) or throws, or returns undefined when there is nothing yet; then it waits for `wakeup` until
 * the deadline.
 */
export async function waitForFrame(options: { timeoutMs?: number } | undefined, wakeup: Wakeup, take: () => CaptureResult | undefined): Promise<CaptureResult> {
  const deadline = performance.now() + timeoutArg(options);
  for (;;) {
    const result = take();
    if (result) return result;
    const left = deadline - performance.now();
    if (left <= 0) return { status: 'timeout' };
    await wakeup.wait(left);
  }
}

/** The validated `timeoutMs` of capture() (default 1000). */
export function timeoutArg(options: { timeoutMs?: number } | undefined): number {
  return integer(options?.timeoutMs ?? 1000, 'timeoutMs', 0, 24 * 3600 * 1000);
}

/** Wakes the callers of capture() that wait for a frame, an end or an error. */
export class Wakeup {
  #waiters: Array<() => void> = [];

  /** Resolves on the next wake() or after `ms`. */
  wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      const waiters = this.#waiters;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      waiters.push(done);
    });
  }

  wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }
}
