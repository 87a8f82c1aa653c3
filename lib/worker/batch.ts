/**
 * One batch of jobs in two steps, so a worker can load the next batch while this one runs:
 * reading and decoding each image on its own (a corrupt image fails its job only), then one
 * model.extract call for every decoded image. When that call fails, each image runs alone so the
 * failure lands on the job that caused it.
 * Internal: not part of the public API.
 * @module
 */
import { readFile } from 'node:fs/promises';

import { DinoError, isDinoError } from '../errors';
import type { Features } from '../features';
import { decodeImage, type DecodedImage } from '../image/input';
import type { Model } from '../model/model';
import type { SizeLike } from '../util/size';
import type { ImageRef, Job } from './job';
import type { NatsObjectStore } from './nats-api';

/** How one job of a batch ended. */
export type JobOutcome =
  | { ok: true; features: Features }
  /** `permanent`: retrying cannot help (unreadable or corrupt image, malformed job). */
  | { ok: false; error: unknown; permanent: boolean };

const PERMANENT: ReadonlySet<string> = new Set(['ERR_DINO_INVALID_IMAGE', 'ERR_DINO_FILE_NOT_FOUND', 'ERR_DINO_INVALID_ARGUMENT', 'ERR_DINO_SHAPE_MISMATCH']);

/** True when a retry of the job cannot succeed. */
export function isPermanent(err: unknown): boolean {
  return isDinoError(err) && PERMANENT.has(err.code);
}

async function readImage(ref: ImageRef, store: NatsObjectStore): Promise<Uint8Array> {
  if ('key' in ref) {
    const bytes = await store.getBlob(ref.key);
    if (bytes === null) throw new DinoError('ERR_DINO_FILE_NOT_FOUND', `Object '${ref.key}' is not in the object store`);
    return bytes;
  }
  try {
    return await readFile(ref.path);
  } catch (err) {
    throw new DinoError('ERR_DINO_FILE_NOT_FOUND', `Image file not found or not readable: ${ref.path}`, { cause: err });
  }
}

async function load(job: Job, store: NatsObjectStore): Promise<DecodedImage> {
  return decodeImage(await readImage(job.image, store));
}

/** A batch with its images read and decoded; jobs that already failed have their outcome. */
export interface LoadedBatch {
  outcomes: Array<JobOutcome | undefined>;
  ready: Array<{ image: DecodedImage; i: number }>;
}

/** Reads and decodes the images of `jobs` (a failed parse is passed as its error), all at once. */
export async function loadBatch(jobs: ReadonlyArray<Job | Error>, store: NatsObjectStore): Promise<LoadedBatch> {
  const outcomes: Array<JobOutcome | undefined> = new Array<JobOutcome | undefined>(jobs.length);
  const images = await Promise.all(
    jobs.map(async (job, i) => {
      if (job instanceof Error) {
        outcomes[i] = { ok: false, error: job, permanent: true };
        return undefined;
      }
      try {
        return await load(job, store);
      } catch (err) {
        outcomes[i] = { ok: false, error: err, permanent: isPermanent(err) };
        return undefined;
      }
    }),
  );
  return { outcomes, ready: images.flatMap((image, i) => (image === undefined ? [] : [{ image, i }])) };
}

/** One model.extract call for the decoded images of a batch; returns one outcome per job, in order. */
export async function inferBatch(model: Model, loaded: LoadedBatch, size: SizeLike | undefined): Promise<JobOutcome[]> {
  const { outcomes, ready } = loaded;
  if (ready.length === 0) return outcomes as JobOutcome[];
  const options = size === undefined ? {} : { size };
  try {
    const features = await model.extract(ready.map((r) => r.image), options);
    for (const [k, r] of ready.entries()) outcomes[r.i] = { ok: true, features: await (features[k] as Features).toHost() };
  } catch (batchError) {
    if (ready.length === 1) {
      outcomes[(ready[0] as { i: number }).i] = { ok: false, error: batchError, permanent: isPermanent(batchError) };
    } else {
      for (const r of ready) {
        try {
          outcomes[r.i] = { ok: true, features: await (await model.extract(r.image, options)).toHost() };
        } catch (err) {
          outcomes[r.i] = { ok: false, error: err, permanent: isPermanent(err) };
        }
      }
    }
  }
  return outcomes as JobOutcome[];
}
