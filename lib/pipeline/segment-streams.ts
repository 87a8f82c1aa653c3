/**
 * segmentStreams(): several cameras, streams or files through one model, their frames batched
 * into one inference per round (./streams.ts), analysed and rendered per stream with each
 * stream's own cluster colours — the multi-source preset beside segmentVideo.
 * @module
 */
import type { DinoError } from '../errors';
import type { Model } from '../model/model';
import { boolean, invalid } from '../validate';
import { openSource, VideoSource } from '../video/sources/source';
import { FrameAnalysis } from './frame-analysis';
import { openOffline } from './offline-input';
import { resolveSegmentConfig, segmentFrame, type SegmentedFrame, type SegmentVideoOptions } from './segment-video';
import { batchSettings, streamsLoop } from './streams';

/** Options of {@link segmentStreams}: those of {@link segmentVideo}, per stream, and the batching. */
export interface SegmentStreamsOptions extends Omit<SegmentVideoOptions, 'prefetch'> {
  /** How long a batch waits for the sources' frames before it runs with those it has (ms). Default 40. */
  batchDeadlineMs?: number;
  /**
   * Live sources: each source keeps only its newest frame (drop) and one silent for
   * `frameTimeoutMs` fails. Default false: every frame of every source, in order.
   */
  live?: boolean;
  /** Live mode: how long a source may send nothing before it fails (ms). Default 5000. */
  frameTimeoutMs?: number;
}

/** What {@link segmentStreams} yields: a stream's result, or a stream leaving (ended or failed). */
export type StreamResult =
  | { type: 'frame'; stream: number; uri: string; result: SegmentedFrame; /** Frames in the inference batch this frame was part of. */ batch: number }
  | { type: 'end'; stream: number; uri: string }
  | { type: 'error'; stream: number; uri: string; error: DinoError };

/**
 * Segments several sources at once (paths or URIs as {@link openSource} takes them, or opened
 * {@link VideoSource}s): each round, one frame of every source that has one within
 * `batchDeadlineMs` goes into one batched inference; clusters, colours, similarity maps or PCA
 * are per stream. A source that stalls sits rounds out without holding up the others; one that
 * ends or fails is reported (`type: 'end'` / `'error'`) and the others go on. Sources opened here
 * are disposed here; those passed in stay the caller's.
 *
 * @example
 * ```ts
 * for await (const r of segmentStreams(model, ['cam1.mp4', 'cam2.mp4'], { k: 5 })) {
 *   if (r.type === 'frame') console.log(r.stream, r.result.index, r.batch);
 *   else console.log(`${r.uri}: ${r.type}`);
 * }
 * ```
 * @throws DinoError (from the iterator) ERR_DINO_INVALID_ARGUMENT, ERR_DINO_ABORTED; a source
 *   that cannot be opened: ERR_DINO_FILE_NOT_FOUND, ERR_DINO_DECODER_MISSING, ERR_DINO_SOURCE.
 */
export function segmentStreams(model: Model, inputs: ReadonlyArray<string | VideoSource>, options: SegmentStreamsOptions): AsyncGenerator<StreamResult> {
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((i) => typeof i === 'string' || i instanceof VideoSource)) {
    invalid('inputs', 'a non-empty array of paths, URIs or VideoSources', inputs);
  }
  const config = resolveSegmentConfig(model, { ...options, prefetch: 1 });
  const live = boolean(options.live ?? false, 'live');
  const batching = batchSettings(options);
  return run();

  async function* run(): AsyncGenerator<StreamResult> {
    const opened: VideoSource[] = [];
    try {
      const sources: VideoSource[] = [];
      for (const input of inputs) {
        if (typeof input !== 'string') sources.push(input);
        else {
          const source = live ? await openSource(input, { decoder: config.tool }) : await openOffline(input, config);
          opened.push(source);
          sources.push(source);
        }
      }
      const streams = sources.map(() => ({ analysis: new FrameAnalysis(), mode: config.newMode() }));
      const loop = streamsLoop(model, sources, {
        mode: live ? 'live' : 'offline',
        size: config.size,
        ...batching,
        ...(config.maxFrames === undefined ? {} : { maxFrames: config.maxFrames }),
        ...(config.signal ? { signal: config.signal } : {}),
      });
      for await (const e of loop) {
        const uri = (sources[e.stream] as VideoSource).uri;
        if (e.type !== 'frame') {
          yield { ...e, uri };
          continue;
        }
        const { analysis, mode } = streams[e.stream] as (typeof streams)[number];
        yield { type: 'frame', stream: e.stream, uri, batch: e.batch, result: await segmentFrame(e.frame, analysis, mode, config) };
      }
    } finally {
      await Promise.all(opened.map((s) => s.dispose()));
    }
  }
}
