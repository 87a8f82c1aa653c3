/**
 * The worker's batching and its message schema, without a server: a batch goes when full or
 * max-wait after its first item, the source is read at most one batch ahead, items arriving
 * after close are handed back; jobs and results are checked on the way in.
 */
import { describe, expect, it } from 'vitest';

import { BatchQueue } from '../../lib/worker/batch-queue';
import { decodeJob, decodeResult, encodeMessage, jobIdFor } from '../../lib/worker/job';
import { poolNames } from '../../lib/worker/setup';

/** An async source whose items are pushed by the test; counts how many were read. */
function source<T>(): { iterable: AsyncIterable<T>; push: (item: T) => void; end: () => void; read: () => number } {
  const items: T[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  let read = 0;
  return {
    iterable: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          while (items.length === 0 && !ended) await new Promise<void>((r) => (wake = r));
          if (items.length === 0) return;
          read++;
          yield items.shift() as T;
        }
      },
    },
    push: (item) => {
      items.push(item);
      wake?.();
    },
    end: () => {
      ended = true;
      wake?.();
    },
    read: () => read,
  };
}

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('BatchQueue', () => {
  it('a full batch goes at once; a partial one after max-wait; nothing is lost or reordered', async () => {
    const s = source<number>();
    const q = new BatchQueue<number>(4, 50);
    const pumped = q.pump(s.iterable, () => undefined);
    for (let i = 0; i < 6; i++) s.push(i);
    const start = performance.now();
    expect(await q.next()).toEqual([0, 1, 2, 3]);
    expect(performance.now() - start).toBeLessThan(40);
    const partialStart = performance.now();
    expect(await q.next()).toEqual([4, 5]);
    expect(performance.now() - partialStart).toBeGreaterThanOrEqual(45);
    s.end();
    expect(await q.next()).toBeUndefined();
    await pumped;
  });

  it('reads the source at most one batch ahead of the consumer', async () => {
    const s = source<number>();
    const q = new BatchQueue<number>(3, 0);
    void q.pump(s.iterable, () => undefined);
    for (let i = 0; i < 20; i++) s.push(i);
    await tick(10);
    expect(s.read()).toBe(3);
    expect(await q.next()).toEqual([0, 1, 2]);
    await tick(10);
    expect(s.read()).toBe(6);
    s.end();
  });

  it('close() returns the queued items; an item read after close goes to late', async () => {
    const s = source<string>();
    const q = new BatchQueue<string>(2, 0);
    const late: string[] = [];
    const pumped = q.pump(s.iterable, (x) => late.push(x));
    s.push('a');
    await tick(5);
    expect(q.close()).toEqual(['a']);
    s.push('c');
    await pumped;
    expect(late).toEqual(['c']);
    expect(await q.next()).toBeUndefined();
  });
});

describe('job and result messages', () => {
  it('jobs round-trip; malformed ones are rejected with ERR_DINO_INVALID_ARGUMENT', () => {
    const job = { v: 1 as const, id: 'abc_1-2', image: { key: 'images/abc' } };
    expect(decodeJob(encodeMessage(job))).toEqual(job);
    expect(decodeJob(Buffer.from(JSON.stringify({ v: 1, id: 'p', image: { path: '/x.png' }, extra: 1 })))).toEqual({ v: 1, id: 'p', image: { path: '/x.png' } });
    for (const bad of ['nope', '{"v":2,"id":"a","image":{"key":"k"}}', '{"v":1,"id":"a.b","image":{"key":"k"}}', '{"v":1,"id":"a","image":{}}', '{"v":1,"image":{"key":"k"}}']) {
      expect(() => decodeJob(Buffer.from(bad)), bad).toThrow(expect.objectContaining({ code: 'ERR_DINO_INVALID_ARGUMENT' }));
    }
  });

  it('results are checked; job ids are stable, differ by path and content, and are subject tokens', () => {
    expect(() => decodeResult(Buffer.from('{"v":1,"id":"a","ok":true,"cls":["x"],"dim":1,"grid":{}}'))).toThrow(/cls/);
    expect(() => decodeResult(Buffer.from('{"v":1,"id":"a","ok":false}'))).toThrow(/error/);
    const a = jobIdFor('a.png', Buffer.from([1, 2, 3]));
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(jobIdFor('a.png', Buffer.from([1, 2, 3]))).toBe(a);
    expect(jobIdFor('b.png', Buffer.from([1, 2, 3]))).not.toBe(a);
    expect(jobIdFor('a.png', Buffer.from([1, 2, 4]))).not.toBe(a);
    expect(poolNames('DINOV3').resultSubject(a)).toBe(`DINOV3.results.${a}`);
    expect(() => poolNames('bad.name')).toThrow(expect.objectContaining({ code: 'ERR_DINO_INVALID_ARGUMENT' }));
  });
});
