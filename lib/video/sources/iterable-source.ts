/**
 * Frames handed in by the caller — any async iterable of raw images — as a {@link VideoSource},
 * so that pipelines take them like any other source. Read one at a time, as the pipeline asks.
 * @module
 */
import { DinoError } from '../../errors';
import type { RawImage } from '../../image/input';
import { Frame, type FrameFormat } from './frame';
import { timeoutArg, VideoSource, type CaptureResult, type SourceStats } from './video-source';

const FORMAT: Record<RawImage['format'], { format: FrameFormat; channels: number }> = {
  rgb: { format: 'RGB', channels: 3 },
  rgba: { format: 'RGBA', channels: 4 },
  bgr: { format: 'BGR', channels: 3 },
  bgra: { format: 'BGRA', channels: 4 },
  gray: { format: 'GRAY8', channels: 1 },
};

export class IterableSource extends VideoSource {
  readonly decoder = 'caller' as const;
  readonly #frames: AsyncIterator<RawImage>;
  #delivered = 0;
  #ended = false;
  #pending: Promise<IteratorResult<RawImage>> | undefined;

  constructor(frames: AsyncIterable<RawImage>) {
    super({ protocol: 'caller', uri: 'caller://frames', location: '' });
    this.#frames = frames[Symbol.asyncIterator]();
  }

  async capture(options?: { timeoutMs?: number }): Promise<CaptureResult> {
    const timeoutMs = timeoutArg(options);
    if (this.#ended) return { status: 'eos' };
    // A frame still coming when the timeout passes is kept for the next call.
    const pending = (this.#pending ??= this.#frames.next());
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    let next: IteratorResult<RawImage> | 'timeout';
    try {
      next = await Promise.race([pending, timeout]);
    } catch (err) {
      this.#pending = undefined;
      throw err;
    } finally {
      clearTimeout(timer);
    }
    if (next === 'timeout') return { status: 'timeout' };
    this.#pending = undefined;
    if (next.done) {
      this.#ended = true;
      return { status: 'eos' };
    }
    const img = next.value;
    const kind = FORMAT[img.format];
    if (!kind) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `frame ${this.#delivered}: unknown pixel format '${String(img.format)}'`);
    const sequence = this.#delivered++;
    return { status: 'ok', frame: new Frame({ width: img.width, height: img.height, format: kind.format, pitch: img.rowBytes ?? img.width * kind.channels, data: img.data, sequence, timestampMs: Number.NaN }) };
  }

  stats(): SourceStats {
    return { received: this.#delivered, dropped: 0, delivered: this.#delivered, leased: 0 };
  }

  async dispose(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    await this.#frames.return?.();
  }
}
