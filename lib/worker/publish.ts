/**
 * Stores a job's result: the patch grid as an .npy object first, then the result message on
 * `<stream>.results.<id>`. The message id is the job id and the job message's stream sequence, so
 * the server drops the duplicate result of a redelivered job (within its de-duplication window),
 * while a job queued again gets a new result; the results stream keeps one message per job id. A failed job's
 * result also goes to the dead-letter subject with the job as it arrived.
 * Internal: not part of the public API.
 * @module
 */
import type { Features } from '../features';
import { encodeNpy } from '../io/npy';
import { encodeMessage, errorOf, type JobFailure, type JobSuccess, type WorkerOutput } from './job';
import type { NatsJetStream, NatsObjectStore } from './nats-api';
import type { PoolNames } from './setup';

/** Object store key of a job's patch grid. */
export function patchesKey(jobId: string): string {
  return `patches/${jobId}.npy`;
}

export interface ResultContext {
  js: NatsJetStream;
  store: NatsObjectStore;
  names: PoolNames;
  worker: string;
  outputs: readonly WorkerOutput[];
}

/** Stores a success; resolves once the server has stored it. */
export async function publishSuccess(ctx: ResultContext, id: string, seq: number, features: Features, delivery: number): Promise<JobSuccess> {
  const result: JobSuccess = {
    v: 1,
    id,
    ok: true,
    dim: features.dim,
    grid: { rows: features.grid.rows, cols: features.grid.cols },
    imageSize: { height: features.imageSize.height, width: features.imageSize.width },
    backend: features.backend,
    worker: ctx.worker,
    delivery,
  };
  if (ctx.outputs.includes('cls')) result.cls = Array.from(features.cls);
  if (ctx.outputs.includes('patches')) {
    const key = patchesKey(id);
    await ctx.store.putBlob({ name: key }, encodeNpy(features.patches, [features.patchCount, features.dim]));
    result.patches = key;
  }
  await ctx.js.publish(ctx.names.resultSubject(id), encodeMessage(result), { msgID: `result-${id}-${seq}` });
  return result;
}

/** Stores an error result and the dead letter (the original job bytes plus the error). */
export async function publishFailure(ctx: ResultContext, id: string, seq: number, error: unknown, delivery: number, job: Uint8Array): Promise<JobFailure> {
  const result: JobFailure = { v: 1, id, ok: false, error: errorOf(error), worker: ctx.worker, delivery };
  await ctx.js.publish(
    ctx.names.deadSubject(id),
    Buffer.from(JSON.stringify({ v: 1, id, error: result.error, worker: ctx.worker, delivery, job: Buffer.from(job).toString('utf8') })),
    { msgID: `dead-${id}-${seq}` },
  );
  await ctx.js.publish(ctx.names.resultSubject(id), encodeMessage(result), { msgID: `result-${id}-${seq}` });
  return result;
}
