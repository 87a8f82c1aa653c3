/**
 * Video decoding through ffmpeg and GStreamer: frame count and size, frame content, early stop
 * and abort kill the decoder, missing programs and bad files give coded errors.
 */
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { probeVideo, type VideoFrame } from '../../lib';
import { openVideo } from '../../lib/video/decoder';
import { findProgram } from '../../lib/video/programs';
import { hasFfmpeg, hasGstreamer, noteNoFfmpeg, processesWith, tempDir, testVideo } from './fixtures';

noteNoFfmpeg('video decoding tests');

async function collect(reader: AsyncIterable<VideoFrame>): Promise<VideoFrame[]> {
  const frames: VideoFrame[] = [];
  for await (const f of reader) frames.push(f);
  return frames;
}

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

describe.skipIf(!hasFfmpeg)('openVideo', () => {
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
    const reader = await openVideo(video);
    expect(reader.info).toMatchObject({ decoder: 'ffmpeg', width: 160, height: 120, frames: 40 });
    const frames = await collect(reader);
    expect(frames).toHaveLength(40);
    expect(frames.map((f) => f.index)).toEqual([...Array(40).keys()]);
    for (const f of frames) expect([f.width, f.height, f.format, f.data.length]).toEqual([160, 120, 'rgb', 160 * 120 * 3]);
    // the pattern moves: consecutive frames differ, but only a little
    const d = meanAbsDiff(frames[0]!.data, frames[1]!.data);
    expect(d).toBeGreaterThan(0.05);
    expect(d).toBeLessThan(40);
  });

  it.skipIf(!hasGstreamer)('GStreamer gives the same frames, also for widths whose rows GStreamer pads', async () => {
    for (const file of [video, odd]) {
      const a = await collect(await openVideo(file, { tool: 'ffmpeg' }));
      const reader = await openVideo(file, { tool: 'gstreamer' });
      expect(reader.info.decoder).toBe('gstreamer');
      const b = await collect(reader);
      expect(b).toHaveLength(a.length);
      expect(b[0]!.width).toBe(a[0]!.width);
      // the two decoders convert YUV to RGB slightly differently; a stride error would be far off
      for (let i = 0; i < a.length; i += 5) expect(meanAbsDiff(a[i]!.data, b[i]!.data)).toBeLessThan(4);
    }
  });

  it('stops the decoder when the loop breaks early', async () => {
    const reader = await openVideo(video);
    let n = 0;
    for await (const f of reader) {
      expect(f.index).toBe(n);
      if (++n === 3) {
        expect(await processesWith(video)).toBeGreaterThan(0);
        break;
      }
    }
    expect(await processesWith(video)).toBe(0);
  });

  it('honours maxFrames and AbortSignal (ERR_DINO_ABORTED, decoder gone)', async () => {
    expect(await collect(await openVideo(video, { maxFrames: 7 }))).toHaveLength(7);
    const ac = new AbortController();
    const reader = await openVideo(video, { signal: ac.signal });
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const f of reader) {
          seen.push(f.index);
          if (f.index === 4) ac.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: 'ERR_DINO_ABORTED' });
    expect(seen.at(-1)).toBe(4);
    expect(await processesWith(video)).toBe(0);
  });

  it('bad and missing files give ERR_DINO_SOURCE and ERR_DINO_FILE_NOT_FOUND', async () => {
    const bad = join(tmp.dir, 'bad.mp4');
    await writeFile(bad, 'this is not a video file\n'.repeat(100));
    await expect(openVideo(bad)).rejects.toMatchObject({ code: 'ERR_DINO_SOURCE' });
    await expect(openVideo(join(tmp.dir, 'missing.mp4'))).rejects.toMatchObject({ code: 'ERR_DINO_FILE_NOT_FOUND' });
    await expect(probeVideo(bad)).rejects.toMatchObject({ code: 'ERR_DINO_SOURCE' });
  });

  it.skipIf(!hasGstreamer)('a bad file through GStreamer is ERR_DINO_SOURCE too', async () => {
    const bad = join(tmp.dir, 'bad2.mp4');
    await writeFile(bad, Buffer.alloc(5000, 7));
    await expect(openVideo(bad, { tool: 'gstreamer' })).rejects.toMatchObject({ code: 'ERR_DINO_SOURCE' });
  });

  it('without ffmpeg on PATH it falls back to GStreamer; with neither: ERR_DINO_DECODER_MISSING', async () => {
    const empty = join(tmp.dir, 'bin-empty');
    const gstOnly = join(tmp.dir, 'bin-gst');
    await import('node:fs/promises').then((fs) => Promise.all([fs.mkdir(empty), fs.mkdir(gstOnly)]));
    await expect(withPath(empty, () => openVideo(video))).rejects.toMatchObject({ code: 'ERR_DINO_DECODER_MISSING' });
    await expect(withPath(empty, () => probeVideo(video))).rejects.toMatchObject({ code: 'ERR_DINO_DECODER_MISSING' });
    const gst = findProgram('gst-launch-1.0');
    if (!gst) return;
    await symlink(gst, join(gstOnly, 'gst-launch-1.0'));
    const frames = await withPath(gstOnly, async () => {
      const reader = await openVideo(video);
      expect(reader.info.decoder).toBe('gstreamer');
      expect(reader.info.frames).toBeUndefined();
      return collect(reader);
    });
    expect(frames).toHaveLength(40);
  });
});
