/**
 * A well-mannered dependency: while 8 requests run concurrently the event loop stays
 * responsive (p99 delay < 10 ms), because inference runs in a worker thread and decoding,
 * preprocessing and the kernels run on libuv/native threads. The bound holds on a quiet
 * machine; rounds where other processes took a quarter of the machine are reported, not judged.
 */
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, type Model } from '../lib';
import { conformanceCases, conformanceImage, conformanceModel } from './helpers/shared';

const cases = conformanceCases();
/** CPU accounting shared with the benchmarks: `others` is the share of the machine other processes used. */
const { measured } = createRequire(__filename)('../bench/cpu-load.cjs') as {
  measured: <T>(fn: () => Promise<T>) => Promise<T & { others: number }>;
};
const BUSY_SHARE = 0.25;

describe('event loop under load', () => {
  let model: Model;
  beforeAll(async () => {
    model = await loadModel(conformanceModel(cases[0]!));
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it('p99 event-loop delay stays under 10 ms with 8 concurrent requests', async (ctx) => {
    const image = conformanceImage(cases[0]!);
    await model.extract(image, { size: 448 }); // warm-up
    // One round: 48 requests from 8 concurrent callers. A blocking bug in our code delays every
    // round the same way; a busy machine (other processes taking the cores) delays some rounds
    // at random. So up to 3 rounds run, the first under the bound passes, and when none is, the
    // verdict depends on whether the machine was quiet.
    const round = async (): Promise<{ p99: number; max: number; ms: number; inferenceMs: number }> => {
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
      return { p99: h.percentile(99) / 1e6, max: h.max / 1e6, ms: performance.now() - started, inferenceMs };
    };
    const rounds: Array<{ p99: number; max: number; ms: number; inferenceMs: number; others: number }> = [];
    for (let i = 0; i < 3; i++) {
      const r = await measured(round);
      rounds.push(r);
      console.log(`round ${i + 1}: 48 requests in ${r.ms.toFixed(0)} ms; slowest inference ${r.inferenceMs.toFixed(1)} ms; ` +
        `event-loop delay p99 ${r.p99.toFixed(2)} ms, max ${r.max.toFixed(2)} ms; other processes used ${(r.others * 100).toFixed(0)}% of the machine`);
      if (r.p99 < 10) break;
    }
    const best = rounds.reduce((a, b) => (b.p99 < a.p99 ? b : a));
    // Other processes holding a quarter of the machine or more in every round: report, not a verdict.
    if (best.p99 >= 10 && rounds.every((r) => r.others >= BUSY_SHARE)) {
      ctx.skip(`machine busy (other processes used ${rounds.map((r) => `${(r.others * 100).toFixed(0)}%`).join(', ')} in the rounds): p99 ${best.p99.toFixed(2)} ms is no verdict`);
    }
    expect(best.p99).toBeLessThan(10);
  });
});
