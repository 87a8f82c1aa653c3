/**
 * Where rendered frames go: a video file or a directory of PNG frames, behind one interface.
 * @module
 */
import type { RgbImage } from '../render/types';

/** A destination for frames, written in order. */
export interface FrameSink {
  /** 'video' for an encoded file, 'frames' for a directory of PNGs. */
  readonly kind: 'video' | 'frames';
  /** The file or directory written. */
  readonly target: string;
  /** What encodes the frames, e.g. 'ffmpeg libx264' or 'png'. */
  readonly encoder: string;
  /** Frames written so far. */
  readonly written: number;
  /** Writes one frame; resolves when the sink can take the next (back-pressure). `name` names a PNG frame. */
  write(frame: RgbImage, name?: string): Promise<void>;
  /** Finishes the output (flushes the encoder and waits for it). */
  close(): Promise<void>;
  /** Stops without finishing (kills the encoder). */
  abort(): Promise<void>;
}
