/**
 * Several sources through one model, batched: each round takes one frame of every source that
 * delivers one within `batchDeadlineMs` and runs them as one batch (one ONNX Runtime call, one
 * TensorRT execution with batch N). A source with nothing by the deadline sits the round out, so
 * a stalled camera does not stall the others; a source that ends or fails is reported and
 * removed. Capture and inference of round n+1 overlap the caller's work on round n.
 *
 * In 'live' mode a source that delivers nothing for `frameTimeoutMs` fails
 * (ERR_DINO_SOURCE_TIMEOUT); in 'offline' mode a slow source is waited for, round after round.
 * @module
 */
import { DinoError, isDinoError, toDinoError } from '../errors';
import type { Features } from '../features';
import type { Model } from '../model/model';
import type { SizeLike } from '../util/size';
import { integer } from '../validate';
import type { VideoSource } from '../video/sources/source';
import { inferFrames, prepareFrame, type LoopFrame, type PreparedFrame } from './frames';

/** Defaults of the multi-source pipelines (segmentStreams, serveLive with several sources). */
export const STREAMS_DEFAULTS = { batchDeadlineMs: 40, frameTimeoutMs: 5000 } as const;

/** Validates the batching settings of a multi-source pipeline, defaults filled in. */
export function batchSettings(o: { batchDeadlineMs?: number | undefined; frameTimeoutMs?: number | undefined }): { batchDeadlineMs: number; frameTimeoutMs: number } {
  return {
    batchDeadlineMs: integer(o.batchDeadlineMs ?? STREAMS_DEFAULTS.batchDeadlineMs, 'batchDeadlineMs', 0, 60_000),
    frameTimeoutMs: integer(o.frameTimeoutMs ?? STREAMS_DEFAULTS.frameTimeoutMs, 'frameTimeoutMs', 1),
  };
}

export interface StreamsLoopOptions {
  mode: 'offline' | 'live';
  /** Model input size (default: the model's). */
  size?: SizeLike;
  /** How long a round waits for frames before it runs with those it has (ms). */
  batchDeadlineMs: number;
  /** Frames per source, at most. */
  maxFrames?: number;
  /** Live mode: how long a source may deliver nothing before it fails (ms). */
  frameTimeoutMs: number;
  signal?: AbortSignal;
}

/** What the loop yields: a source's frame with its features, or a source leaving the loop. */
export type StreamEvent =
  | { type: 'frame'; stream: number; frame: LoopFrame; /** Frames in this frame's inference batch. */ batch: number }
  | { type: 'end'; stream: number }
  | { type: 'error'; stream: number; error: DinoError };

interface Stream {
  index: number;
  source: VideoSource;
  yielded: number;
  /** performance.now() of the last frame (or of the start). */
  lastFrame: number;
}

interface Round {
  left: StreamEvent[];
  frames: Array<{ stream: Stream; prepared: PreparedFrame; features: Promise<Features>; /** Frames in its inference. */ batch: number }>;
  started: number;
  captureMs: number;
}

const now = (): number => performance.now();

/** Frames of several sources with their features, batched per round (see the module description). */
export async function* streamsLoop(model: Model, sources: readonly VideoSource[], o: StreamsLoopOptions): AsyncGenerator<StreamEvent> {
  let active: Stream[] = sources.map((source, index) => ({ index, source, yielded: 0, lastFrame: now() }));
  const limit = o.maxFrames ?? Infinity;
  const extractOptions = { ...(o.size === undefined ? {} : { size: o.size }), ...(o.signal ? { signal: o.signal } : {}) };

  const startRound = async (): Promise<Round | undefined> => {
    if (active.length === 0) return undefined;
    if (o.signal?.aborted) throw new DinoError('ERR_DINO_ABORTED', 'The pipeline was aborted', { cause: o.signal.reason });
    const started = now();
    const taken = await Promise.all(
      active.map(async (stream) => {
        try {
          const r = await stream.source.capture({ timeoutMs: o.batchDeadlineMs });
          return r.status === 'ok' && r.frame ? { stream, prepared: await prepareFrame(r.frame) } : { stream, status: r.status };
        } catch (err) {
          return { stream, error: toDinoError(err, 'ERR_DINO_SOURCE', undefined, `${stream.source.uri}`) };
        }
      }),
    );
    const t = now();
    const left: StreamEvent[] = [];
    const ready: Array<{ stream: Stream; prepared: PreparedFrame }> = [];
    for (const x of taken) {
      if ('prepared' in x && x.prepared) {
        x.stream.lastFrame = t;
        ready.push({ stream: x.stream, prepared: x.prepared });
      } else if ('error' in x && x.error) left.push({ type: 'error', stream: x.stream.index, error: x.error });
      else if ('status' in x && x.status === 'eos') left.push({ type: 'end', stream: x.stream.index });
      else if (o.mode === 'live' && t - x.stream.lastFrame > o.frameTimeoutMs) {
        left.push({ type: 'error', stream: x.stream.index, error: new DinoError('ERR_DINO_SOURCE_TIMEOUT', `No frame from ${x.stream.source.uri} within ${o.frameTimeoutMs} ms`) });
      }
    }
    for (const r of ready) if (++r.stream.yielded >= limit) left.push({ type: 'end', stream: r.stream.index });
    const gone = new Set(left.map((e) => e.stream));
    active = active.filter((s) => !gone.has(s.index));
    // One inference per round, split where the model takes smaller batches (a TensorRT profile).
    const features: Array<Promise<Features>> = [];
    for (let i = 0; i < ready.length; i += model.maxBatch) features.push(...inferFrames(model, ready.slice(i, i + model.maxBatch).map((r) => r.prepared), extractOptions));
    return { left, started, captureMs: t - started, frames: ready.map((r, i) => ({ ...r, features: features[i] as Promise<Features>, batch: Math.min(model.maxBatch, ready.length - i + (i % model.maxBatch)) })) };
  };

  const dispose = (round: Round | undefined): void => {
    for (const f of round?.frames ?? []) void f.features.then((x) => x.dispose(), () => undefined);
  };

  const indices = new Map<number, number>();
  let pending: Promise<Round | undefined> = startRound();
  pending.catch(() => undefined);
  let current: Round | undefined;
  try {
    for (;;) {
      current = await pending;
      if (!current) break;
      // The next round captures and infers while the caller works on this one.
      pending = startRound();
      pending.catch(() => undefined);
      for (const f of current.frames) {
        const waitStart = now();
        const features = await f.features;
        const wait = now() - waitStart;
        const index = indices.get(f.stream.index) ?? 0;
        indices.set(f.stream.index, index + 1);
        const { sequence, name, frame, width, height } = f.prepared;
        try {
          const t = features.timings;
          yield {
            type: 'frame',
            stream: f.stream.index,
            batch: f.batch,
            frame: { index, sequence, name, frame, width, height, features, timings: { capture: current.captureMs, preprocess: t.preprocessMs, inference: t.inferenceMs, wait }, capturedAt: current.started },
          };
        } finally {
          features.dispose();
        }
      }
      yield* current.left;
      current = undefined;
    }
    if (o.signal?.aborted) throw new DinoError('ERR_DINO_ABORTED', 'The pipeline was aborted', { cause: o.signal.reason });
  } catch (err) {
    if (o.signal?.aborted && !isDinoError(err, 'ERR_DINO_ABORTED')) throw new DinoError('ERR_DINO_ABORTED', 'The pipeline was aborted', { cause: err });
    throw err;
  } finally {
    active = [];
    dispose(current);
    dispose(await pending.catch(() => undefined));
  }
}
