/**
 * Writing the results of an offline pipeline for the CLI: every rendered frame into a video file
 * or a folder of PNGs, per-frame labels when asked (kept only then: memory stays flat), stage
 * timings, and a summary. One per input stream (`segment`, `heatmap --input`, several `--input`s).
 */
import { parse as parsePath } from 'node:path';

import { DinoError } from '../errors';
import { writeNpy } from '../io/npy';
import type { Model } from '../model/model';
import type { SegmentedFrame } from '../pipeline/segment-video';
import { PipelineStats } from '../pipeline/stats';
import { ProgressBar } from '../video/progress';
import { openVideoWriter } from '../video/encoder';
import { openFrameWriter } from '../video/frame-writer';
import type { VideoTool } from '../video/programs';
import type { FrameSink } from '../video/sink';
import type { VideoSource } from '../video/sources/source';

/** How a sequence is written: the encoder, the frame rate (default: the source's, else 25), the labels file. */
export interface WriteSettings {
  tool: VideoTool;
  fps?: number;
  labels?: string;
}

export class SequenceOutput {
  readonly stats = new PipelineStats();
  readonly #labels: Int32Array[] = [];
  #grid = { rows: 0, cols: 0 };
  #sink: FrameSink | undefined;

  constructor(
    readonly source: VideoSource,
    readonly kind: 'video' | 'dir',
    readonly output: string,
    readonly write: WriteSettings,
  ) {}

  /** Writes one frame's rendered picture (and keeps its labels when asked). */
  async add(r: Pick<SegmentedFrame, 'rendered' | 'name' | 'timings' | 'labels' | 'grid'>): Promise<void> {
    const picture = r.rendered as NonNullable<typeof r.rendered>;
    this.#sink ??=
      this.kind === 'video'
        ? await openVideoWriter(this.output, { width: picture.width, height: picture.height, fps: this.write.fps ?? this.source.info.fps ?? 25, tool: this.write.tool })
        : await openFrameWriter(this.output);
    const t0 = performance.now();
    await this.#sink.write(picture, r.name !== undefined ? `${parsePath(r.name).name}.png` : undefined);
    this.stats.add({ ...r.timings, encode: performance.now() - t0 });
    if (this.write.labels !== undefined && r.labels) this.#labels.push(r.labels);
    this.#grid = r.grid;
  }

  /** Finishes the video or folder and writes the labels. */
  async close(): Promise<void> {
    await this.#sink?.close();
    this.stats.finish();
    if (this.stats.frames === 0) throw new DinoError('ERR_DINO_SOURCE', `No frames could be read from ${this.source.uri}`);
    const { rows, cols } = this.#grid;
    if (this.write.labels !== undefined && this.#labels.length > 0) {
      const all = new Int32Array(this.#labels.length * rows * cols);
      this.#labels.forEach((l, i) => all.set(l, i * l.length));
      await writeNpy(this.write.labels, all, [this.#labels.length, rows, cols]);
    }
  }

  /** Stops the encoder after a failure (the partial output is removed by the writer). */
  async abort(): Promise<void> {
    await this.#sink?.abort();
  }

  /**
   * Writes every result of a pipeline (`each` adds it) with a progress bar of `label`, up to
   * `maxFrames` of the source's frames when known, then closes; a failure aborts the output.
   */
  async writeAll<T>(results: AsyncIterable<T>, label: string, maxFrames: number | undefined, each: (r: T) => Promise<void>): Promise<void> {
    const known = this.source.info.frames;
    const bar = new ProgressBar(label, maxFrames !== undefined && known !== undefined ? Math.min(maxFrames, known) : (maxFrames ?? known));
    try {
      for await (const r of results) {
        await each(r);
        bar.update(this.stats.frames);
      }
      bar.finish();
    } catch (err) {
      bar.finish();
      await this.abort();
      throw err;
    }
    await this.close();
  }

  /** What was read, how fast each stage ran, and what was written. */
  summary(model: Model): string {
    const { source, output } = this;
    const info = source.info;
    return [
      `input ${source.decoder === 'images' ? 'images' : 'video'} ${source.uri}${info.width ? ` ${info.width}x${info.height}` : ''}${info.fps ? ` at ${info.fps.toFixed(2)} fps` : ''} (decoder ${source.decoder}), grid ${this.#grid.rows}x${this.#grid.cols}, backend ${model.backend}`,
      this.stats.summary(),
      `wrote ${this.stats.frames} frames to ${output} (${this.#sink?.encoder ?? '?'})${this.write.labels !== undefined && this.#labels.length > 0 ? `\nwrote ${this.write.labels}` : ''}`,
    ].join('\n');
  }
}
