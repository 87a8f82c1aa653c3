/**
 * segmentStreams: several sources batched into one inference per round. Every frame of every
 * file in order, batches of the active sources, batched features equal to unbatched ones, each
 * stream with its own clusters; a stalled source does not hold up the others, a failing one is
 * reported and removed, a silent live one times out; early exit stops the decoders.
 */
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, segmentStreams, segmentVideo, type Model, type RawImage, type StreamResult } from '../../lib';
import { IterableSource } from '../../lib/video/sources/iterable-source';
import { tinyModel as fixedModel } from '../helpers/models';
import { decodeFrames, hasFfmpeg, noteNoFfmpeg, processesWith, tempDir, testVideo, tinyModel } from '../video/fixtures';

noteNoFfmpeg('segmentStreams tests');

async function all(it: AsyncIterable<StreamResult>): Promise<StreamResult[]> {
  const out: StreamResult[] = [];
  for await (const r of it) out.push(r);
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `count` frames of a video, after `delayMs` (a stalled camera), then `fail` (a broken one). */
async function* frames(images: readonly RawImage[], count: number, options: { delayMs?: number; fail?: boolean } = {}): AsyncGenerator<RawImage> {
  if (options.delayMs) await sleep(options.delayMs);
  for (let i = 0; i < count; i++) yield images[i % images.length] as RawImage;
  if (options.fail) throw new Error('camera unplugged');
}

describe.skipIf(!hasFfmpeg)('segmentStreams', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let model: Model;
  let a: string;
  let b: string;
  let images: RawImage[];
  beforeAll(async () => {
    tmp = await tempDir('streams');
    [model, a, b] = await Promise.all([
      tinyModel(tmp.dir).then((p) => loadModel(p)),
      testVideo(join(tmp.dir, 'a.mp4'), 20, 160, 120),
      testVideo(join(tmp.dir, 'b.mp4'), 12, 128, 96),
    ]);
    images = (await decodeFrames(b)).map((f) => ({ ...f, format: 'rgb' as const }));
  });
  afterAll(async () => {
    await model?.dispose();
    await tmp?.cleanup();
  });

  it('every frame of every file, in order, batched while both run; each stream as segmentVideo segments it alone', async () => {
    const events = await all(segmentStreams(model, [a, b], { k: 3, size: 128, batchDeadlineMs: 5000 }));
    const of = (s: number): Extract<StreamResult, { type: 'frame' }>[] => events.filter((e): e is Extract<StreamResult, { type: 'frame' }> => e.type === 'frame' && e.stream === s);
    expect(of(0).map((e) => e.result.index)).toEqual([...Array(20).keys()]);
    expect(of(1).map((e) => e.result.index)).toEqual([...Array(12).keys()]);
    // one batch of two per round while both files have frames, then the longer one alone
    expect(of(1).every((e) => e.batch === 2)).toBe(true);
    expect(of(0).map((e) => e.batch)).toEqual([...Array(12).fill(2), ...Array(8).fill(1)]);
    const ends = events.filter((e) => e.type === 'end');
    expect(ends.map((e) => [e.stream, e.uri])).toEqual([[1, `file://${b}`], [0, `file://${a}`]]);
    expect(of(0)[0]!.result.rendered).toMatchObject({ width: 160, height: 120 });
    expect(of(1)[0]!.result.rendered).toMatchObject({ width: 128, height: 96 });
    // Batched inference gives the features of single inference: the labels match segmentVideo's.
    for (const [s, file] of [[0, a], [1, b]] as const) {
      const alone: Int32Array[] = [];
      for await (const r of segmentVideo(model, file, { k: 3, size: 128 })) alone.push(r.labels!);
      const together = of(s).map((e) => e.result.labels!);
      let same = 0;
      let total = 0;
      for (let i = 0; i < alone.length; i++) for (let j = 0; j < alone[i]!.length; j++, total++) same += alone[i]![j] === together[i]![j] ? 1 : 0;
      expect(same / total).toBeGreaterThan(0.99);
    }
  });

  it('a model that takes one image per inference (fixed batch, or a TensorRT profile of max 1): rounds split to fit', async () => {
    await using one = await loadModel(fixedModel({ fixedSize: { height: 128, width: 128, batch: 1 } }));
    expect(one.maxBatch).toBe(1);
    expect(model.maxBatch).toBe(Infinity);
    const events = await all(segmentStreams(one, [a, b], { k: 3, batchDeadlineMs: 5000 }));
    const shown = events.filter((e) => e.type === 'frame');
    expect(shown).toHaveLength(32);
    expect(shown.every((e) => e.type === 'frame' && e.batch === 1)).toBe(true);
  });

  it('a stalled source does not hold up the others; a failing one is reported and removed', async () => {
    const t0 = performance.now();
    const arrivals: Array<[number, number]> = [];
    const events: StreamResult[] = [];
    const stalled = new IterableSource(frames(images, 2, { delayMs: 2500 }));
    const broken = new IterableSource(frames(images, 3, { fail: true }));
    for await (const e of segmentStreams(model, [a, stalled, broken], { pca: true, size: 128, batchDeadlineMs: 50 })) {
      events.push(e);
      if (e.type === 'frame') arrivals.push([e.stream, performance.now() - t0]);
    }
    const count = (s: number): number => arrivals.filter(([x]) => x === s).length;
    expect([count(0), count(1), count(2)]).toEqual([20, 2, 3]);
    const failed = events.find((e) => e.type === 'error');
    expect(failed).toMatchObject({ stream: 2, error: { code: 'ERR_DINO_SOURCE' } });
    expect(String((failed as { error: Error }).error.message)).toContain('camera unplugged');
    // the file's frames did not wait for the stalled source: most came before its first frame
    const firstStalled = arrivals.find(([s]) => s === 1)![1];
    expect(arrivals.filter(([s, t]) => s === 0 && t < firstStalled).length).toBeGreaterThan(10);
    expect(events.filter((e) => e.type === 'end').map((e) => e.stream).sort()).toEqual([0, 1]);
  });

  it('live: a source silent for frameTimeoutMs fails with ERR_DINO_SOURCE_TIMEOUT, the others go on', async () => {
    const silent = new IterableSource(frames(images, 1, { delayMs: 60_000 }));
    const events = await all(segmentStreams(model, [new IterableSource(frames(images, 8)), silent], { pca: true, size: 128, live: true, frameTimeoutMs: 300, batchDeadlineMs: 20 }));
    expect(events.filter((e) => e.type === 'frame' && e.stream === 0)).toHaveLength(8);
    expect(events.find((e) => e.stream === 1)).toMatchObject({ type: 'error', error: { code: 'ERR_DINO_SOURCE_TIMEOUT' } });
  });

  it('leaving early stops the decoders it started; bad inputs are coded errors', async () => {
    for await (const e of segmentStreams(model, [a, b], { k: 3, size: 128 })) {
      if (e.type === 'frame' && e.result.index === 2) break;
    }
    expect(await processesWith(a)).toBe(0);
    expect(await processesWith(b)).toBe(0);
    expect(() => segmentStreams(model, [], { k: 3 })).toThrow(expect.objectContaining({ code: 'ERR_DINO_INVALID_ARGUMENT' }));
    expect(() => segmentStreams(model, [a], { k: 65, size: 128 })).toThrow(/k = 65 is larger than the number of patches/);
    await expect(all(segmentStreams(model, [a, join(tmp.dir, 'missing.mp4')], { k: 3 }))).rejects.toMatchObject({ code: 'ERR_DINO_FILE_NOT_FOUND' });
  });
});
