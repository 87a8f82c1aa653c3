/**
 * The submit client: uploads a folder's images to the pool's object store, publishes one job per
 * image, waits for every result and writes the features next to each other under `out`
 * (`.cls.npy`, `.patches.npy`, and a `.json` marker written last), plus `summary.json`. Images
 * whose marker exists from an earlier run are skipped, so an interrupted run resumes.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { DinoError } from '../errors';
import { encodeNpy } from '../io/npy';
import { integer } from '../validate';
import { listImages, outputPaths, readMarker, writeAtomic } from './files';
import { decodeResult, encodeMessage, jobIdFor, type Job, type JobResult } from './job';
import { loadNats, type NatsJetStream, type NatsJetStreamManager, type NatsObjectStore } from './nats-api';
import { connectNats, ensurePool, poolNames, poolSettings, type PoolNames, type PoolSettings } from './setup';

/** Options of {@link submitFolder}. */
export interface SubmitOptions extends Partial<PoolSettings> {
  /** NATS server URL(s), comma-separated. */
  nats: string;
  /** Folder of images (read recursively). */
  input: string;
  /** Folder for the features and summary.json. */
  out: string;
  /** The pool's stream name. Default `DINOV3`. */
  stream?: string;
  /** Give up when no result arrived for this long, ms. Default: wait for ever. */
  idleTimeoutMs?: number;
  /** Keep the uploaded images and patch grids in the object store. Default false: deleted once written locally. */
  keepObjects?: boolean;
  /** Called after each finished image. */
  onProgress?: (progress: SubmitProgress) => void;
}

/** Progress of a submission. */
export interface SubmitProgress {
  /** Images with a result (this run), failed ones included. */
  done: number;
  /** Images submitted in this run. */
  total: number;
  failed: number;
}

/** One image's line in the summary. */
export interface SubmitEntry {
  /** Path relative to the input folder. */
  image: string;
  /** Job id. */
  id: string;
  ok: boolean;
  /** True when an earlier run had finished it. */
  skipped: boolean;
  /** Files written (relative to `out`). */
  files?: string[];
  error?: { code: string; message: string };
  worker?: string;
  delivery?: number;
}

/** What {@link submitFolder} returns, and writes to `<out>/summary.json`. */
export interface SubmitSummary {
  images: number;
  ok: number;
  failed: number;
  skipped: number;
  ms: number;
  entries: SubmitEntry[];
}

interface Pending {
  image: string;
  id: string;
}

interface Marker {
  id: string;
  image: string;
  files: string[];
  worker: string;
  delivery: number;
  dim: number;
  grid: { rows: number; cols: number };
}

/**
 * Writes one image's features; undefined when the result's patch grid is no longer in the
 * object store (a result of an earlier run, whose grid that run deleted).
 */
async function writeFeatures(store: NatsObjectStore, out: string, image: string, result: JobResult & { ok: true }): Promise<string[] | undefined> {
  const paths = outputPaths(out, image);
  const npy = result.patches === undefined ? undefined : await store.getBlob(result.patches);
  if (npy === null) return undefined;
  const files: string[] = [];
  if (result.cls !== undefined) {
    await writeAtomic(paths.cls, encodeNpy(Float32Array.from(result.cls), [result.dim]));
    files.push(paths.cls);
  }
  if (npy !== undefined) {
    await writeAtomic(paths.patches, npy);
    files.push(paths.patches);
  }
  const rel = files.map((f) => f.slice(out.length + 1));
  const marker: Marker = { id: result.id, image, files: rel, worker: result.worker, delivery: result.delivery, dim: result.dim, grid: result.grid };
  await writeAtomic(paths.marker, `${JSON.stringify(marker, null, 2)}\n`);
  return rel;
}

/** Uploads an image and queues its job; `attempt` > 0 re-queues (a new message id, past the server's de-duplication). */
async function queueJob(js: NatsJetStream, store: NatsObjectStore, names: PoolNames, input: string, p: Pending, attempt = 0): Promise<void> {
  const key = `images/${p.id}`;
  await store.putBlob({ name: key }, await readFile(join(input, p.image)));
  const job: Job = { v: 1, id: p.id, image: { key } };
  await js.publish(names.jobsSubject, encodeMessage(job), { msgID: attempt === 0 ? `job-${p.id}` : `job-${p.id}-${attempt}-${Date.now()}` });
}

/** Queues every pending image that has no stored result yet (stored ones come through the results watcher). */
async function queueAll(js: NatsJetStream, jsm: NatsJetStreamManager, store: NatsObjectStore, names: PoolNames, input: string, pending: readonly Pending[]): Promise<void> {
  let next = 0;
  const upload = async (): Promise<void> => {
    while (next < pending.length) {
      const p = pending[next++] as Pending;
      const stored = await jsm.streams.getMessage(names.resultsStream, { last_by_subj: names.resultSubject(p.id) }).catch(() => null);
      if (stored === null) await queueJob(js, store, names, input, p);
    }
  };
  await Promise.all(Array.from({ length: 8 }, upload));
}

/**
 * Extracts the features of every image of a folder through the worker pool at `options.nats`.
 * @throws DinoError ERR_DINO_MISSING_DEPENDENCY without the NATS client packages, ERR_DINO_QUEUE
 * when no server answers or no result came within `idleTimeoutMs`.
 * @example
 * ```ts
 * import { submitFolder } from 'dinov3-trt/worker';
 * const summary = await submitFolder({ nats: 'nats://127.0.0.1:4222', input: 'photos', out: 'features' });
 * console.log(summary.ok, summary.failed);
 * ```
 */
export async function submitFolder(options: SubmitOptions): Promise<SubmitSummary> {
  const start = performance.now();
  const names = poolNames(options.stream ?? 'DINOV3');
  const settings = poolSettings(options);
  const idleTimeoutMs = options.idleTimeoutMs === undefined ? undefined : integer(options.idleTimeoutMs, 'idleTimeoutMs', 1);
  const images = await listImages(options.input);
  const entries = new Map<string, SubmitEntry>();
  const pending = new Map<string, Pending>();
  for (const image of images) {
    const content = await readFile(join(options.input, image));
    const id = jobIdFor(image, content);
    const marker = await readMarker<Marker>(outputPaths(options.out, image).marker, id);
    if (marker) {
      entries.set(image, { image, id, ok: true, skipped: true, files: marker.files, worker: marker.worker, delivery: marker.delivery });
      continue;
    }
    pending.set(id, { image, id });
  }
  const total = pending.size;
  let done = 0;
  let failed = 0;
  if (pending.size > 0) {
    const nats = loadNats();
    const nc = await connectNats(nats, options.nats, 'dinov3-submit');
    try {
      const { store, jsm } = await ensurePool(nats, nc, names, settings);
      const js = nats.jetstream(nc);
      // Watch the results first (the last one per job id, from earlier runs too), then publish.
      const watcher = await js.consumers.get(names.resultsStream, { filter_subjects: names.resultsWildcard, deliver_policy: 'last_per_subject' });
      const results = await watcher.consume();
      const waiting = new Set(pending.keys());
      let idle: NodeJS.Timeout | undefined;
      let timedOut = false;
      const arm = (): void => {
        if (idleTimeoutMs === undefined) return;
        clearTimeout(idle);
        idle = setTimeout(() => {
          timedOut = true;
          results.stop();
        }, idleTimeoutMs);
      };
      arm();
      const publishing = queueAll(js, jsm, store, names, options.input, [...pending.values()]);
      publishing.catch(() => results.stop());
      const requeued = new Set<string>();
      for await (const m of results) {
        const result = decodeResult(m.data);
        const p = pending.get(result.id);
        if (p === undefined || !waiting.has(result.id)) continue;
        arm();
        const { image, id } = p;
        if (result.ok) {
          const files = await writeFeatures(store, options.out, image, result);
          if (files === undefined) {
            // A stale result: compute it again (once).
            if (requeued.has(id)) throw new DinoError('ERR_DINO_QUEUE', `The patch grid of ${image} (${result.patches}) is missing from the object store`);
            requeued.add(id);
            await queueJob(js, store, names, options.input, p, 1);
            continue;
          }
          entries.set(image, { image, id, ok: true, skipped: false, files, worker: result.worker, delivery: result.delivery });
        } else {
          failed++;
          entries.set(image, { image, id, ok: false, skipped: false, error: result.error, worker: result.worker, delivery: result.delivery });
        }
        waiting.delete(id);
        done++;
        options.onProgress?.({ done, total, failed });
        if (!options.keepObjects) {
          await store.delete(`images/${result.id}`).catch(() => undefined);
          if (result.ok && result.patches !== undefined) await store.delete(result.patches).catch(() => undefined);
        }
        if (waiting.size === 0) break;
      }
      clearTimeout(idle);
      await publishing;
      if (waiting.size > 0) {
        throw new DinoError('ERR_DINO_QUEUE', timedOut ? `No result for ${idleTimeoutMs} ms; ${waiting.size} of ${pending.size} jobs unfinished (re-run to resume)` : `The results subscription ended with ${waiting.size} jobs unfinished`);
      }
    } finally {
      await nc.drain().catch(() => undefined);
    }
  }
  const list = images.map((i) => entries.get(i)).filter((e): e is SubmitEntry => e !== undefined);
  const summary: SubmitSummary = {
    images: images.length,
    ok: list.filter((e) => e.ok).length,
    failed: list.filter((e) => !e.ok).length,
    skipped: list.filter((e) => e.skipped).length,
    ms: performance.now() - start,
    entries: list,
  };
  await writeAtomic(join(options.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}
