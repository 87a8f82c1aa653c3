/**
 * Video sources: the URI grammar (testable without cameras), and every URI kind through every
 * decoder this machine has: the native capture thread ('capture'), the ffmpeg and gst-launch-1.0
 * programs ('ffmpeg', 'gstreamer'), and images decoded in process ('images').
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { capabilities } from '../lib';
import { findProgram } from '../lib/video/programs';
import { buildPipeline, gstQuote } from '../lib/video/sources/pipeline';
import { openSource } from '../lib/video/sources/source';
import { parseSourceUri } from '../lib/video/sources/uri';
import { rejected } from './helpers/errors';

const capture = capabilities().gstreamer.available;
if (!capture) console.warn(`SKIPPED capture-source tests: ${capabilities().gstreamer.reason}`);
const programs = (['ffmpeg', 'gstreamer'] as const).filter((d) => findProgram(d === 'ffmpeg' ? 'ffmpeg' : 'gst-launch-1.0'));
/** Every decoder this machine has, the capture module first. */
const decoders = [...(capture ? ['capture' as const] : []), ...programs];
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
    // nvvidconv writes no 24-bit RGB: a program's pipe gets its RGBA through videoconvert
    expect(buildPipeline(parseSourceUri('csi://0'), {}, false, 'fdsink')).toMatch(/nvvidconv flip-method=0 ! video\/x-raw,format=RGBA ! videoconvert ! video\/x-raw,format=RGB ! fdsink fd=3 sync=false$/);
    expect(buildPipeline(parseSourceUri('test://ball'), { numBuffers: 5, width: 64, height: 48 }, false)).toBe(
      'videotestsrc pattern=ball is-live=false num-buffers=5 ! video/x-raw,format=RGB,width=64,height=48,framerate=30/1 ! appsink name=sink sync=false',
    );
    expect(buildPipeline(parseSourceUri('/tmp/x "y".mp4'), {}, false)).toContain('filesrc location="/tmp/x \\"y\\".mp4"');
    expect(gstQuote('a\\b')).toBe('"a\\\\b"');
    expect(buildPipeline(parseSourceUri('rtsp://cam/stream'), { latency: 50 }, false)).toMatch(/^rtspsrc location="rtsp:\/\/cam\/stream" latency=50/);
  });
});

describe.skipIf(!capture)('capture module sources', () => {
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
});

function clip(name: string, frames: number): string {
  const path = join(tmp, name);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=96x64:rate=10:duration=${frames / 10}`, '-pix_fmt', 'yuv420p', path]);
  return path;
}

describe.each(decoders.map((d) => [d]))('every URI kind through %s', (decoder) => {
  it('test:// delivers the requested frames in order at the requested size, then eos', async () => {
    const src = await openSource('test://red', { numBuffers: 6, width: 64, height: 48, decoder });
    expect(src.decoder).toBe(decoder);
    const sequences: number[] = [];
    for await (const frame of src) {
      expect([frame.width, frame.height, frame.memory]).toEqual([64, 48, 'system']);
      const raw = frame.toRawImage();
      expect(raw.format).toBe('rgb');
      const px = raw.data;
      expect(Math.abs(px[0]! - 255) + px[1]! + px[2]!).toBeLessThanOrEqual(6); // red (ffmpeg's colour conversion rounds)
      sequences.push(frame.sequence);
      frame.release();
    }
    expect(sequences).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('file:// and a bare path: every frame of a video in order', async () => {
    const video = clip(`clip-${decoder}.mp4`, 20);
    for (const uri of [`file://${video}`, video]) {
      const src = await openSource(uri, { decoder });
      expect(src.decoder).toBe(decoder);
      let frames = 0;
      for await (const f of src) {
        expect([f.width, f.height]).toEqual([96, 64]);
        f.release();
        frames++;
      }
      expect(frames).toBe(20);
    }
  });

  it('a file scaled to the requested size, stopped after numBuffers frames', async () => {
    const src = await openSource(clip(`scaled-${decoder}.mp4`, 20), { decoder, width: 48, height: 32, numBuffers: 7 });
    const sizes: number[][] = [];
    for await (const f of src) {
      sizes.push([f.width, f.height]);
      f.release();
    }
    expect(sizes).toEqual(Array(7).fill([48, 32]));
  });

  it('capture({ timeoutMs }) says ok, timeout and eos on a live test pattern', async () => {
    await using src = await openSource('test://ball', { numBuffers: 3, width: 32, height: 32, live: true, frameRate: 5, decoder });
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

  it('a live source keeps only the newest frames when the consumer is slow', async () => {
    await using src = await openSource('test://snow', { width: 32, height: 32, live: true, frameRate: 100, decoder });
    await new Promise((r) => setTimeout(r, 600));
    const r = await src.capture({ timeoutMs: 2000 });
    expect(r.status).toBe('ok');
    r.frame!.release();
    expect(src.stats().dropped).toBeGreaterThan(0);
  });

  it('errors: a missing file, a file that is not a video, a camera that is not there', async () => {
    expect((await rejected(openSource(join(tmp, 'missing.mp4'), { decoder }))).code).toBe('ERR_DINO_FILE_NOT_FOUND');
    const broken = join(tmp, `broken-${decoder}.mp4`);
    writeFileSync(broken, 'not a video');
    const firstFrame = async (uri: string): Promise<unknown> => {
      const src = await openSource(uri, { decoder });
      try {
        return await src.capture({ timeoutMs: 10_000 });
      } finally {
        await src.dispose();
      }
    };
    expect((await rejected(firstFrame(broken))).code).toBe('ERR_DINO_SOURCE');
    expect((await rejected(firstFrame('v4l2:///dev/video99'))).code).toBe('ERR_DINO_SOURCE');
  });
});

describe('images and folders (decoded in process, whatever the decoder)', () => {
  it('a folder reads in numeric name order; one image is a one-frame source', async () => {
    const dir = join(tmp, 'numbered');
    mkdirSync(dir);
    for (const i of [2, 10, 1]) await sharp({ create: { width: 8, height: 6, channels: 3, background: { r: i * 20, g: 0, b: 0 } } }).png().toFile(join(dir, `frame${i}.png`));
    writeFileSync(join(dir, 'notes.txt'), 'not an image');
    for (const uri of [dir, `file://${dir}`]) {
      const src = await openSource(uri);
      expect(src.decoder).toBe('images');
      const reds: number[] = [];
      for await (const f of src) {
        reds.push(f.data![0]!);
        f.release();
      }
      expect(reds).toEqual([20, 40, 200]); // frame1, frame2, frame10
    }
    const one = await openSource(join(dir, 'frame10.png'));
    const first = await one.capture();
    expect(first.frame!.width).toBe(8);
    first.frame!.release();
    expect((await one.capture()).status).toBe('eos');
  });

  it('an empty folder is ERR_DINO_INVALID_IMAGE, as in segment', async () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    const err = await rejected(openSource(empty));
    expect(err.code).toBe('ERR_DINO_INVALID_IMAGE');
    expect(err.message).toMatch(/No images/);
  });
});

/** The RTSP test server (test/fixtures/rtsp-server.py) needs Debian's python3-gi and GStreamer's RTSP server. */
const rtspServerWorks = ((): boolean => {
  const r = spawnSync('/usr/bin/python3', ['-c', "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"], { stdio: 'ignore' });
  return r.status === 0 && findProgram('gst-launch-1.0') !== undefined;
})();
if (!rtspServerWorks) console.warn('SKIPPED rtsp:// tests: /usr/bin/python3 with gi and gir1.2-gst-rtsp-server-1.0 not found (.ci/run installs them)');

describe.skipIf(!rtspServerWorks)('rtsp:// from a server on 127.0.0.1', () => {
  let server: ChildProcess;
  let url = '';
  beforeAll(async () => {
    server = spawn('/usr/bin/python3', [join(__dirname, 'fixtures', 'rtsp-server.py')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<string>((resolve, reject) => {
      server.stdout!.setEncoding('utf8').once('data', (s: string) => resolve(s.trim().split('\n')[0]!));
      server.once('exit', (code) => reject(new Error(`rtsp-server.py exited with ${code}`)));
    });
    url = `rtsp://127.0.0.1:${port}/test`;
  });
  afterAll(() => {
    server?.kill('SIGKILL');
  });

  it.each(decoders.map((d) => [d]))('%s: live frames of the stream at its own size, newest first', async (decoder) => {
    await using src = await openSource(url, { decoder, latency: 50 });
    expect(src.decoder).toBe(decoder);
    expect(src.protocol).toBe('rtsp');
    const sequences: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await src.capture({ timeoutMs: 15_000 });
      expect(r.status).toBe('ok');
      expect([r.frame!.width, r.frame!.height]).toEqual([160, 120]);
      sequences.push(r.frame!.sequence);
      r.frame!.release();
    }
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
  }, 60_000);
});

describe('decoder choice', () => {
  it('an unknown decoder is refused; csi:// has no ffmpeg path', async () => {
    expect((await rejected(openSource('test://ball', { decoder: 'vlc' as 'ffmpeg' }))).code).toBe('ERR_DINO_INVALID_ARGUMENT');
    const err = await rejected(openSource('csi://0', { decoder: 'ffmpeg' }));
    expect(err.code).toBe('ERR_DINO_DECODER_MISSING');
    expect(err.message).toMatch(/csi:\/\/ needs GStreamer/);
  });

  it.skipIf(!programs.includes('ffmpeg'))('rtsp:// through ffmpeg: a stream that does not answer is ERR_DINO_SOURCE', async () => {
    const err = await rejected(openSource('rtsp://127.0.0.1:9/none', { decoder: 'ffmpeg' }));
    expect(err.code).toBe('ERR_DINO_SOURCE');
  });
});
