/**
 * The messages of the worker protocol: a job (an image reference, never pixels) and its result
 * (CLS inline, the patch grid as an .npy object in the store), with their validation. Both are
 * JSON, version 1, so clients in any language can submit jobs and read results.
 * @module
 */
import { createHash } from 'node:crypto';

import { DinoError, type ErrorCode } from '../errors';
import { isObject } from '../validate';

/** What a worker computes for each job. */
export type WorkerOutput = 'cls' | 'patches';

/** Where the worker reads the image: a key of the pool's object store, or a path it can read. */
export type ImageRef = { key: string } | { path: string };

/** A job: one image to embed. Published to `<stream>.jobs`. */
export interface Job {
  v: 1;
  /** Job id: 1-64 letters, digits, '_' or '-' (it becomes a subject token). Results are de-duplicated by it. */
  id: string;
  image: ImageRef;
}

/** A successful result. Published to `<stream>.results.<id>`. */
export interface JobSuccess {
  v: 1;
  id: string;
  ok: true;
  /** CLS token (when the worker's outputs include 'cls'). */
  cls?: number[];
  dim: number;
  grid: { rows: number; cols: number };
  /** Object store key of the patch grid, an .npy float32 array [rows * cols, dim] (when the outputs include 'patches'). */
  patches?: string;
  imageSize: { height: number; width: number };
  backend: string;
  /** Name of the worker that computed it. */
  worker: string;
  /** Delivery attempt that produced it (1 = first). */
  delivery: number;
}

/** A failed job (unreadable or corrupt image, or repeated failures). Also sent to the dead-letter subject. */
export interface JobFailure {
  v: 1;
  id: string;
  ok: false;
  error: { code: string; message: string };
  worker: string;
  delivery: number;
}

/** A job's result: a success or a failure. */
export type JobResult = JobSuccess | JobFailure;

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A job id for an image of a submission: a hash of its relative path and content (stable across re-runs). */
export function jobIdFor(relativePath: string, content: Uint8Array): string {
  return createHash('sha256').update(relativePath).update('\0').update(content).digest('hex').slice(0, 32);
}

/** A job or result as the JSON bytes that go on the wire. */
export function encodeMessage(message: Job | JobResult): Uint8Array {
  return Buffer.from(JSON.stringify(message));
}

function parseJson(data: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch (err) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `${what} is not JSON`, { cause: err });
  }
  if (!isObject(value) || value.v !== 1) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `${what} is not a version 1 message`);
  return value;
}

/** Parses and checks a job message; throws ERR_DINO_INVALID_ARGUMENT when it is malformed. */
export function decodeJob(data: Uint8Array): Job {
  const job = parseJson(data, 'job');
  if (typeof job.id !== 'string' || !ID.test(job.id)) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', 'job.id must be 1-64 letters, digits, _ or -');
  const image = job.image;
  if (isObject(image) && typeof image.key === 'string' && image.key.length > 0) return { v: 1, id: job.id, image: { key: image.key } };
  if (isObject(image) && typeof image.path === 'string' && image.path.length > 0) return { v: 1, id: job.id, image: { path: image.path } };
  throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `job ${job.id}: image must be { key } or { path }`);
}

/** The id of a job message even when the rest of it is malformed (for its error result), or undefined. */
export function salvageJobId(data: Uint8Array): string | undefined {
  try {
    const id = (JSON.parse(Buffer.from(data).toString('utf8')) as { id?: unknown }).id;
    return typeof id === 'string' && ID.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Parses and checks a result message. */
export function decodeResult(data: Uint8Array): JobResult {
  const r = parseJson(data, 'result');
  if (typeof r.id !== 'string' || typeof r.ok !== 'boolean') throw new DinoError('ERR_DINO_INVALID_ARGUMENT', 'result needs id and ok');
  if (r.ok) {
    if (r.cls !== undefined && !(Array.isArray(r.cls) && r.cls.every((x) => typeof x === 'number'))) {
      throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `result ${r.id}: cls must be an array of numbers`);
    }
    if (typeof r.dim !== 'number' || !isObject(r.grid)) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `result ${r.id}: dim and grid are required`);
    return r as unknown as JobSuccess;
  }
  if (!isObject(r.error) || typeof r.error.message !== 'string') throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `result ${r.id}: error is required`);
  return r as unknown as JobFailure;
}

/** The error part of a failure result. */
export function errorOf(err: unknown): { code: ErrorCode | string; message: string } {
  const e = err as { code?: unknown; message?: unknown };
  return { code: typeof e?.code === 'string' ? e.code : 'ERR_DINO_INTERNAL', message: typeof e?.message === 'string' ? e.message : String(err) };
}
