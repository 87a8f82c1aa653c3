/** Video encoding (ffmpeg and GStreamer) and PNG frame directories: frames in = frames out. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openVideoWriter, type RgbImage } from '../../lib';
import { probeVideo } from '../../lib/video/probe';
import { openFrameWriter } from '../../lib/video/frame-writer';
import { countFrames, decodeFrames, hasFfmpeg, hasGstreamer, noteNoFfmpeg, pixel, readPng, tempDir } from './fixtures';

noteNoFfmpeg('video encoding tests');

function frame(i: number, width = 96, height = 64): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const x = p % width;
    data.set([(x * 2 + i * 6) & 255, 128, i * 9], p * 3);
  }
  return { data, width, height };
}

describe.skipIf(!hasFfmpeg)('openVideoWriter', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir('encode');
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });

  it('writes every frame with ffmpeg (H.264 where available) at the given rate', async () => {
    const out = join(tmp.dir, 'out.mp4');
    const w = await openVideoWriter(out, { width: 96, height: 64, fps: 10 });
    expect(w.encoder).toMatch(/^ffmpeg (libx264|mpeg4)$/);
    for (let i = 0; i < 30; i++) await w.write(frame(i));
    await w.close();
    expect(w.written).toBe(30);
    expect(await probeVideo(out)).toMatchObject({ width: 96, height: 64, fps: 10 });
    expect(await countFrames(out)).toBe(30);
    // and the content survives (lossy, so approximately)
    const back = await decodeFrames(out);
    const expected = frame(20);
    for (const c of [1, 2]) expect(Math.abs(pixel(back[20]!, 40, 30)[c]! - pixel(expected, 40, 30)[c]!)).toBeLessThan(12);
  });

  it('pads odd sizes by one pixel for yuv420p and keeps every frame', async () => {
    const out = join(tmp.dir, 'odd.mp4');
    const w = await openVideoWriter(out, { width: 95, height: 63, fps: 10 });
    for (let i = 0; i < 5; i++) await w.write(frame(i, 95, 63));
    await w.close();
    expect(await countFrames(out)).toBe(5);
    expect(await probeVideo(out)).toMatchObject({ width: 96, height: 64 });
  });

  it.skipIf(!hasGstreamer)('writes every frame with GStreamer too', async () => {
    const out = join(tmp.dir, 'gst.mp4');
    const w = await openVideoWriter(out, { width: 96, height: 64, fps: 25, tool: 'gstreamer' });
    expect(w.encoder).toMatch(/^gstreamer /);
    for (let i = 0; i < 20; i++) await w.write(frame(i));
    await w.close();
    expect(await countFrames(out)).toBe(20);
    expect(await probeVideo(out)).toMatchObject({ width: 96, height: 64, fps: 25 });
  });

  it('refuses frames of another size and reports a failing encoder with ERR_DINO_ENCODER', async () => {
    const w = await openVideoWriter(join(tmp.dir, 'size.mp4'), { width: 96, height: 64 });
    await expect(w.write(frame(0, 32, 32))).rejects.toMatchObject({ code: 'ERR_DINO_SHAPE_MISMATCH' });
    await w.abort();
    const bad = await openVideoWriter(join(tmp.dir, 'no-such-dir', 'x.mp4'), { width: 96, height: 64 });
    await expect(
      (async () => {
        for (let i = 0; i < 50; i++) await bad.write(frame(i));
        await bad.close();
      })(),
    ).rejects.toMatchObject({ code: 'ERR_DINO_ENCODER' });
  });
});

describe('openFrameWriter', () => {
  it('writes numbered PNGs with the frames\' pixels', async () => {
    const tmp = await tempDir('frames');
    try {
      const dir = join(tmp.dir, 'frames');
      const w = await openFrameWriter(dir);
      for (let i = 0; i < 3; i++) await w.write(frame(i));
      await w.write(frame(9), 'named.png');
      await w.close();
      expect((await readdir(dir)).sort()).toEqual(['frame-000001.png', 'frame-000002.png', 'frame-000003.png', 'named.png']);
      const png = await readPng(join(dir, 'frame-000002.png'));
      expect(pixel(png, 5, 5)).toEqual(pixel(frame(1), 5, 5));
    } finally {
      await tmp.cleanup();
    }
  });
});
