/**
 * A well-mannered dependency: the process and worker threads exit cleanly at any point of the
 * lifecycle (no crash, no hang), models never disposed do not keep the process alive, native
 * objects are collected, errors keep the caller's stack, queues apply back-pressure, and
 * AbortSignal cancels queued work.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { Features, loadModel } from '../lib';
import { rejected } from './helpers/errors';
import { tinyModel } from './helpers/models';
import { projectRoot } from './helpers/shared';

const hasDist = existsSync(join(projectRoot, 'dist', 'index.js'));
if (!hasDist) console.warn('SKIPPED lifecycle child-process tests: run `npm run build` first (dist/ is missing)');

function child(stage: string, ...extra: string[]): { status: number | null; signal: NodeJS.Signals | null; out: string } {
  const r = spawnSync(process.execPath, [join(__dirname, 'fixtures', 'lifecycle-child.cjs'), stage, ...extra], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, signal: r.signal, out: `${r.stdout}${r.stderr}` };
}

describe.skipIf(!hasDist)('process and worker lifecycle', () => {
  const model = tinyModel({ depth: 1 });
  it.each(['exit-after-load', 'exit-during-extract', 'exit-during-kmeans'])('%s: exits cleanly', (stage) => {
    const r = child(stage, model);
    expect(r.signal, r.out).toBeNull();
    expect(r.status, r.out).toBe(0);
  });

  it('a model that is never disposed does not keep the process alive', () => {
    const r = child('natural-exit-without-dispose', model);
    expect(r.signal, 'the process had to be killed: something kept the event loop alive').toBeNull();
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('done');
  });

  it('terminating a worker thread with native work in flight', () => {
    const r = child('worker-terminate');
    expect(r.signal, r.out).toBeNull();
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('terminated');
  });

  it('the addon and a model work inside a worker thread and clean up when it ends', () => {
    const r = child('worker-natural-exit', model);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('worker exited 0');
  });
});

describe('errors, back-pressure and cancellation', () => {
  it('errors keep the stack of the call that failed', async () => {
    const f = Features.fromPatches(new Float32Array(20 * 4), { rows: 4, cols: 5 }, 4);
    async function callerThatAsksForTooManyClusters(): Promise<unknown> {
      return f.kmeans({ k: 99 });
    }
    const err = await rejected(callerThatAsksForTooManyClusters());
    expect(err.stack).toContain('callerThatAsksForTooManyClusters');
    const nan = new Float32Array(20 * 4);
    nan[0] = Number.NaN;
    async function callerWithNaN(): Promise<unknown> {
      return Features.fromPatches(nan, { rows: 4, cols: 5 }, 4).kmeans({ k: 2 });
    }
    const nativeErr = await rejected(callerWithNaN());
    expect(nativeErr.code).toBe('ERR_DINO_INVALID_FEATURES');
    expect(nativeErr.stack).toContain('callerWithNaN');
  });

  it('a full queue refuses with ERR_DINO_BUSY instead of growing without bound', async () => {
    await using model = await loadModel(tinyModel({ depth: 1 }), { maxQueue: 2 });
    const px = { data: new Uint8Array(224 * 224 * 3), width: 224, height: 224, format: 'rgb' as const };
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => model.extract(px)));
    const busy = results.filter((r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'ERR_DINO_BUSY');
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(busy.length).toBeGreaterThan(0);
    expect(ok.length).toBeGreaterThanOrEqual(3); // one running + two queued
    expect((await model.extract(px)).grid).toEqual({ rows: 14, cols: 14 }); // and it recovers
  });

  it('AbortSignal cancels queued extractions and k-means', async () => {
    await using model = await loadModel(tinyModel({ depth: 1 }));
    const px = { data: new Uint8Array(448 * 448 * 3), width: 448, height: 448, format: 'rgb' as const };
    const ac = new AbortController();
    const first = model.extract(px, { size: 448 });
    const queued = model.extract(px, { size: 448, signal: ac.signal });
    ac.abort();
    expect((await rejected(queued)).code).toBe('ERR_DINO_ABORTED');
    await first;
    const big = Features.fromPatches(new Float32Array(4096 * 256).map((_, i) => Math.sin(i * 0.1)), { rows: 64, cols: 64 }, 256);
    const ac2 = new AbortController();
    const running = big.kmeans({ k: 16, restarts: 200, signal: ac2.signal });
    setTimeout(() => ac2.abort(), 20);
    expect((await rejected(running)).code).toBe('ERR_DINO_ABORTED');
  });

  it('native results and cancel tokens are garbage-collected (memory stays flat)', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    const f = Features.fromPatches(new Float32Array(1024 * 64).map((_, i) => Math.sin(i)), { rows: 32, cols: 32 }, 64);
    const round = async (): Promise<void> => {
      for (let i = 0; i < 60; i++) {
        const ac = new AbortController();
        await f.kmeans({ k: 4, signal: ac.signal });
        await f.similarity([{ row: 1, col: 1 }, { row: 2, col: 2 }]);
        await f.pca(3);
      }
    };
    await round();
    gc?.();
    const before = process.memoryUsage().rss;
    await round();
    await round();
    gc?.();
    const grown = (process.memoryUsage().rss - before) / 2 ** 20;
    console.log(`rss growth over 120 rounds: ${grown.toFixed(1)} MiB${gc ? '' : ' (no --expose-gc)'}`);
    expect(grown).toBeLessThan(40);
  });
});
