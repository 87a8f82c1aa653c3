/**
 * segmentVideo end to end on videos made by the test: frame count in = frame count out, results
 * in order, renders at frame size, colours stable on a static scene (<= 1 % of patches change
 * between consecutive frames), scene cuts re-clustered, clean-up on break and abort, and the
 * same frames through every decoder (capture module, ffmpeg, gst-launch-1.0).
 */
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { capabilities, loadModel, openSource, segmentVideo, type Model, type SegmentedFrame } from '../../lib';
import { changedShare } from '../helpers/stability';
import { paletteColors } from '../../lib/render/palettes';
import { countFrames, cutVideo, hasFfmpeg, noteNoFfmpeg, pixel, processesWith, staticVideo, tempDir, testVideo, tinyModel } from '../video/fixtures';

noteNoFfmpeg('segmentVideo tests');

async function all(it: AsyncIterable<SegmentedFrame>): Promise<SegmentedFrame[]> {
  const out: SegmentedFrame[] = [];
  for await (const r of it) out.push(r);
  return out;
}

/** Share of all patches that changed label between consecutive frames, over the whole run. */
function flicker(frames: readonly SegmentedFrame[]): { mean: number; worst: number } {
  let sum = 0;
  let worst = 0;
  for (let i = 1; i < frames.length; i++) {
    const c = changedShare(frames[i - 1]!.labels!, frames[i]!.labels!);
    sum += c;
    worst = Math.max(worst, c);
  }
  return { mean: sum / (frames.length - 1), worst };
}

describe.skipIf(!hasFfmpeg)('segmentVideo', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let model: Model;
  let moving: string;
  let still: string;
  beforeAll(async () => {
    tmp = await tempDir('pipeline');
    [model, moving, still] = await Promise.all([
      tinyModel(tmp.dir).then((p) => loadModel(p)),
      testVideo(join(tmp.dir, 'moving.mp4'), 40, 160, 120),
      staticVideo(join(tmp.dir, 'static.mp4'), 40, 160, 120),
    ]);
  });
  afterAll(async () => {
    await model?.dispose();
    await tmp?.cleanup();
  });

  it('yields one result per decoded frame, in order, rendered at frame size', async () => {
    const frames = await all(segmentVideo(model, moving, { k: 4, size: 128 }));
    expect(frames).toHaveLength(await countFrames(moving));
    expect(frames.map((f) => f.index)).toEqual([...Array(40).keys()]);
    const jet = paletteColors('jet', 4);
    for (const f of frames) {
      expect(f.grid).toEqual({ rows: 8, cols: 8 });
      expect(f.labels).toHaveLength(64);
      expect(f.centroids).toHaveLength(4 * 64);
      expect([f.rendered!.width, f.rendered!.height]).toEqual([160, 120]);
      expect(f.timings.inference).toBeGreaterThan(0);
    }
    // the render is the frame blended 0.6/0.4 with the label colour of each patch
    const f = frames[17]!;
    const x = 3 * 20 + 5;
    const y = 5 * 15 + 4; // patch (5, 3) of the 8x8 grid over 160x120
    const l = f.labels![5 * 8 + 3]!;
    const p = pixel(f.frame!, x, y);
    pixel(f.rendered!, x, y).forEach((v, i) => expect(Math.abs(v - (0.6 * p[i]! + 0.4 * jet[3 * l + i]!))).toBeLessThanOrEqual(1));
    expect(frames[0]!.reset).toBe('first');
    expect(frames.slice(1).every((r) => r.reset === undefined)).toBe(true);
  });

  it('keeps colours stable on a static scene: <= 1 % of patches change between frames', async () => {
    const stable = await all(segmentVideo(model, still, { k: 5, render: false }));
    const tutorial = await all(segmentVideo(model, still, { k: 5, render: false, stable: false }));
    const refreshed = await all(segmentVideo(model, still, { k: 5, render: false, refreshEvery: 1 }));
    const s = flicker(stable);
    const t = flicker(tutorial);
    const r = flicker(refreshed);
    console.info(
      `colour changes per frame on a static scene (14x14 patches, k=5): warm start ${(100 * s.mean).toFixed(2)} % (worst ${(100 * s.worst).toFixed(2)} %), ` +
        `re-clustered from scratch + matched ${(100 * r.mean).toFixed(2)} % (worst ${(100 * r.worst).toFixed(2)} %), ` +
        `tutorial (from scratch, unmatched) ${(100 * t.mean).toFixed(2)} % (worst ${(100 * t.worst).toFixed(2)} %)`,
    );
    expect(stable).toHaveLength(40);
    expect(s.mean).toBeLessThanOrEqual(0.01);
    expect(r.mean).toBeLessThanOrEqual(0.01);
    expect(refreshed.slice(1).every((f) => f.reset === 'refresh')).toBe(true);
  });

  it('re-clusters at a scene cut', async () => {
    const cut = await cutVideo(join(tmp.dir, 'cut.mp4'), 10, 10, 160, 120);
    const frames = await all(segmentVideo(model, cut, { k: 5, render: false }));
    expect(frames).toHaveLength(20);
    expect(frames.filter((f) => f.reset).map((f) => [f.index, f.reset])).toEqual([
      [0, 'first'],
      [10, 'scene-cut'],
    ]);
  });

  it('renders PCA pictures with signs kept from frame to frame', async () => {
    const frames = await all(segmentVideo(model, still, { pca: true, maxFrames: 6 }));
    expect(frames).toHaveLength(6);
    for (const f of frames) {
      expect(f.labels).toBeUndefined();
      expect(f.pca!.components).toBe(3);
      expect([f.rendered!.width, f.rendered!.height]).toEqual([160, 120]);
    }
    // a static scene: the PCA colours barely move once signs are aligned
    let diff = 0;
    const a = frames[4]!.pca!.bytes;
    const b = frames[5]!.pca!.bytes;
    for (let i = 0; i < a.length; i++) diff += Math.abs(a[i]! - b[i]!);
    expect(diff / a.length).toBeLessThan(20);
  });

  it('stops the decoder and the pending inferences when the loop breaks', async () => {
    let n = 0;
    for await (const r of segmentVideo(model, moving, { k: 3, tool: 'ffmpeg' })) {
      expect(r.index).toBe(n);
      if (++n === 4) break;
    }
    expect(await processesWith(moving)).toBe(0);
    // the model is still usable afterwards
    expect((await all(segmentVideo(model, moving, { k: 3, maxFrames: 2, render: false }))).length).toBe(2);
  });

  it('aborts with ERR_DINO_ABORTED', async () => {
    const ac = new AbortController();
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const r of segmentVideo(model, moving, { k: 3, signal: ac.signal, render: false, tool: 'ffmpeg' })) {
          seen.push(r.index);
          if (r.index === 2) ac.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: 'ERR_DINO_ABORTED' });
    expect(seen).toEqual([0, 1, 2]);
    expect(await processesWith(moving)).toBe(0);
  });

  it('refuses k larger than the patch count before opening anything', () => {
    expect(() => segmentVideo(model, '/no/such/video.mp4', { k: 65, size: 128 })).toThrow(expect.objectContaining({ code: 'ERR_DINO_INVALID_ARGUMENT' }));
  });

  it('reports a bad or missing video through the iterator', async () => {
    await expect(all(segmentVideo(model, join(tmp.dir, 'missing.mp4'), { k: 3 }))).rejects.toMatchObject({ code: 'ERR_DINO_FILE_NOT_FOUND' });
    const bad = join(tmp.dir, 'bad.mp4');
    await import('node:fs/promises').then((fs) => fs.writeFile(bad, 'garbage'));
    await expect(all(segmentVideo(model, bad, { k: 3 }))).rejects.toMatchObject({ code: 'ERR_DINO_SOURCE' });
  });

  it('gives the same labels whatever decodes the video, and takes an opened source', async () => {
    const decoders = [...(capabilities().gstreamer.available ? ['capture' as const] : []), 'ffmpeg' as const, 'gstreamer' as const];
    const labelsBy = new Map<string, number[][]>();
    for (const decoder of decoders) {
      const source = await openSource(moving, { decoder, drop: false });
      expect(source.decoder).toBe(decoder);
      const frames = await all(segmentVideo(model, source, { k: 3, size: 64, maxFrames: 6, render: false }));
      await source.dispose();
      labelsBy.set(decoder, frames.map((f) => [...f.labels!]));
    }
    const [first, ...rest] = [...labelsBy.values()];
    expect(first).toHaveLength(6);
    // H.264 decoders agree to the pixel or nearly: the clusters of the same frames match
    for (const other of rest) expect(other.flat().filter((l, i) => l !== first!.flat()[i]).length).toBeLessThanOrEqual(first!.flat().length * 0.05);
  });

  it('heatmap mode: the similarity map of one patch in every frame, over the frame', async () => {
    const frames = await all(segmentVideo(model, moving, { heatmap: { row: 2, col: 3 }, size: 128, maxFrames: 5 }));
    expect(frames).toHaveLength(5);
    for (const f of frames) {
      expect(f.labels).toBeUndefined();
      expect(f.heatmap!.target).toEqual({ row: 2, col: 3 });
      expect(f.heatmap!.values).toHaveLength(64);
      expect(f.heatmap!.values[2 * 8 + 3]).toBeCloseTo(1, 5); // the patch itself
      expect([f.rendered!.width, f.rendered!.height]).toEqual([160, 120]);
    }
    const byPixel = await all(segmentVideo(model, moving, { heatmap: { x: 3 * 20 + 5, y: 2 * 15 + 4 }, size: 128, maxFrames: 1, render: false }));
    expect(byPixel[0]!.heatmap!.target).toEqual({ row: 2, col: 3 });
    expect(() => segmentVideo(model, moving, { heatmap: { row: 1, col: 1 }, pca: true })).toThrow(expect.objectContaining({ code: 'ERR_DINO_INVALID_ARGUMENT' }));
  });

  it('takes any async iterable of frames', async () => {
    async function* frames(): AsyncGenerator<{ data: Uint8Array; width: number; height: number; format: 'rgb' }> {
      for (let i = 0; i < 3; i++) yield { data: new Uint8Array(64 * 48 * 3).fill(40 * i), width: 64, height: 48, format: 'rgb' };
    }
    const out = await all(segmentVideo(model, frames(), { k: 2, size: 64 }));
    expect(out.map((r) => [r.index, r.rendered!.width, r.rendered!.height])).toEqual([
      [0, 64, 48],
      [1, 64, 48],
      [2, 64, 48],
    ]);
  });
});
