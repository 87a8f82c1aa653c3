/**
 * A well-mannered dependency: while 8 requests run concurrently the event loop stays
 * responsive (p99 delay < 10 ms), because inference runs in a worker thread and decoding,
 * preprocessing and the kernels run on libuv/native threads.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, type Model } from '../lib';
import { conformanceCases, conformanceImage, conformanceModel, hasConformance, noteSkip } from './helpers/shared';

noteSkip('event-loop test');
const cases = conformanceCases();

describe.skipIf(!hasConformance)('event loop under load', () => {
  let model: Model;
  beforeAll(async () => {
    model = await loadModel(conformanceModel(cases[0]!));
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it('p99 event-loop delay stays under 10 ms with 8 concurrent requests', async () => {
    const image = conformanceImage(cases[0]!);
    await model.extract(image, { size: 448 }); // warm-up
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const started = performance.now();
    let inferenceMs = 0;
    const worker = async (): Promise<void> => {
      for (let i = 0; i < 6; i++) {
        const f = await model.extract(image, { size: 448 });
        inferenceMs = Math.max(inferenceMs, f.timings.inferenceMs);
        const km = await f.kmeans({ k: 4, restarts: 2 });
        expect(km.labels.length).toBe(f.patchCount);
        await f.similarity({ row: 3, col: 3 });
        f.dispose();
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    h.disable();
    const p99 = h.percentile(99) / 1e6;
    const max = h.max / 1e6;
    console.log(`48 requests in ${(performance.now() - started).toFixed(0)} ms; slowest inference ${inferenceMs.toFixed(1)} ms; event-loop delay p99 ${p99.toFixed(2)} ms, max ${max.toFixed(2)} ms`);
    expect(p99).toBeLessThan(10);
  });
});
