/**
 * Video sources: the URI grammar (testable without cameras) and the test://, file:// (video,
 * image, folder) sources through the native capture thread.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

import { capabilities } from '../lib';
import { buildPipeline, gstQuote } from '../lib/video/sources/pipeline';
import { openSource } from '../lib/video/sources/source';
import { parseSourceUri } from '../lib/video/sources/uri';
import { rejected } from './helpers/errors';

const capture = capabilities().gstreamer.available;
if (!capture) console.warn(`SKIPPED capture-source tests: ${capabilities().gstreamer.reason}`);
const tmp = mkdtempSync(join(tmpdir(), 'dinov3-src-'));

describe('source URIs', () => {
  it('parse the jetson-utils grammar and normalise shorthands', () => {
    expect(parseSourceUri('csi://0')).toEqual({ protocol: 'csi', uri: 'csi://0', location: '0' });
    expect(parseSourceUri('1')).toEqual({ protocol: 'csi', uri: 'csi://1', location: '1' });
    expect(parseSourceUri('/dev/video2')).toEqual({ protocol: 'v4l2', uri: 'v4l2:///dev/video2', location: '/dev/video2' });
    expect(parseSourceUri('v4l2:///dev/video0').location).toBe('/dev/video0');
    expect(parseSourceUri('rtsp://user:pw@10.0.0.2:554/cam').protocol).toBe('rtsp');
    expect(parseSourceUri('file://clip.mp4')).toEqual({ protocol: 'file', uri: `file://${resolve('clip.mp4')}`, location: resolve('clip.mp4') });
    expect(parseSourceUri('videos/a b.mp4').location).toBe(resolve('videos/a b.mp4'));
    expect(parseSourceUri('test://')).toEqual({ protocol: 'test', uri: 'test://smpte', location: 'smpte' });
    expect(parseSourceUri('test://ball').location).toBe('ball');
  });

  it('reject what they cannot mean', () => {
    expect(() => parseSourceUri('csi://front')).toThrow(/sensor number/);
    expect(() => parseSourceUri('test://plaid')).toThrow(/unknown test pattern 'plaid'/);
    expect(() => parseSourceUri('ftp://host/x')).toThrow(/unknown protocol 'ftp:\/\/'/);
    expect(() => parseSourceUri('')).toThrow(expect.objectContaining({ code: 'ERR_DINO_INVALID_ARGUMENT' }));
  });

  it('build GStreamer pipelines, zero-copy NVMM for CSI cameras', () => {
    expect(buildPipeline(parseSourceUri('csi://0'), { width: 1920, height: 1080, frameRate: 30, flipMethod: 2 }, true)).toBe(
      'nvarguscamerasrc sensor-id=0 ! video/x-raw(memory:NVMM),width=1920,height=1080,framerate=30/1,format=NV12 ! nvvidconv flip-method=2 ! video/x-raw(memory:NVMM),format=RGBA ! appsink name=sink sync=false',
    );
    expect(buildPipeline(parseSourceUri('csi://0'), {}, false)).toMatch(/nvvidconv flip-method=0 ! video\/x-raw,format=RGBA ! appsink name=sink sync=false/);
    expect(buildPipeline(parseSourceUri('test://ball'), { numBuffers: 5, width: 64, height: 48 }, false)).toBe(
      'videotestsrc pattern=ball is-live=false num-buffers=5 ! video/x-raw,format=RGBA,width=64,height=48,framerate=30/1 ! appsink name=sink sync=false',
    );
    expect(buildPipeline(parseSourceUri('/tmp/x "y".mp4'), {}, false)).toContain('filesrc location="/tmp/x \\"y\\".mp4"');
    expect(gstQuote('a\\b')).toBe('"a\\\\b"');
    expect(buildPipeline(parseSourceUri('rtsp://cam/stream'), { latency: 50 }, false)).toMatch(/^rtspsrc location="rtsp:\/\/cam\/stream" latency=50/);
  });
});

describe.skipIf(!capture)('capture sources', () => {
  it('test:// delivers the requested frames then eos, as an async iterable', async () => {
    const src = await openSource('test://red', { numBuffers: 12, width: 64, height: 48 });
    expect(src.uri).toBe('test://red');
    let n = 0;
    for await (const frame of src) {
      expect(frame.width).toBe(64);
      expect(frame.height).toBe(48);
      const px = frame.data!;
      expect([px[0], px[1], px[2]]).toEqual([255, 0, 0]);
      const raw = frame.toRawImage();
      expect(raw.format).toBe('rgba');
      frame.release();
      expect(frame.released).toBe(true);
      n++;
    }
    expect(n).toBe(12);
  });

  it('capture({ timeoutMs }) says ok, timeout and eos', async () => {
    await using src = await openSource('test://ball', { numBuffers: 3, width: 32, height: 32, live: true, frameRate: 5 });
    const statuses: string[] = [];
    for (;;) {
      const r = await src.capture({ timeoutMs: 50 });
      statuses.push(r.status);
      r.frame?.release();
      if (r.status === 'eos') break;
    }
    expect(statuses.filter((s) => s === 'ok')).toHaveLength(3);
    expect(statuses).toContain('timeout'); // 5 fps is slower than a 50 ms wait
    expect(statuses.at(-1)).toBe('eos');
  });

  it('running out of leases is an error, not a silent reuse', async () => {
    await using src = await openSource('test://snow', { numBuffers: 10, width: 32, height: 32, maxLeases: 2, drop: false });
    const a = await src.capture();
    const b = await src.capture();
    const err = await rejected(src.capture());
    expect(err.code).toBe('ERR_DINO_SOURCE');
    expect(err.message).toMatch(/leased/);
    a.frame!.release();
    expect((await src.capture()).status).toBe('ok');
    b.frame!.release();
  });

  it('file:// videos decode every frame in order; images and folders are sources too', async () => {
    const video = join(tmp, 'clip.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=96x64:rate=10:duration=2', '-pix_fmt', 'yuv420p', video]);
    let frames = 0;
    for await (const f of await openSource(`file://${video}`)) {
      expect([f.width, f.height]).toEqual([96, 64]);
      f.release();
      frames++;
    }
    expect(frames).toBe(20);
    const dir = join(tmp, 'frames');
    mkdirSync(dir);
    for (const i of [2, 1, 3]) await sharp({ create: { width: 8, height: 6, channels: 3, background: { r: i * 50, g: 0, b: 0 } } }).png().toFile(join(dir, `f${i}.png`));
    const reds: number[] = [];
    for await (const f of await openSource(dir)) {
      reds.push(f.data![0]!);
      f.release();
    }
    expect(reds).toEqual([50, 100, 150]);
  });

  it('errors: a missing file, a broken file', async () => {
    expect((await rejected(openSource(join(tmp, 'missing.mp4')))).code).toBe('ERR_DINO_FILE_NOT_FOUND');
    const broken = join(tmp, 'broken.mp4');
    writeFileSync(broken, 'not a video');
    const src = await openSource(broken);
    const err = await rejected(src.capture({ timeoutMs: 5000 }));
    expect(err.code).toBe('ERR_DINO_SOURCE');
    await src.dispose();
  });
});
