/**
 * Frames from a decoder program (ffmpeg or gst-launch-1.0) for machines without the capture
 * module. A reader task pulls packed RGB frames from the program's pipe: live sources keep only
 * the newest frame (older ones are counted as dropped), files and test patterns keep at most two
 * and then stop reading, so the pipe fills and the program waits (back-pressure, no frame lost).
 * Internal: not part of the public API.
 * @module
 */
import { DinoError, toDinoError } from '../../errors';
import type { VideoFrame, VideoReader } from '../decoder';
import { Frame } from './frame';
import type { ParsedUri } from './uri';
import { VideoSource, waitForFrame, Wakeup, type CaptureResult, type SourceStats } from './video-source';

/** Frames read ahead of the caller when nothing is dropped. */
const READ_AHEAD = 2;

export class ProgramSource extends VideoSource {
  readonly decoder: 'ffmpeg' | 'gstreamer';
  readonly #reader: VideoReader;
  readonly #drop: boolean;
  readonly #frames: VideoFrame[] = [];
  readonly #arrived = new Wakeup();
  readonly #taken = new Wakeup();
  readonly #pump: Promise<void>;
  #ended = false;
  #error: DinoError | undefined;
  #disposed = false;
  #received = 0;
  #dropped = 0;
  #delivered = 0;

  constructor(parsed: ParsedUri, reader: VideoReader, drop: boolean) {
    const { width, height, fps, frames } = reader.info;
    super(parsed, { width, height, fps, frames });
    this.decoder = reader.info.decoder;
    this.#reader = reader;
    this.#drop = drop;
    this.#pump = this.#read();
  }

  async #read(): Promise<void> {
    try {
      for await (const f of this.#reader) {
        if (this.#disposed) break;
        this.#received++;
        if (this.#drop) {
          if (this.#frames.length > 0) {
            this.#frames.shift();
            this.#dropped++;
          }
        } else {
          while (this.#frames.length >= READ_AHEAD && !this.#disposed) await this.#taken.wait(1000);
          if (this.#disposed) break;
        }
        this.#frames.push(f);
        this.#arrived.wake();
      }
    } catch (err) {
      if (!this.#disposed) this.#error = toDinoError(err, 'ERR_DINO_SOURCE', undefined, `${this.uri}: decoding failed`);
    } finally {
      this.#ended = true;
      this.#arrived.wake();
    }
  }

  capture(options?: { timeoutMs?: number }): Promise<CaptureResult> {
    return waitForFrame(options, this.#arrived, () => {
      if (this.#disposed) throw new DinoError('ERR_DINO_DISPOSED', `${this.uri} has been disposed`);
      const f = this.#frames.shift();
      if (f) {
        this.#taken.wake();
        this.#delivered++;
        return { status: 'ok', frame: new Frame({ width: f.width, height: f.height, format: 'RGB', pitch: f.width * 3, data: f.data, sequence: f.index, timestampMs: Number.NaN }) };
      }
      if (this.#error) throw this.#error;
      return this.#ended ? { status: 'eos' } : undefined;
    });
  }

  stats(): SourceStats {
    return { received: this.#received, dropped: this.#dropped, delivered: this.#delivered, leased: 0 };
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#frames.length = 0;
    this.#taken.wake();
    this.#arrived.wake();
    await this.#reader.close();
    await this.#pump;
  }
}
