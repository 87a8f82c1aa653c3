/**
 * What the offline presets (segmentVideo, trackVideo, segmentStreams) accept as input, and how
 * they open it: every frame, in order (no drop), the decoder the caller chose, at most
 * `maxFrames` read.
 * Internal: not part of the public API.
 * @module
 */
import type { RawImage } from '../image/input';
import { invalid, isObject } from '../validate';
import type { VideoTool } from '../video/programs';
import { IterableSource } from '../video/sources/iterable-source';
import { openSource, VideoSource } from '../video/sources/source';

/** A video file, an image folder, a source URI, an opened source or an async iterable of frames. */
export type OfflineInput = string | VideoSource | AsyncIterable<RawImage>;

/** Throws ERR_DINO_INVALID_ARGUMENT unless `input` is an {@link OfflineInput}. */
export function checkOfflineInput(input: unknown): asserts input is OfflineInput {
  if (typeof input !== 'string' && !(input instanceof VideoSource) && !(isObject(input) && Symbol.asyncIterator in input)) {
    invalid('input', 'a video file, an image folder, a source URI, a VideoSource or an async iterable of frames', input);
  }
}

/** Opens a path or URI for an offline pipeline: every frame, in order. */
export function openOffline(input: string, o: { tool: VideoTool; maxFrames: number | undefined }): Promise<VideoSource> {
  return openSource(input, { drop: false, decoder: o.tool, ...(o.maxFrames === undefined ? {} : { numBuffers: o.maxFrames }) });
}

/** The source of an input: opened here for a path or URI, wrapped for frames, or the caller's own. `owned`: dispose it when done. */
export async function offlineSource(input: OfflineInput, o: { tool: VideoTool; maxFrames: number | undefined }): Promise<{ source: VideoSource; owned: boolean }> {
  if (typeof input === 'string') return { source: await openOffline(input, o), owned: true };
  if (input instanceof VideoSource) return { source: input, owned: false };
  return { source: new IterableSource(input), owned: true };
}
