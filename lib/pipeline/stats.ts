/**
 * Per-stage timing of a pipeline run: totals per stage and frames per second over the run.
 * @module
 */

import type { FrameTimings } from './frames';

/** Stages timed per frame (the keys of {@link FrameTimings} but latency, which is not a stage). */
export type Stage = Exclude<keyof FrameTimings, 'latency'>;

const LABELS: Record<Stage, string> = {
  capture: 'capture',
  preprocess: 'preprocess',
  inference: 'inference',
  analysis: 'analysis',
  render: 'render',
  encode: 'encode',
  wait: 'waiting for inference',
};

/**
 * Collects per-frame stage timings and reports frames per second.
 * @example
 * ```ts
 * const stats = new PipelineStats();
 * for await (const r of segmentVideo(model, 'clip.mp4', { k: 5 })) stats.add(r.timings);
 * console.error(stats.summary());
 * ```
 */
export class PipelineStats {
  readonly #totals = new Map<Stage, number>();
  readonly #start = performance.now();
  #end: number | undefined;
  frames = 0;

  /** Adds one frame's timings (a {@link FrameTimings} or any part of it; latency is not summed). */
  add(timings: Partial<FrameTimings>): void {
    this.frames++;
    for (const stage of Object.keys(LABELS) as Stage[]) {
      const ms = timings[stage];
      if (ms !== undefined) this.#totals.set(stage, (this.#totals.get(stage) ?? 0) + ms);
    }
  }

  /** Adds time to one stage of the last frame (e.g. encoding, timed by the caller). */
  addStage(stage: Stage, ms: number): void {
    this.#totals.set(stage, (this.#totals.get(stage) ?? 0) + ms);
  }

  /** Marks the end of the run (default: now, when read). */
  finish(): void {
    this.#end = performance.now();
  }

  /** Wall time of the run so far, ms. */
  get elapsedMs(): number {
    return (this.#end ?? performance.now()) - this.#start;
  }

  /** Frames per second over the whole run. */
  get fps(): number {
    return this.elapsedMs > 0 ? (this.frames * 1000) / this.elapsedMs : 0;
  }

  /** Mean milliseconds per frame of each stage that was timed. */
  perFrame(): Partial<Record<Stage, number>> {
    const out: Partial<Record<Stage, number>> = {};
    for (const [stage, total] of this.#totals) out[stage] = this.frames > 0 ? total / this.frames : 0;
    return out;
  }

  /**
   * Two lines: frames and FPS, then the mean time per frame of each stage. The stages run
   * overlapped (capture and rendering happen while inference runs), so they do not add up to
   * the time per frame; 'waiting for inference' is how long the pipeline stood idle.
   */
  summary(): string {
    const per = this.perFrame();
    const stages = (Object.keys(LABELS) as Stage[]).filter((s) => per[s] !== undefined).map((s) => `${LABELS[s]} ${(per[s] as number).toFixed(1)} ms`);
    return `${this.frames} frames in ${(this.elapsedMs / 1000).toFixed(2)} s: ${this.fps.toFixed(2)} fps\nper frame (stages overlap): ${stages.join(', ')}`;
  }
}
