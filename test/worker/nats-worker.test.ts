/**
 * The NATS JetStream worker end to end: a real `nats-server -js` on loopback, `dinov3 worker`
 * processes from dist/, and the submit client. Every image comes out exactly once, a worker
 * killed with SIGKILL mid-batch loses nothing (its jobs are redelivered), corrupt images and
 * malformed jobs end as error results and dead letters without blocking the queue, and batching
 * is real (fewer inferences than jobs).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { isDinoError } from '../../lib/errors';
import { readNpy } from '../../lib/io/npy';
import { loadModel } from '../../lib/model/model';
import { decodeResult, startWorker, submitFolder, type SubmitEntry, type SubmitSummary } from '../../lib/worker';
import { loadNats } from '../../lib/worker/nats-api';
import { tinyModel } from '../helpers/models';
import { hasNatsServer, startNatsServer, type NatsServer } from './nats-server';
import { cli, spawnWorker, writeImages, type WorkerProcess } from './pool';

const hasDist = existsSync(cli);
const model = tinyModel({ dim: 32, depth: 2, heads: 2, seed: 3 });

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(suffix));
}

async function stopWorker(w: WorkerProcess): Promise<{ jobs: number; batches: number }> {
  w.child.kill('SIGTERM');
  const { code } = await w.exited;
  expect(code, w.output()).toBe(0);
  const m = /stopped: jobs (\d+) .*batches (\d+)/.exec(w.output());
  expect(m, w.output()).not.toBeNull();
  return { jobs: Number(m?.[1]), batches: Number(m?.[2]) };
}

async function until(check: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!hasNatsServer || !hasDist)('NATS JetStream worker', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const dirs: string[] = [];
  const temp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'dinov3-worker-'));
    dirs.push(d);
    return d;
  };

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    jsm = await jetstreamManager(nc);
  });

  afterAll(async () => {
    await nc?.close();
    await server?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('500 images through 3 worker processes: every image exactly once in the output, features equal to a local extract', async () => {
    const input = temp();
    const out = temp();
    const images = await writeImages(input, 500);
    const workers = ['w1', 'w2', 'w3'].map((name) => spawnWorker(server.url, ['--model', model, '--stream', 'MANY', '--batch', '8', '--size', '112', '--name', name]));
    await Promise.all(workers.map((w) => w.ready));
    const submitted = submitFolder({ nats: server.url, input, out, stream: 'MANY', idleTimeoutMs: 30_000 });
    // SIGTERM to one worker mid-run: it drains (finishes its batch, hands queued jobs back) and exits 0.
    await until(async () => (await jsm.streams.info('MANY_RESULTS')).state.messages >= 150, '150 results');
    const drained = stopWorker(workers[2] as WorkerProcess);
    const summary = await submitted;
    const counts = [...(await Promise.all(workers.slice(0, 2).map(stopWorker))), await drained];

    expect(summary).toMatchObject({ images: 500, ok: 500, failed: 0, skipped: 0 });
    expect(summary.entries.map((e) => e.image)).toEqual([...images].sort());
    expect(filesUnder(out, '.cls.npy')).toHaveLength(500);
    expect(filesUnder(out, '.patches.npy')).toHaveLength(500);
    expect(filesUnder(out, '.json').filter((f) => f !== 'summary.json')).toHaveLength(500);
    // One stored result per job id, and the jobs stream (a work queue) is empty.
    expect((await jsm.streams.info('MANY_RESULTS')).state.messages).toBe(500);
    expect((await jsm.streams.info('MANY')).state.messages).toBe(0);
    // All three took part, and together they stored every job at least once.
    expect(new Set(summary.entries.map((e) => e.worker))).toEqual(new Set(['w1', 'w2', 'w3']));
    for (const c of counts) expect(c.jobs).toBeGreaterThan(0);
    expect(counts.reduce((n, c) => n + c.jobs, 0)).toBeGreaterThanOrEqual(500);

    const local = await loadModel(model);
    try {
      for (const image of [images[0], images[251], images[499]] as string[]) {
        const f = await local.extract(join(input, image), { size: 112 });
        const base = join(out, image.replace(/\.png$/, ''));
        const cls = (await readNpy(`${base}.cls.npy`)).data;
        const patches = await readNpy(`${base}.patches.npy`);
        expect(patches.shape).toEqual([49, 32]);
        let worst = 0;
        for (let i = 0; i < 32; i++) worst = Math.max(worst, Math.abs((cls[i] as number) - (f.cls[i] as number)));
        for (let i = 0; i < patches.data.length; i++) worst = Math.max(worst, Math.abs((patches.data[i] as number) - (f.patches[i] as number)));
        expect(worst).toBeLessThan(1e-4);
      }
    } finally {
      await local.dispose();
    }
  }, 180_000);

  it('kill -9 of a worker in the middle of a batch: its jobs are redelivered to another worker and finish', async () => {
    const input = temp();
    const out = temp();
    await writeImages(input, 48);
    const args = ['--model', model, '--stream', 'KILL', '--batch', '8', '--size', '448', '--ack-wait-ms', '1500'];
    const a = spawnWorker(server.url, [...args, '--name', 'A']);
    await a.ready;
    const submitted = submitFolder({ nats: server.url, input, out, stream: 'KILL', idleTimeoutMs: 30_000 });
    // Mid-run: at least one result stored, and jobs delivered to A and not acknowledged.
    await until(async () => {
      const [results, consumer] = await Promise.all([jsm.streams.info('KILL_RESULTS'), jsm.consumers.info('KILL', 'KILL_workers')]);
      return results.state.messages >= 1 && consumer.num_ack_pending > 0;
    }, 'a batch in flight');
    a.child.kill('SIGKILL');
    expect((await a.exited).signal).toBe('SIGKILL');
    const b = spawnWorker(server.url, [...args, '--name', 'B']);
    const summary: SubmitSummary = await submitted;
    await stopWorker(b);

    expect(summary).toMatchObject({ images: 48, ok: 48, failed: 0 });
    expect(filesUnder(out, '.cls.npy')).toHaveLength(48);
    expect((await jsm.streams.info('KILL_RESULTS')).state.messages).toBe(48);
    const byA = summary.entries.filter((e) => e.worker === 'A');
    const redelivered = summary.entries.filter((e) => (e.delivery ?? 1) > 1);
    expect(byA.length).toBeGreaterThan(0);
    expect(redelivered.length).toBeGreaterThan(0);
    for (const e of redelivered) expect(e.worker).toBe('B');
  }, 120_000);

  it('a job whose workers all die reaches max deliveries: an error result and a dead letter, the rest finish', async () => {
    const input = temp();
    const out = temp();
    await writeImages(input, 24);
    // One delivery per job; the ack wait outlasts the start of the second worker, which takes the advisory.
    const args = ['--model', model, '--stream', 'POISON', '--batch', '8', '--size', '448', '--ack-wait-ms', '10000', '--max-deliver', '1'];
    const a = spawnWorker(server.url, [...args, '--name', 'A']);
    await a.ready;
    const submitted = submitFolder({ nats: server.url, input, out, stream: 'POISON', idleTimeoutMs: 30_000 });
    await until(async () => (await jsm.consumers.info('POISON', 'POISON_workers')).num_ack_pending > 0, 'jobs in flight');
    a.child.kill('SIGKILL');
    await a.exited;
    const b = spawnWorker(server.url, [...args, '--name', 'B']);
    const summary = await submitted;
    await stopWorker(b);

    const failed = summary.entries.filter((e) => !e.ok);
    expect(summary.images).toBe(24);
    expect(failed.length).toBeGreaterThan(0);
    expect(summary.ok + failed.length).toBe(24);
    for (const e of failed) expect(e.error?.code).toBe('ERR_DINO_QUEUE');
    expect((await jsm.streams.info('POISON_DEAD')).state.messages).toBe(failed.length);
    expect((await jsm.streams.info('POISON')).state.messages).toBe(0);
  }, 120_000);

  it('corrupt images and malformed jobs: error results and dead letters, the rest finish, nothing stays in the queue', async () => {
    const input = temp();
    const out = temp();
    await writeImages(input, 20);
    writeFileSync(join(input, 'random.jpg'), Buffer.from(Array.from({ length: 500 }, (_, i) => (i * 7919) % 256)));
    const png = readdirSync(join(input, 'even'))[0] as string;
    const good = readFileSync(join(input, 'even', png));
    writeFileSync(join(input, 'truncated.png'), good.subarray(0, good.length >> 1));
    writeFileSync(join(input, 'empty.png'), Buffer.alloc(0));
    writeFileSync(join(input, 'text.webp'), 'this is not an image');
    const w = spawnWorker(server.url, ['--model', model, '--stream', 'BAD', '--batch', '8', '--size', '112']);
    await w.ready;
    // Jobs from other clients: malformed ones, a missing file, and an image by path.
    const js = jetstream(nc);
    await js.publish('BAD.jobs', 'not json at all');
    await js.publish('BAD.jobs', JSON.stringify({ v: 1, id: 'no-image', image: {} }));
    await js.publish('BAD.jobs', JSON.stringify({ v: 1, id: 'missing-file', image: { path: join(input, 'nope.png') } }));
    await js.publish('BAD.jobs', JSON.stringify({ v: 1, id: 'by-path', image: { path: join(input, 'even', png) } }));
    const summary = await submitFolder({ nats: server.url, input, out, stream: 'BAD', idleTimeoutMs: 30_000 });

    expect(summary).toMatchObject({ images: 24, ok: 20, failed: 4 });
    const failed = summary.entries.filter((e) => !e.ok);
    expect(failed.map((e) => e.image).sort()).toEqual(['empty.png', 'random.jpg', 'text.webp', 'truncated.png']);
    for (const e of failed) expect(e.error?.code).toBe('ERR_DINO_INVALID_IMAGE');
    expect(filesUnder(out, '.cls.npy')).toHaveLength(20);

    // 4 corrupt images + 3 bad jobs dead-lettered; the image given by path has a success result.
    await until(async () => (await jsm.streams.info('BAD_DEAD')).state.messages === 7, 'seven dead letters');
    const byPath = await jsm.streams.getMessage('BAD_RESULTS', { last_by_subj: 'BAD.results.by-path' });
    expect(byPath && decodeResult(byPath.data)).toMatchObject({ id: 'by-path', ok: true, dim: 32, grid: { rows: 7, cols: 7 } });
    const missing = await jsm.streams.getMessage('BAD_RESULTS', { last_by_subj: 'BAD.results.missing-file' });
    expect(missing && decodeResult(missing.data)).toMatchObject({ ok: false, error: { code: 'ERR_DINO_FILE_NOT_FOUND' } });
    const noImage = await jsm.streams.getMessage('BAD_RESULTS', { last_by_subj: 'BAD.results.no-image' });
    expect(noImage && decodeResult(noImage.data)).toMatchObject({ ok: false, error: { code: 'ERR_DINO_INVALID_ARGUMENT' } });
    await until(async () => {
      const c = await jsm.consumers.info('BAD', 'BAD_workers');
      return c.num_pending === 0 && c.num_ack_pending === 0;
    }, 'an empty queue');
    expect((await jsm.streams.info('BAD')).state.messages).toBe(0);
    const counts = await stopWorker(w);
    expect(counts.jobs).toBe(28);
  }, 120_000);

  it('dinov3 submit resumes: a re-run skips finished images and recomputes a deleted one', async () => {
    const input = temp();
    const out = temp();
    await writeImages(input, 12);
    const w = spawnWorker(server.url, ['--model', model, '--stream', 'RESUME', '--batch', '4', '--size', '64']);
    await w.ready;
    const submit = (): ReturnType<typeof spawnSync> =>
      spawnSync(process.execPath, [cli, 'submit', '--nats', server.url, '--input', input, '--out', out, '--stream', 'RESUME', '--timeout-s', '30'], { encoding: 'utf8' });
    const first = submit();
    expect(first.status, String(first.stderr)).toBe(0);
    expect(first.stdout).toMatch(/12 images: 12 ok \(0 from an earlier run\), 0 failed/);
    expect(first.stdout).toMatch(/submit: 12\/12 images/);
    unlinkSync(join(out, 'odd', 'img0003.json'));
    unlinkSync(join(out, 'odd', 'img0003.cls.npy'));
    const second = submit();
    expect(second.status, String(second.stderr)).toBe(0);
    expect(second.stdout).toMatch(/12 images: 12 ok \(11 from an earlier run\), 0 failed/);
    expect(existsSync(join(out, 'odd', 'img0003.cls.npy'))).toBe(true);
    // The restored image was computed again (the first run had deleted its stored patch grid).
    expect((await stopWorker(w)).jobs).toBe(13);
  }, 120_000);

  it('startWorker in process with outputs [cls]: results carry the CLS only, counters add up, stop() drains', async () => {
    const input = temp();
    const out = temp();
    await writeImages(input, 6);
    const local = await loadModel(model);
    try {
      const worker = await startWorker({ nats: server.url, model: local, stream: 'CLS', outputs: ['cls'], batch: 4, maxWaitMs: 50, size: 64 });
      const summary = await submitFolder({ nats: server.url, input, out, stream: 'CLS', idleTimeoutMs: 30_000 });
      expect(summary).toMatchObject({ images: 6, ok: 6, failed: 0 });
      for (const e of summary.entries) expect(e.files).toEqual([e.image.replace(/\.png$/, '.cls.npy')]);
      expect(filesUnder(out, '.patches.npy')).toEqual([]);
      const first = summary.entries[0] as SubmitEntry;
      expect((await readNpy(join(out, first.files?.[0] as string))).shape).toEqual([32]);
      const c = worker.counters();
      expect(c).toMatchObject({ jobs: 6, failed: 0, deadLettered: 0, pending: 0 });
      expect(c.batches).toBeGreaterThanOrEqual(2);
      expect(c.batchFill).toBeCloseTo(6 / c.batches / 4, 5);
      await worker.stop();
      await worker.done;
      expect(worker.counters().jobs).toBe(6);
    } finally {
      await local.dispose();
    }
  }, 60_000);

  it('batching: --batch 8 runs fewer inferences than jobs, --batch 1 one per job (throughput reported)', async () => {
    const input = temp();
    await writeImages(input, 96);
    const rates: Record<string, number> = {};
    for (const batch of [1, 8]) {
      const stream = `TPUT${batch}`;
      const w = spawnWorker(server.url, ['--model', model, '--stream', stream, '--batch', String(batch), '--size', '224']);
      await w.ready;
      const summary = await submitFolder({ nats: server.url, input, out: temp(), stream, idleTimeoutMs: 30_000 });
      const counts = await stopWorker(w);
      expect(summary.ok).toBe(96);
      expect(counts.jobs).toBe(96);
      if (batch === 1) expect(counts.batches).toBe(96);
      else expect(counts.batches).toBeLessThanOrEqual(96 / 2);
      rates[`batch ${batch}`] = 96 / (summary.ms / 1000);
    }
    console.log(`worker throughput (tiny model, 224x224, 1 worker): ${Object.entries(rates).map(([k, v]) => `${k}: ${v.toFixed(1)} images/s`).join(', ')}`);
  }, 120_000);

  it('without the NATS packages: ERR_DINO_MISSING_DEPENDENCY naming them; an unreachable server: ERR_DINO_QUEUE', async () => {
    let caught: unknown;
    try {
      loadNats((name) => require(`${name}-not-installed`));
    } catch (err) {
      caught = err;
    }
    expect(isDinoError(caught, 'ERR_DINO_MISSING_DEPENDENCY')).toBe(true);
    expect((caught as Error).message).toMatch(/npm install @nats-io\/transport-node @nats-io\/jetstream @nats-io\/obj/);

    const input = temp();
    await writeImages(input, 1);
    const closed = server.url.replace(/:\d+$/, ':1');
    await expect(submitFolder({ nats: closed, input, out: temp() })).rejects.toMatchObject({ code: 'ERR_DINO_QUEUE' });
  });
});
