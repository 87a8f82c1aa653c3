/**
 * Frames from a decoder program (ffmpeg or gst-launch-1.0) for machines without the capture
 * module. A reader task pulls packed RGB frames from the program's pipe: live sources keep only
 * the newest frame (older ones are counted as dropped), files and test patterns keep at most two
 * and then stop reading, so the pipe fills and the program waits (back-pressure, no frame lost).
 * Internal: not part of the public API.
 * @module
 */
import { DinoError, toDinoError } from '../../errors';
import type { DecoderProcess } from '../decoder';
import { readRawFrames } from '../frame-reader';
import { Frame } from './frame';
import type { ParsedUri } from './uri';
import { VideoSource, waitForFrame, Wakeup, type CaptureResult, type SourceStats } from './video-source';

/** Frames read ahead of the caller when nothing is dropped. */
const READ_AHEAD = 2;

export class ProgramSource extends VideoSource {
  readonly decoder: 'ffmpeg' | 'gstreamer';
  readonly #process: DecoderProcess;
  readonly #drop: boolean;
  readonly #frames: Frame[] = [];
  readonly #arrived = new Wakeup();
  readonly #taken = new Wakeup();
  readonly #pump: Promise<void>;
  #ended = false;
  #error: DinoError | undefined;
  #disposed = false;
  #received = 0;
  #dropped = 0;
  #delivered = 0;

  /** `limit`: stop after this many frames (numBuffers). */
  constructor(parsed: ParsedUri, process: DecoderProcess, drop: boolean, limit: number | undefined) {
    super(parsed, process.info);
    this.decoder = process.decoder;
    this.#process = process;
    this.#drop = drop;
    this.#pump = this.#read(limit);
  }

  async #read(limit: number | undefined): Promise<void> {
    const { child, frames, info, stride } = this.#process;
    const { width, height } = info;
    try {
      for await (const data of readRawFrames(frames, width, height, stride)) {
        if (this.#disposed) break;
        if (this.#drop) {
          if (this.#frames.length > 0) {
            this.#frames.shift();
            this.#dropped++;
          }
        } else {
          while (this.#frames.length >= READ_AHEAD && !this.#disposed) await this.#taken.wait(1000);
          if (this.#disposed) break;
        }
        this.#frames.push(new Frame({ width, height, format: 'RGB', pitch: width * 3, data, sequence: this.#received++, timestampMs: Number.NaN }));
        this.#arrived.wake();
        if (limit !== undefined && this.#received >= limit) return;
      }
      const code = this.#disposed ? 0 : await child.exited;
      if (code !== 0) throw new DinoError('ERR_DINO_SOURCE', `Decoding ${this.uri} failed (exit code ${code}): ${child.stderr() || 'no message'}`, { details: { uri: this.uri, exitCode: code } });
    } catch (err) {
      if (!this.#disposed) this.#error = toDinoError(err, 'ERR_DINO_SOURCE', undefined, `${this.uri}: decoding failed: ${child.stderr() || 'no message'}`);
    } finally {
      child.kill();
      this.#ended = true;
      this.#arrived.wake();
    }
  }

  capture(options?: { timeoutMs?: number }): Promise<CaptureResult> {
    return waitForFrame(options, this.#arrived, () => {
      if (this.#disposed) throw new DinoError('ERR_DINO_DISPOSED', `${this.uri} has been disposed`);
      const frame = this.#frames.shift();
      if (frame) {
        this.#taken.wake();
        this.#delivered++;
        return { status: 'ok', frame };
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
    this.#process.child.kill();
    await this.#process.child.exited;
    await this.#pump;
  }
}
