/**
 * Soak: 10,000 frames of a test:// source through the live pipeline (capture thread ->
 * inference -> k-means -> render -> JPEG) on the CPU backend, with memory checked to stay flat.
 * Small frames and a tiny model keep it to well under a minute.
 */
import { describe, expect, it } from 'vitest';

import { capabilities, loadModel, openSource, segmentStream } from '../lib';
import { tinyModel } from './helpers/models';

const capture = capabilities().gstreamer.available;
if (!capture) console.warn(`SKIPPED live soak: ${capabilities().gstreamer.reason}`);
const FRAMES = Number(process.env.DINOV3_SOAK_FRAMES ?? 10_000);

describe.skipIf(!capture)('live soak', () => {
  it(`${FRAMES} frames with flat memory`, async () => {
    const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
    await using model = await loadModel(tinyModel({ depth: 1, dim: 16, heads: 1 }));
    const source = await openSource('test://ball', { width: 64, height: 48, numBuffers: FRAMES, drop: false });
    const samples: Array<{ frame: number; rss: number; heap: number; external: number }> = [];
    let frames = 0;
    const start = performance.now();
    for await (const f of segmentStream(model, source, { k: 2, size: 32, jpegQuality: 60, frameTimeoutMs: 30_000 })) {
      frames++;
      expect(f.labels?.length).toBe(4);
      if (frames % 1000 === 0) {
        gc();
        const m = process.memoryUsage();
        samples.push({ frame: frames, rss: m.rss / 2 ** 20, heap: m.heapUsed / 2 ** 20, external: (m.external + m.arrayBuffers) / 2 ** 20 });
      }
    }
    await source.dispose();
    const seconds = (performance.now() - start) / 1000;
    console.log(`soak: ${frames} frames in ${seconds.toFixed(1)} s (${(frames / seconds).toFixed(0)} fps)\n` + samples.map((s) => `  frame ${s.frame}: rss ${s.rss.toFixed(1)} MiB, heap ${s.heap.toFixed(1)} MiB, external ${s.external.toFixed(1)} MiB`).join('\n'));
    expect(frames).toBe(FRAMES);
    expect(source.stats().leased).toBe(0);
    // Flat: the JS heap does not grow at all; the process's resident memory settles after a few
    // thousand frames (allocator and thread arenas warming up; a 30,000-frame run stays at the same
    // level), so it is compared over the second half of the run.
    const first = samples[0]!;
    const middle = samples[Math.floor(samples.length / 2) - 1]!;
    const last = samples[samples.length - 1]!;
    expect(last.heap - first.heap).toBeLessThan(5);
    expect(last.rss - middle.rss).toBeLessThan(20);
  }, 600_000);
});
