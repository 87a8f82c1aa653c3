/**
 * The native capture binding (native/addon/capture_ops.cc over dinov3_capture.so) driven from
 * JavaScript with GStreamer's videotestsrc: frames and their layout, EOS, errors, leases, stop,
 * detaching released buffers, the GC safety net and env teardown (child processes and workers).
 * Skips visibly when the addon or its capture module is not built.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';

import { describe, expect, it } from 'vitest';

import type { NativeBinding, NativeCaptureEvent, NativeCaptureOptions, NativeCaptureSource, NativeFrame } from '../lib/binding';

const addonPath = resolve(__dirname, '..', 'build', 'Release', 'dinov3.node');

function loadAddon(): { binding?: NativeBinding; why?: string } {
  if (!existsSync(addonPath)) return { why: `${addonPath} is not built (npm run build:native)` };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const binding = require(addonPath) as NativeBinding;
  const capture = binding.capabilities().capture;
  if (!capture.available) return { why: `capture module unavailable: ${capture.reason ?? 'unknown reason'}` };
  return { binding };
}

const { binding, why } = loadAddon();
if (why) console.warn(`[skip] native capture tests: ${why}`);
const native = binding as NativeBinding;

const RGBA = 'video/x-raw,format=RGBA,width=64,height=48';

function testPipeline(frames: number, caps: string, pattern = 'red'): string {
  return `videotestsrc num-buffers=${frames} pattern=${pattern} ! ${caps} ! appsink name=sink sync=false`;
}

const liveRgba = 'videotestsrc is-live=true ! video/x-raw,format=RGBA,width=64,height=48,framerate=60/1 ! appsink name=sink';

interface Opened {
  source: NativeCaptureSource;
  events: NativeCaptureEvent[];
  /** Resolves at the first 'eos' or 'error' event. */
  ended: Promise<NativeCaptureEvent>;
  /** Resolves once `n` 'frame' events have arrived. */
  frames(n: number): Promise<void>;
}

function open(pipeline: string, options?: NativeCaptureOptions): Opened {
  const events: NativeCaptureEvent[] = [];
  let endResolve: (e: NativeCaptureEvent) => void = () => undefined;
  const ended = new Promise<NativeCaptureEvent>((r) => (endResolve = r));
  const waiters: { n: number; resolve: () => void }[] = [];
  const source = native.captureOpen(pipeline, options, (event) => {
    events.push(event);
    if (event.type !== 'frame') endResolve(event);
    const count = events.filter((e) => e.type === 'frame').length;
    for (const w of waiters.splice(0)) {
      if (count >= w.n) w.resolve();
      else waiters.push(w);
    }
  });
  const frames = (n: number): Promise<void> =>
    new Promise((r) => {
      if (events.filter((e) => e.type === 'frame').length >= n) r();
      else waiters.push({ n, resolve: r });
    });
  return { source, events, ended, frames };
}

function takeAll(source: NativeCaptureSource): NativeFrame[] {
  const frames: NativeFrame[] = [];
  for (let f = source.takeFrame(); f; f = source.takeFrame()) frames.push(f);
  return frames;
}

function codeOf(fn: () => unknown): { code?: unknown; message: string } {
  try {
    fn();
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    return { code: e.code, message: String(e.message) };
  }
  return { message: 'no error thrown' };
}

/** Runs `script` in a child node process (with the addon path in ADDON) and returns its result. */
function runChild(script: string, args: string[] = [], timeoutMs = 20_000) {
  return spawnSync(process.execPath, [...args, '-e', script], {
    env: { ...process.env, ADDON: addonPath },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
}

describe.skipIf(!binding)('native capture binding', () => {
  it('initialises GStreamer off the main thread', async () => {
    const info = await native.captureInit();
    expect(info.gstreamer).toMatch(/^GStreamer 1\.\d+\.\d+$/);
    expect(typeof info.nvmm).toBe('boolean');
    expect(native.capabilities().capture.version).toMatch(/^GStreamer 1\./);
  });

  it('delivers N red frames in order, then EOS', async () => {
    const { source, events, ended } = open(testPipeline(5, RGBA), { queueSize: 8, drop: false, maxLeases: 8 });
    expect((await ended).type).toBe('eos');
    expect(events.filter((e) => e.type === 'eos')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'frame').length).toBeGreaterThanOrEqual(1); // coalesced
    const frames = takeAll(source);
    expect(frames.map((f) => f.sequence)).toEqual([0, 1, 2, 3, 4]);
    for (const [i, f] of frames.entries()) {
      expect(f).toMatchObject({ width: 64, height: 48, format: 'RGBA', memory: 'system', pitch: 256, devicePointer: null });
      expect(f.planes).toEqual([{ offset: 0, pitch: 256, rows: 48 }]);
      expect(f.pts).toBe(Math.floor((i * 1e9) / 30));
      const data = f.data as Uint8Array;
      expect(data.byteLength).toBe(f.byteLength);
      expect(data.byteLength).toBeGreaterThanOrEqual(256 * 48);
      for (let p = 0; p < 64 * 48 * 4; p += 4) {
        if (data[p] !== 255 || data[p + 1] !== 0 || data[p + 2] !== 0 || data[p + 3] !== 255) {
          throw new Error(`pixel ${p / 4} of frame ${i} is not opaque red`);
        }
      }
      expect(f.released).toBe(false);
      f.release();
      expect(f.released).toBe(true);
      f.release(); // idempotent
    }
    expect(source.stats()).toEqual({ received: 5, dropped: 0, delivered: 5, leased: 0, queued: 0 });
    await source.stop();
    expect(source.stopped).toBe(true);
  });

  it('detaches the zero-copy data on release', async () => {
    const { source, ended } = open(testPipeline(1, RGBA), { drop: false });
    await ended;
    const frame = source.takeFrame() as NativeFrame;
    const data = frame.data as Uint8Array;
    const buffer = data.buffer;
    expect(data[0]).toBe(255);
    frame.release();
    expect(data.byteLength).toBe(0);
    expect(buffer.byteLength).toBe(0);
    expect(data[0]).toBeUndefined();
    expect(frame.data?.byteLength).toBe(0);
    await source.stop();
  });

  it('keeps only the newest frames in drop mode', async () => {
    const { source, ended } = open(testPipeline(10, RGBA), { queueSize: 2 });
    await ended;
    const frame = source.takeFrame() as NativeFrame;
    expect(frame.sequence).toBe(9);
    expect(source.takeFrame()).toBeNull();
    expect(source.stats()).toEqual({ received: 10, dropped: 9, delivered: 1, leased: 1, queued: 0 });
    frame.release();
    await source.stop();
  });

  it('throws ERR_DINO_SOURCE when every lease is held, and recovers on release', async () => {
    const { source, ended } = open(testPipeline(5, RGBA), { queueSize: 8, drop: false, maxLeases: 2 });
    await ended;
    const a = source.takeFrame() as NativeFrame;
    const b = source.takeFrame() as NativeFrame;
    const err = codeOf(() => source.takeFrame());
    expect(err.code).toBe('ERR_DINO_SOURCE');
    expect(err.message).toBe('all 2 frame buffers are leased; release() frames you are done with');
    expect(source.stats().leased).toBe(2);
    a.release();
    const c = source.takeFrame() as NativeFrame;
    expect(c.sequence).toBe(2);
    b.release();
    c.release();
    await source.stop();
  });

  it('exposes NV12 and I420 planes', async () => {
    const nv12 = open(testPipeline(1, 'video/x-raw,format=NV12,width=64,height=48'), { drop: false });
    await nv12.ended;
    const f = nv12.source.takeFrame() as NativeFrame;
    expect(f).toMatchObject({ format: 'NV12', pitch: 64, fullRange: false, byteLength: 64 * 48 * 1.5 });
    expect(f.planes).toEqual([
      { offset: 0, pitch: 64, rows: 48 },
      { offset: 64 * 48, pitch: 64, rows: 24 },
    ]);
    const data = f.data as Uint8Array;
    expect([data[0], data[64 * 48], data[64 * 48 + 1]]).toEqual([81, 90, 240]); // BT.601 red
    f.release();
    await nv12.source.stop();

    const i420 = open(testPipeline(1, 'video/x-raw,format=I420,width=63,height=47'), { drop: false });
    await i420.ended;
    const g = i420.source.takeFrame() as NativeFrame;
    expect(g.planes).toEqual([
      { offset: 0, pitch: 64, rows: 47 },
      { offset: 64 * 48, pitch: 32, rows: 24 },
      { offset: 64 * 48 + 32 * 24, pitch: 32, rows: 24 },
    ]);
    g.release();
    await i420.source.stop();
  });

  it('streams many pooled frames in order without drops in queue mode', async () => {
    const { source, ended } = open(testPipeline(300, 'video/x-raw,format=BGRx,width=320,height=240', 'smpte'), {
      queueSize: 2,
      drop: false,
    });
    let next = 0;
    let done = false;
    void ended.then(() => (done = true));
    while (true) {
      const f = source.takeFrame();
      if (f) {
        expect(f.sequence).toBe(next++);
        expect(f.data?.byteLength).toBe(320 * 240 * 4);
        f.release();
        continue;
      }
      if (done && source.stats().queued === 0) break;
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(next).toBe(300);
    expect(source.stats()).toMatchObject({ received: 300, dropped: 0, delivered: 300, leased: 0 });
    await source.stop();
  });

  it('stops a live source: stopped at once, takeFrame disposed, same promise, frames outlive it', async () => {
    const { source, events, frames } = open(liveRgba);
    await frames(2);
    const held = source.takeFrame() as NativeFrame;
    const t0 = Date.now();
    const p1 = source.stop();
    expect(source.stopped).toBe(true);
    expect(source.stop()).toBe(p1);
    expect(codeOf(() => source.takeFrame()).code).toBe('ERR_DINO_DISPOSED');
    await p1;
    expect(Date.now() - t0).toBeLessThan(3000);
    const count = events.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(events.length).toBe(count); // nothing after stop
    expect(events.some((e) => e.type !== 'frame')).toBe(false);
    expect((held.data as Uint8Array)[0]).toBe(255);
    held.release();
    expect(source.stats().leased).toBe(0);
  });

  it('reports a missing file as an error event naming the element and the path', async () => {
    const { source, ended } = open('filesrc location=/nonexistent/clip.mp4 ! decodebin ! videoconvert ! appsink name=sink');
    const event = await ended;
    expect(event.type).toBe('error');
    expect(event.message).toContain('filesrc0:');
    expect(event.message).toContain('/nonexistent/clip.mp4');
    expect(source.takeFrame()).toBeNull();
    await source.stop();
  });

  it('reports unusable caps with the fix', async () => {
    const { ended, source } = open(testPipeline(2, 'video/x-raw,format=YUY2,width=16,height=8'));
    const event = await ended;
    expect(event.type).toBe('error');
    expect(event.message).toContain('YUY2');
    expect(event.message).toContain('videoconvert ! video/x-raw,format=RGBA');
    await source.stop();
  });

  it('rejects bad pipelines and options synchronously', () => {
    const noop = (): void => undefined;
    const missing = codeOf(() => native.captureOpen('videotestsrc ! nosuchelement ! appsink name=sink', {}, noop));
    expect(missing.code).toBe('ERR_DINO_SOURCE');
    expect(missing.message).toContain('nosuchelement');
    const noSink = codeOf(() => native.captureOpen('videotestsrc ! fakesink', undefined, noop));
    expect(noSink.code).toBe('ERR_DINO_SOURCE');
    expect(noSink.message).toContain('no appsink named "sink"');
    expect(codeOf(() => native.captureOpen('videotestsrc ! appsink name=sink', { queueSize: 0 }, noop)).code).toBe(
      'ERR_DINO_INVALID_ARGUMENT',
    );
    expect(
      codeOf(() => native.captureOpen('videotestsrc ! appsink name=sink', { drop: 'yes' as unknown as boolean }, noop)).code,
    ).toBe('ERR_DINO_INVALID_ARGUMENT');
    expect(
      codeOf(() => native.captureOpen('videotestsrc ! appsink name=sink', {}, undefined as unknown as () => void)).code,
    ).toBe('ERR_DINO_INVALID_ARGUMENT');
    expect(codeOf(() => native.captureOpen(42 as unknown as string, {}, noop)).code).toBe('ERR_DINO_INVALID_ARGUMENT');
    if (!native.capabilities().capture.version?.includes('NVMM')) {
      const nvmm = codeOf(() => native.captureOpen('videotestsrc ! appsink name=sink', { nvmm: true }, noop));
      expect(nvmm.code).toBe('ERR_DINO_SOURCE');
      expect(nvmm.message).toContain('built without NVMM');
    }
  });

  it('coalesces frame events from a fast source', async () => {
    const { source, events, frames } = open(
      'videotestsrc is-live=true ! video/x-raw,format=GRAY8,width=16,height=16,framerate=1000/1 ! appsink name=sink',
    );
    await frames(1);
    const block = Date.now() + 200; // keep the event loop busy: frames pile up meanwhile
    while (Date.now() < block) {
      /* busy */
    }
    await new Promise((r) => setTimeout(r, 20));
    const received = source.stats().received;
    const frameEvents = events.filter((e) => e.type === 'frame').length;
    expect(received).toBeGreaterThan(20);
    expect(frameEvents).toBeLessThan(received / 4);
    await source.stop();
  });

  it('releases forgotten frames through the garbage collector (child with --expose-gc)', () => {
    const script = `
      const b = require(process.env.ADDON);
      const s = b.captureOpen('videotestsrc num-buffers=6 ! video/x-raw,format=RGBA,width=32,height=32 ! appsink name=sink sync=false',
        { queueSize: 8, drop: false, maxLeases: 2 }, async (e) => {
          if (e.type !== 'eos') return;
          (() => { s.takeFrame(); s.takeFrame(); })(); // two frames taken and forgotten
          try { s.takeFrame(); console.log('no-throw'); } catch (err) { console.log('exhausted', err.code); }
          for (let i = 0; i < 10 && s.stats().leased > 0; i++) { global.gc(); await new Promise((r) => setImmediate(r)); }
          console.log('leased-after-gc', s.stats().leased);
          const f = s.takeFrame(); console.log('took', f.sequence);
          const d = f.data; f.release(); console.log('detached', d.byteLength);
          await s.stop(); console.log('stopped');
        });`;
    const r = runChild(script, ['--expose-gc']);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      'exhausted ERR_DINO_SOURCE',
      'leased-after-gc 0',
      'took 2',
      'detached 0',
      'stopped',
    ]);
    expect(r.status).toBe(0);
  });

  it('keeps a frame readable while only its data is referenced', () => {
    const script = `
      const b = require(process.env.ADDON);
      const s = b.captureOpen('videotestsrc num-buffers=1 pattern=red ! video/x-raw,format=RGBA,width=32,height=32 ! appsink name=sink sync=false',
        { drop: false }, async (e) => {
          if (e.type !== 'eos') return;
          const data = (() => s.takeFrame().data)();      // the frame object itself is garbage
          for (let i = 0; i < 5; i++) { global.gc(); await new Promise((r) => setImmediate(r)); }
          console.log('leased', s.stats().leased, 'pixel', data[0], data[1], data[3]);
          await s.stop();
        });`;
    const r = runChild(script, ['--expose-gc']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('leased 1 pixel 255 0 255');
    expect(r.status).toBe(0);
  });

  it('lets the process exit while a live source runs unref()d, and on process.exit()', () => {
    const unref = runChild(`
      const b = require(process.env.ADDON);
      const s = b.captureOpen(${JSON.stringify(liveRgba)}, {}, (e) => { if (e.type === 'frame') { const f = s.takeFrame(); if (f) f.release(); } });
      s.unref();
      setTimeout(() => console.log('timer done'), 300);`);
    expect(unref.error).toBeUndefined();
    expect(unref.stdout.trim()).toBe('timer done');
    expect(unref.status).toBe(0);

    const exit = runChild(`
      const b = require(process.env.ADDON);
      const held = [];
      const s = b.captureOpen(${JSON.stringify(liveRgba)}, { maxLeases: 2 }, (e) => {
        if (e.type !== 'frame') return;
        if (held.length < 2) { const f = s.takeFrame(); if (f) held.push(f); }
        else { console.log('exiting'); process.exit(3); }
      });`);
    expect(exit.error).toBeUndefined();
    expect(exit.stdout.trim()).toBe('exiting');
    expect(exit.status).toBe(3);

    const ended = runChild(`
      const b = require(process.env.ADDON);
      const s = b.captureOpen('videotestsrc num-buffers=3 ! video/x-raw,format=RGBA,width=8,height=8 ! appsink name=sink sync=false', {}, (e) => {
        if (e.type === 'eos') console.log('eos');
      });`); // never stopped: a finished source does not keep the loop alive
    expect(ended.error).toBeUndefined();
    expect(ended.stdout.trim()).toBe('eos');
    expect(ended.status).toBe(0);
  });

  it('stops a running source when its worker thread is terminated', async () => {
    const worker = new Worker(
      `
      const { parentPort } = require('node:worker_threads');
      const b = require(${JSON.stringify(addonPath)});
      let held;
      const s = b.captureOpen(${JSON.stringify(liveRgba)}, {}, (e) => {
        if (e.type === 'frame' && !held) { held = s.takeFrame(); parentPort.postMessage('running'); }
      });`,
      { eval: true },
    );
    await new Promise<void>((resolvePromise, reject) => {
      worker.once('message', () => resolvePromise());
      worker.once('error', reject);
    });
    const code = await worker.terminate();
    expect(code).toBe(1);
    // The main thread's own capture still works afterwards.
    const { source, ended } = open(testPipeline(1, RGBA), { drop: false });
    await ended;
    (source.takeFrame() as NativeFrame).release();
    await source.stop();
  });
});

describe.skipIf(!binding)('native capture binding without its module file', () => {
  it('reports the missing dinov3_capture.so with ERR_DINO_SOURCE and the reason', () => {
    // The addon alone, copied where no dinov3_capture.so sits next to it.
    const dir = mkdtempSync(join(tmpdir(), 'dinov3-capture-'));
    try {
      copyFileSync(addonPath, join(dir, 'dinov3.node'));
      const r = runChild(`
        const b = require(${JSON.stringify(join(dir, 'dinov3.node'))});
        const cap = b.capabilities().capture;
        let code, message;
        try { b.captureOpen('videotestsrc ! appsink name=sink', {}, () => {}); } catch (e) { code = e.code; message = e.message; }
        b.captureInit().then(() => console.log('resolved'), (e) => console.log(JSON.stringify({ cap, code, message, initCode: e.code })));`);
      expect(r.stderr).toBe('');
      const out = JSON.parse(r.stdout) as { cap: { compiled: boolean; available: boolean; reason: string }; code: string; message: string; initCode: string };
      expect(out.cap).toMatchObject({ compiled: false, available: false });
      expect(out.code).toBe('ERR_DINO_SOURCE');
      expect(out.initCode).toBe('ERR_DINO_SOURCE');
      expect(out.message).toContain('video capture is not available: dinov3_capture.so was not built');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!!binding || !existsSync(addonPath))('native capture binding (module not built)', () => {
  it('fails with ERR_DINO_SOURCE and the reason', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const b = require(addonPath) as NativeBinding;
    const err = codeOf(() => b.captureOpen('videotestsrc ! appsink name=sink', {}, () => undefined));
    expect(err.code).toBe('ERR_DINO_SOURCE');
    await expect(b.captureInit()).rejects.toMatchObject({ code: 'ERR_DINO_SOURCE' });
  });
});
