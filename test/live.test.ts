/**
 * Live video on the CPU backend: test:// and file:// sources through the whole pipeline (frames
 * -> inference -> k-means / heatmap / PCA -> render -> JPEG), settings changed while it runs, the
 * live page in headless Chromium (frames arriving, a click switching to the heatmap view, a
 * screenshot), and clean stops — with frames from the capture module where it is built and from
 * a decoder program (ffmpeg) everywhere, so `dinov3 live` works on a fresh install.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { capabilities, LiveControls, loadModel, openSource, segmentStream, serveLive } from '../lib';
import { main } from '../lib/cli/main';
import { tinyModel } from './helpers/models';
import { projectRoot } from './helpers/shared';

// The page functions below run in the browser; this is all of the DOM they touch.
declare const document: {
  body: { dataset: Record<string, string | undefined> };
  getElementById(id: string): { naturalWidth: number } | null;
};

const capture = capabilities().gstreamer.available;
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (!capture) console.warn(`SKIPPED live tests through the capture module: ${capabilities().gstreamer.reason}`);
if (!chromium) console.warn('SKIPPED live-page browser test: Chromium not installed (apt-get install chromium)');
const decoders = [...(capture ? ['capture' as const] : []), 'ffmpeg' as const];

describe.each(decoders.map((d) => [d]))('live pipeline, frames from %s', (decoder) => {
  it('segments a test:// stream; k, mode and point change while it runs', async () => {
    await using model = await loadModel(tinyModel({ depth: 1 }));
    const source = await openSource('test://ball', { width: 160, height: 120, numBuffers: 40, drop: false, decoder });
    expect(source.decoder).toBe(decoder);
    const controls = new LiveControls({ k: 3 });
    const seen: Array<{ mode: string; k: number; labels: number }> = [];
    for await (const f of segmentStream(model, source, { controls, size: 112, jpegQuality: 70 })) {
      expect(f.rendered.width).toBe(160);
      expect(f.jpeg?.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
      seen.push({ mode: f.settings.mode, k: f.settings.k, labels: f.labels ? new Set(f.labels).size : 0 });
      if (f.index === 9) controls.update({ k: 5 });
      if (f.index === 19) controls.update({ mode: 'heatmap', point: { x: 10, y: 10 } });
      if (f.index === 24) expect(f.heatmap?.target).toEqual({ row: 0, col: 0 });
      if (f.index === 29) controls.update({ mode: 'pca' });
      if (f.index >= 29) expect(f.pca === undefined).toBe(f.settings.mode !== 'pca');
      expect(f.timings.inference).toBeGreaterThan(0);
    }
    await source.dispose();
    expect(seen.length).toBe(40);
    expect(seen[5]).toMatchObject({ mode: 'segment', k: 3 });
    expect(seen[15]).toMatchObject({ mode: 'segment', k: 5 });
    expect(seen[15]!.labels).toBeGreaterThan(3);
    expect(seen[25]).toMatchObject({ mode: 'heatmap' });
    expect(seen[35]).toMatchObject({ mode: 'pca' });
  });

  it('stops cleanly when the consumer leaves early, and on EOS', async () => {
    await using model = await loadModel(tinyModel({ depth: 1 }));
    const source = await openSource('test://snow', { width: 64, height: 64, live: true, frameRate: 100, decoder });
    let n = 0;
    for await (const f of segmentStream(model, source, { k: 2, size: 64 })) {
      if (++n === 5) break;
      expect(f.labels?.length).toBe(16);
    }
    await source.dispose(); // the capture thread stops; no hang
    expect(source.stats().received).toBeGreaterThanOrEqual(5);
  });

  it('keeps as many frames in inference as the model has sessions, in capture order', async () => {
    await using model = await loadModel(tinyModel({ depth: 1 }), { sessions: 2, threads: 1 });
    const source = await openSource('test://ball', { width: 96, height: 64, numBuffers: 12, drop: false, decoder });
    const sequences: number[] = [];
    for await (const f of segmentStream(model, source, { k: 2, size: 64 })) {
      expect(f.index).toBe(sequences.length);
      sequences.push(f.sequence);
    }
    expect(sequences).toHaveLength(12);
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    await source.dispose();
  });

  it('dinov3 live --record writes the rendered frames to a video and to PNG frames', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dinov3-live-rec-'));
    const video = join(dir, 'live.mp4');
    const model = tinyModel({ depth: 1 });
    const run = async (...args: string[]): Promise<string> => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(['live', '--model', model, '--source', 'test://ball', '--width', '160', '--height', '120', '--frames', '12', '--port', '0', '--quiet', '--decoder', decoder, ...args], (s) => out.push(s), (s) => err.push(s));
      expect(code, err.join('\n')).toBe(0);
      return out.join('\n');
    };
    expect(await run('--record', video)).toMatch(new RegExp(`frames from ${decoder}[\\s\\S]*recorded 12 frames`));
    const probe = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames,width,height', '-of', 'csv=p=0', video], { encoding: 'utf8' });
    expect(probe.trim()).toBe('160,120,12');
    await run('--record', `${join(dir, 'frames')}/`);
    expect(readdirSync(join(dir, 'frames')).filter((n) => n.endsWith('.png'))).toHaveLength(12);
  });

  it.skipIf(!chromium)('the live page in headless Chromium: frames arrive, a click switches to the heatmap', async () => {
    const { chromium: pw } = await import('playwright-core');
    await using model = await loadModel(tinyModel({ depth: 1 }));
    const source = await openSource('test://ball', { width: 320, height: 240, live: true, frameRate: 15, decoder });
    const live = await serveLive(model, source, { port: 0, k: 4, size: 224, title: 'dinov3 live test' });
    expect(live.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const browser = await pw.launch({
      executablePath: chromium,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
      await page.goto(live.url);
      await page.waitForFunction(() => Number(document.body.dataset.frames ?? 0) >= 3, undefined, { timeout: 30_000 });
      await page.waitForFunction(() => document.getElementById('view')?.naturalWidth === 320, undefined, { timeout: 30_000 });
      expect(await page.textContent('#stats')).toMatch(/fps/);
      expect(await page.getAttribute('#mode-segment', 'class')).toBe('active');
      const box = (await page.locator('#view').boundingBox())!;
      await page.mouse.click(box.x + box.width * 0.25, box.y + box.height * 0.5);
      await page.waitForFunction(() => document.body.dataset.mode === 'heatmap', undefined, { timeout: 30_000 });
      const settings = (await (await fetch(`${live.url}settings`)).json()) as { mode: string; point: { x: number; y: number } };
      expect(settings.mode).toBe('heatmap');
      expect(settings.point.x).toBeGreaterThan(70);
      expect(settings.point.x).toBeLessThan(90);
      expect(settings.point.y).toBeGreaterThan(110);
      expect(settings.point.y).toBeLessThan(130);
      const frames = Number(await page.evaluate(() => document.body.dataset.frames));
      await page.waitForFunction((n) => Number(document.body.dataset.frames) > n + 2, frames, { timeout: 30_000 });
      const dir = join(projectRoot, '.cache', 'screenshots');
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: join(dir, 'live-page.png') });
      const bad = await fetch(`${live.url}control`, { method: 'POST', body: '{"k": 99}' });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { message: string }).message).toMatch(/between 1 and 64/);
    } finally {
      await browser.close();
      await live.stop();
    }
  }, 120_000);
});

describe('dinov3 live on a video file', () => {
  it('serves file://clip.mp4 through ffmpeg (no capture module needed) and records every frame', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dinov3-live-file-'));
    const clip = join(dir, 'clip.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10:duration=1.5', '-pix_fmt', 'yuv420p', clip]);
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['live', '--model', tinyModel({ depth: 1 }), '--source', `file://${clip}`, '--decoder', 'ffmpeg', '--port', '0', '--quiet', '--record', `${join(dir, 'frames')}/`], (s) => out.push(s), (s) => err.push(s));
    expect(code, err.join('\n')).toBe(0);
    expect(out.join('\n')).toMatch(/frames from ffmpeg/);
    expect(readdirSync(join(dir, 'frames')).filter((n) => n.endsWith('.png'))).toHaveLength(15);
  });
});

describe('dinov3 live on an install without the capture module', () => {
  // The built package (dist/, the addon) laid out again without dinov3_capture.so beside the
  // addon — a fresh `npm install` on a machine without GStreamer's development files.
  const addon = join(projectRoot, 'build', 'Release', 'dinov3.node');
  it.skipIf(!existsSync(join(projectRoot, 'dist', 'cli', 'main.js')) || !existsSync(addon))('test:// and file:// fall back to the decoder programs', () => {
    const root = mkdtempSync(join(tmpdir(), 'dinov3-nocapture-'));
    cpSync(join(projectRoot, 'dist'), join(root, 'dist'), { recursive: true });
    cpSync(join(projectRoot, 'package.json'), join(root, 'package.json'));
    mkdirSync(join(root, 'build', 'Release'), { recursive: true });
    cpSync(addon, join(root, 'build', 'Release', 'dinov3.node'));
    symlinkSync(join(projectRoot, 'node_modules'), join(root, 'node_modules'));
    const clip = join(root, 'clip.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10:duration=1', '-pix_fmt', 'yuv420p', clip]);
    const live = (source: string, frames: string): string =>
      execFileSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'live', '--model', tinyModel({ depth: 1 }), '--source', source, '--frames', '6', '--port', '0', '--quiet', '--record', `${frames}/`], { encoding: 'utf8', cwd: root });
    expect(live('test://ball', join(root, 'a'))).toMatch(/frames from (gstreamer|ffmpeg)/);
    expect(readdirSync(join(root, 'a')).filter((n) => n.endsWith('.png'))).toHaveLength(6);
    expect(live(`file://${clip}`, join(root, 'b'))).toMatch(/frames from (ffmpeg|gstreamer)/);
    expect(readdirSync(join(root, 'b')).filter((n) => n.endsWith('.png'))).toHaveLength(6);
  }, 120_000);
});
