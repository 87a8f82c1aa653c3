/**
 * Several live sources through one model: frames batched into one inference per round, one live
 * view per source in a grid page (each with its own controls, FPS and timings), a source that
 * ends reported while the others go on — through the API, the CLI and headless Chromium. Frames
 * come from ffmpeg, so this runs on a fresh install.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadModel, openSource, serveLive, type DinoError, type LiveFrame } from '../lib';
import { main } from '../lib/cli/main';
import { tinyModel } from './helpers/models';
import { projectRoot } from './helpers/shared';

declare const document: { body: { dataset: Record<string, string | undefined> } };

const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (!chromium) console.warn('SKIPPED live grid browser test: Chromium not installed (apt-get install chromium)');

const until = async (what: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('live grid: several sources, one model', () => {
  it('serves one view per source with its own controls; a source that ends is reported, the other goes on', async () => {
    await using model = await loadModel(tinyModel({ depth: 1 }));
    const sources = [
      await openSource('test://ball', { width: 160, height: 120, live: true, frameRate: 30, decoder: 'ffmpeg' }),
      await openSource('test://smpte', { width: 96, height: 64, numBuffers: 4, decoder: 'ffmpeg' }),
    ];
    const frames = [0, 0];
    const modes: string[] = [];
    const ended: Array<[number, DinoError | undefined]> = [];
    const live = await serveLive(model, sources, {
      port: 0,
      k: 2,
      size: 64,
      onFrame: (f: LiveFrame, i: number) => {
        frames[i] = (frames[i] as number) + 1;
        expect(f.rendered.width).toBe(i === 0 ? 160 : 96);
        modes[i] = f.settings.mode;
      },
      onStreamEnd: (i, error) => ended.push([i, error]),
    });
    try {
      const page = await (await fetch(live.url)).text();
      expect(page).toContain('src="s/0/"');
      expect(page).toContain('src="s/1/"');
      expect(live.streams).toHaveLength(2);
      await until(() => ended.length === 1 && (frames[0] as number) >= 8);
      expect(ended).toEqual([[1, undefined]]);
      expect(frames[1]).toBe(4);
      const jpeg = await fetch(`${live.url}s/0/frame.jpg`);
      expect(jpeg.headers.get('content-type')).toBe('image/jpeg');
      expect((await fetch(`${live.url}s/1/frame.jpg`)).status).toBe(200);
      // Controls are per view: the first switches to the heatmap, the second stays as it was.
      const r = await fetch(`${live.url}s/0/control`, { method: 'POST', body: JSON.stringify({ mode: 'heatmap', point: { x: 40, y: 60 } }) });
      expect(((await r.json()) as { mode: string }).mode).toBe('heatmap');
      expect(((await (await fetch(`${live.url}s/1/settings`)).json()) as { mode: string }).mode).toBe('segment');
      await until(() => modes[0] === 'heatmap');
      expect(live.streams[1]?.controls.settings.mode).toBe('segment');
      expect((await fetch(`${live.url}s/7/settings`)).status).toBe(404);
    } finally {
      await live.stop();
    }
  }, 60_000);

  it('dinov3 live with two --source: both streams to the end, batched, each reported', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const model = tinyModel({ depth: 1 });
    const code = await main(['live', '--model', model, '--source', 'test://ball', '--source', 'test://smpte', '--width', '96', '--height', '64', '--frames', '5', '--port', '0', '--quiet', '--decoder', 'ffmpeg'], (s) => out.push(s), (s) => err.push(s));
    expect(code, err.join('\n')).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/2 sources batched/);
    expect(text).toMatch(/test:\/\/ball: ended/);
    expect(text).toMatch(/test:\/\/smpte: ended/);
    const bad = await main(['live', '--model', model, '--source', 'test://ball', '--source', 'test://smpte', '--record', 'x.mp4'], () => undefined, (s) => err.push(s));
    expect(bad).not.toBe(0);
    expect(err.join('\n')).toMatch(/--record takes one --source/);
  }, 60_000);

  it.skipIf(!chromium)('the grid page in headless Chromium: frames arrive in every view', async () => {
    const { chromium: pw } = await import('playwright-core');
    await using model = await loadModel(tinyModel({ depth: 1 }));
    const sources = [
      await openSource('test://ball', { width: 160, height: 120, live: true, frameRate: 15, decoder: 'ffmpeg' }),
      await openSource('test://smpte', { width: 160, height: 120, live: true, frameRate: 15, decoder: 'ffmpeg' }),
    ];
    const live = await serveLive(model, sources, { port: 0, k: 3, size: 64, title: 'grid test' });
    const browser = await pw.launch({ executablePath: chromium, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 600 } });
      await page.goto(live.url);
      for (const i of [0, 1]) {
        const frame = page.frame({ url: new RegExp(`/s/${i}/$`) }) ?? (await page.waitForEvent('frameattached').then(() => page.frame({ url: new RegExp(`/s/${i}/$`) })));
        expect(frame, `iframe ${i}`).toBeTruthy();
        await frame!.waitForFunction(() => Number(document.body.dataset.frames ?? 0) >= 3, undefined, { timeout: 30_000 });
        expect(await frame!.textContent('#stats')).toMatch(/fps/);
      }
      // The page's track and match buttons, then a click: per view, through the page's own script.
      const first = page.frame({ url: /\/s\/0\/$/ })!;
      await first.click('#mode-match');
      await first.waitForFunction(() => document.body.dataset.mode === 'match', undefined, { timeout: 30_000 });
      await first.click('#mode-track');
      await first.waitForFunction(() => document.body.dataset.mode === 'track', undefined, { timeout: 30_000 });
      expect(live.streams[0]?.controls.settings.point).toBeUndefined();
      const box = (await first.locator('#view').boundingBox())!;
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      await until(() => live.streams[0]?.controls.settings.point !== undefined);
      expect(live.streams[0]?.controls.settings.mode).toBe('track');
      expect(live.streams[1]?.controls.settings.mode).toBe('segment');
      mkdirSync(join(projectRoot, '.cache', 'screenshots'), { recursive: true });
      await page.screenshot({ path: join(projectRoot, '.cache', 'screenshots', 'live-grid.png') });
    } finally {
      await browser.close();
      await live.stop();
    }
  }, 120_000);
});
