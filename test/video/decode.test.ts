/**
 * Video files decoded by the ffmpeg and gst-launch-1.0 programs (openSource's path without the
 * capture module): frame count and size, frame content, scaling, early stop kills the decoder,
 * missing programs and bad files give coded errors.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openSource } from '../../lib';
import { probeVideo } from '../../lib/video/probe';
import { startDecoder } from '../../lib/video/decoder';
import { findProgram } from '../../lib/video/programs';
import { parseSourceUri } from '../../lib/video/sources/uri';
import { decodeFrames, hasFfmpeg, hasGstreamer, noteNoFfmpeg, processesWith, tempDir, testVideo } from './fixtures';

noteNoFfmpeg('video decoding tests');

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs((a[i] as number) - (b[i] as number));
  return s / a.length;
}

async function withPath<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = path;
  try {
    return await fn();
  } finally {
    process.env.PATH = saved;
  }
}

describe.skipIf(!hasFfmpeg)('decoding video files with programs', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let video: string;
  let odd: string;
  beforeAll(async () => {
    tmp = await tempDir('decode');
    video = await testVideo(join(tmp.dir, 'clip.mp4'), 40, 160, 120);
    odd = await testVideo(join(tmp.dir, 'odd-width.mp4'), 12, 162, 120);
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });

  it('probes size, rate and frame count', async () => {
    const info = await probeVideo(video);
    expect(info).toMatchObject({ width: 160, height: 120, fps: 25, frames: 40, framesExact: true, codec: 'h264' });
  });

  it('decodes every frame as packed RGB with ffmpeg', async () => {
    const source = await openSource(video, { decoder: 'ffmpeg' });
    expect([source.decoder, source.info]).toEqual(['ffmpeg', { width: 160, height: 120, fps: 25, frames: 40 }]);
    await source.dispose();
    const frames = await decodeFrames(video);
    expect(frames).toHaveLength(40);
    for (const f of frames) expect([f.width, f.height, f.data.length]).toEqual([160, 120, 160 * 120 * 3]);
    // the pattern moves: consecutive frames differ, but only a little
    const d = meanAbsDiff(frames[0]!.data, frames[1]!.data);
    expect(d).toBeGreaterThan(0.05);
    expect(d).toBeLessThan(40);
  });

  it.skipIf(!hasGstreamer)('GStreamer gives the same frames, also for widths whose rows GStreamer pads', async () => {
    for (const file of [video, odd]) {
      const a = await decodeFrames(file, 'ffmpeg');
      const b = await decodeFrames(file, 'gstreamer');
      expect(b).toHaveLength(a.length);
      expect(b[0]!.width).toBe(a[0]!.width);
      // the two decoders convert YUV to RGB slightly differently; a stride error would be far off
      for (let i = 0; i < a.length; i += 5) expect(meanAbsDiff(a[i]!.data, b[i]!.data)).toBeLessThan(4);
    }
  });

  it.each(hasGstreamer ? ['ffmpeg', 'gstreamer'] as const : ['ffmpeg'] as const)('%s scales to the requested size: the same picture, smaller', async (decoder) => {
    const [small, full] = [await decodeFrames(video, decoder, { width: 80, height: 64, numBuffers: 2 }), await decodeFrames(video, decoder, { numBuffers: 2 })];
    expect([small[0]!.width, small[0]!.height, full[0]!.width]).toEqual([80, 64, 160]);
    const means = (d: Uint8Array): number[] => [0, 1, 2].map((c) => d.filter((_, i) => i % 3 === c).reduce((a, b) => a + b, 0) / (d.length / 3));
    const [a, b] = [means(small[0]!.data), means(full[0]!.data)];
    for (let c = 0; c < 3; c++) expect(Math.abs(a[c]! - b[c]!)).toBeLessThan(3);
  });

  it('stops the decoder when the loop breaks early', async () => {
    let n = 0;
    for await (const f of await openSource(video, { decoder: 'ffmpeg' })) {
      expect(f.sequence).toBe(n);
      f.release();
      if (++n === 3) {
        expect(await processesWith(video)).toBeGreaterThan(0);
        break;
      }
    }
    expect(await processesWith(video)).toBe(0);
  });

  it('bad and missing files give ERR_DINO_SOURCE and ERR_DINO_FILE_NOT_FOUND', async () => {
    const bad = join(tmp.dir, 'bad.mp4');
    await writeFile(bad, 'this is not a video file\n'.repeat(100));
    await expect(openSource(bad, { decoder: 'ffmpeg' })).rejects.toMatchObject({ code: 'ERR_DINO_SOURCE' });
    await expect(openSource(join(tmp.dir, 'missing.mp4'), { decoder: 'ffmpeg' })).rejects.toMatchObject({ code: 'ERR_DINO_FILE_NOT_FOUND' });
    await expect(probeVideo(bad)).rejects.toMatchObject({ code: 'ERR_DINO_SOURCE' });
  });

  it.skipIf(!hasGstreamer)('a bad file through GStreamer is ERR_DINO_SOURCE too', async () => {
    const bad = join(tmp.dir, 'bad2.mp4');
    await writeFile(bad, Buffer.alloc(5000, 7));
    await expect(openSource(bad, { decoder: 'gstreamer' })).rejects.toMatchObject({ code: 'ERR_DINO_SOURCE' });
  });

  it('without ffmpeg on PATH it falls back to GStreamer; with neither: ERR_DINO_DECODER_MISSING', async () => {
    const empty = join(tmp.dir, 'bin-empty');
    const gstOnly = join(tmp.dir, 'bin-gst');
    await Promise.all([mkdir(empty), mkdir(gstOnly)]);
    // openSource's 'auto' takes the capture module where it is built: the programs' own 'auto' is tested here
    const file = parseSourceUri(video);
    await expect(withPath(empty, () => startDecoder(file, {}, 'auto'))).rejects.toMatchObject({ code: 'ERR_DINO_DECODER_MISSING' });
    await expect(withPath(empty, () => probeVideo(video))).rejects.toMatchObject({ code: 'ERR_DINO_DECODER_MISSING' });
    const gst = findProgram('gst-launch-1.0');
    if (!gst) return;
    await symlink(gst, join(gstOnly, 'gst-launch-1.0'));
    const started = await withPath(gstOnly, () => startDecoder(file, {}, 'auto'));
    started.child.kill();
    expect([started.decoder, started.info]).toEqual(['gstreamer', { width: 160, height: 120, fps: 25, frames: undefined }]);
  });
});
