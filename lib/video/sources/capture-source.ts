/**
 * Frames from a GStreamer pipeline through the native capture module: an appsink on the
 * module's own thread, frames leased without a copy (NVMM surfaces mapped to CUDA on Jetson).
 * Internal: not part of the public API.
 * @module
 */
import { native, type NativeCaptureSource } from '../../binding';
import { DinoError, toDinoError } from '../../errors';
import { Frame } from './frame';
import { isLive, SOURCE_DEFAULTS, type SourceOptions } from './options';
import type { ParsedUri } from './uri';
import { VideoSource, waitForFrame, Wakeup, type CaptureResult, type SourceInfo, type SourceStats } from './video-source';

export class CaptureSource extends VideoSource {
  readonly decoder = 'capture' as const;
  readonly #native: NativeCaptureSource;
  #eos = false;
  #error: DinoError | undefined;
  readonly #wakeup = new Wakeup();
  #disposed = false;
  /** numBuffers: the pipeline stops test patterns and cameras itself, files (filesrc) stop here. */
  readonly #limit: number;
  #taken = 0;

  constructor(parsed: ParsedUri, pipeline: string, options: SourceOptions, nvmm: boolean, info?: SourceInfo) {
    super(parsed, info);
    this.#limit = options.numBuffers ?? Number.POSITIVE_INFINITY;
    // Files and test patterns deliver every frame unless asked to play in real time.
    try {
      this.#native = native().captureOpen(
        pipeline,
        { drop: options.drop ?? isLive(parsed, options), maxLeases: options.maxLeases ?? SOURCE_DEFAULTS.maxLeases, nvmm },
        (event) => {
          if (event.type === 'eos') this.#eos = true;
          if (event.type === 'error') this.#error = new DinoError('ERR_DINO_SOURCE', `${this.uri}: ${event.message ?? 'capture failed'}`);
          this.#wakeup.wake();
        },
      );
    } catch (err) {
      throw toDinoError(err, 'ERR_DINO_SOURCE', undefined, `Cannot open ${parsed.uri}`);
    }
  }

  capture(options?: { timeoutMs?: number }): Promise<CaptureResult> {
    return waitForFrame(options, this.#wakeup, () => {
      if (this.#disposed) throw new DinoError('ERR_DINO_DISPOSED', `${this.uri} has been disposed`);
      if (this.#taken >= this.#limit) return { status: 'eos' };
      let n;
      try {
        n = this.#native.takeFrame();
      } catch (err) {
        throw toDinoError(err, 'ERR_DINO_SOURCE');
      }
      if (n) {
        this.#taken++;
        return { status: 'ok', frame: Frame.fromNative(n) };
      }
      if (this.#error) throw this.#error;
      return this.#eos ? { status: 'eos' } : undefined;
    });
  }

  stats(): SourceStats {
    const s = this.#native.stats();
    return { received: s.received, dropped: s.dropped, delivered: s.delivered, leased: s.leased };
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#native.stop();
    this.#wakeup.wake();
  }
}
