/**
 * A JetStream worker: pulls jobs from the pool's shared consumer in batches, runs one inference
 * per batch, stores each result and only then acknowledges its job. While a batch runs, its jobs
 * are kept alive with `working()`; a worker that dies leaves them unacknowledged, and the server
 * redelivers them to another worker after the ack wait (at least once; results are
 * de-duplicated by job id). A job that fails for good (corrupt image) gets an error result and a
 * dead letter; one that fails otherwise is retried until its last delivery, and one whose workers
 * all died gets an error result from the max-deliveries advisory (./max-deliveries).
 * @module
 */
import { hostname } from 'node:os';

import type { Model } from '../model/model';
import type { SizeLike } from '../util/size';
import { integer, invalid } from '../validate';
import { BatchQueue } from './batch-queue';
import { inferBatch, loadBatch, type JobOutcome, type LoadedBatch } from './batch';
import { Counters, type WorkerCounters } from './counters';
import { decodeJob, salvageJobId, type Job, type WorkerOutput } from './job';
import { watchMaxDeliveries } from './max-deliveries';
import { loadNats, type NatsJsMsg } from './nats-api';
import { publishFailure, publishSuccess, type ResultContext } from './publish';
import { connectNats, ensurePool, poolNames, poolSettings, type PoolSettings } from './setup';

/** Options of {@link startWorker}. */
export interface WorkerOptions extends Partial<PoolSettings> {
  /** NATS server URL(s), comma-separated, e.g. `nats://127.0.0.1:4222`. */
  nats: string;
  /** The model; the worker does not dispose it. */
  model: Model;
  /** Name of the pool's job stream (the other names derive from it). Default `DINOV3`. */
  stream?: string;
  /** Most jobs per inference. Default 16. */
  batch?: number;
  /** How long a batch waits to fill once its first job arrived, ms. Default 20. */
  maxWaitMs?: number;
  /** What each result carries. Default both: `['cls', 'patches']`. */
  outputs?: readonly WorkerOutput[];
  /** Input size of the model (default: the model's). */
  size?: SizeLike;
  /** Worker name in results. Default `<hostname>-<pid>`. */
  name?: string;
  /** Called with errors that do not stop the worker (a result that could not be stored, ...). */
  onError?: (err: unknown) => void;
}

/** A running worker. */
export interface NatsWorker {
  readonly name: string;
  /** Counters so far. */
  counters(): WorkerCounters;
  /**
   * Drains: stops taking jobs, hands queued ones back, finishes the running batch (results stored,
   * jobs acknowledged) and closes the connection.
   */
  stop(): Promise<void>;
  /** Settles when the worker has stopped (after {@link stop}, or when the connection closed); rejects on a fatal error. */
  readonly done: Promise<void>;
}

function outputsOf(value: readonly WorkerOutput[] | undefined): WorkerOutput[] {
  const outputs = [...(value ?? ['cls', 'patches'])];
  if (outputs.length === 0 || outputs.some((o) => o !== 'cls' && o !== 'patches')) invalid('outputs', "a non-empty list of 'cls' and 'patches'", value);
  return outputs;
}

/**
 * Starts a worker of the pool at `options.nats` (creating the pool's streams, consumer and
 * bucket when missing).
 * @throws DinoError ERR_DINO_MISSING_DEPENDENCY when the NATS client packages are not installed,
 * ERR_DINO_QUEUE when no server answers.
 * @example
 * ```ts
 * import { loadModel } from 'dinov3-trt';
 * import { startWorker } from 'dinov3-trt/worker';
 * const model = await loadModel('dinov3-vits16.onnx');
 * const worker = await startWorker({ nats: 'nats://127.0.0.1:4222', model, batch: 16 });
 * process.on('SIGTERM', () => void worker.stop());
 * await worker.done;
 * ```
 */
export async function startWorker(options: WorkerOptions): Promise<NatsWorker> {
  const batchSize = integer(options.batch ?? 16, 'batch', 1, 4096);
  const maxWaitMs = integer(options.maxWaitMs ?? 20, 'maxWaitMs', 0, 60_000);
  const outputs = outputsOf(options.outputs);
  const settings = poolSettings(options);
  const names = poolNames(options.stream ?? 'DINOV3');
  const name = options.name ?? `${hostname()}-${process.pid}`;
  const onError = options.onError ?? (() => undefined);
  const nats = loadNats();
  const nc = await connectNats(nats, options.nats, `dinov3-worker ${name}`);
  let consumerInfo;
  let store;
  let jsm;
  try {
    const pool = await ensurePool(nats, nc, names, settings);
    store = pool.store;
    jsm = pool.jsm;
    consumerInfo = await jsm.consumers.info(names.jobsStream, names.consumer);
  } catch (err) {
    await nc.close();
    throw err;
  }
  // The consumer's own settings rule (it may have been created by another process).
  const maxDeliver = consumerInfo.config.max_deliver > 0 ? consumerInfo.config.max_deliver : Infinity;
  const heartbeatMs = Math.max(100, consumerInfo.config.ack_wait / 1_000_000 / 3);
  const js = nats.jetstream(nc);
  const consumer = await js.consumers.get(names.jobsStream, names.consumer);
  const messages = await consumer.consume({ max_messages: batchSize });
  const queue = new BatchQueue<NatsJsMsg>(batchSize, maxWaitMs);
  const counters = new Counters(batchSize);
  const ctx: ResultContext = { js, store, names, worker: name, outputs };
  const pump = queue.pump(messages, (m) => m.nak());
  const unwatch = watchMaxDeliveries(nc, jsm, ctx, counters, onError);
  // Jobs waiting for a batch are heartbeated too: behind a long batch they could outwait the ack wait.
  const queueHeartbeat = setInterval(() => {
    for (const m of queue.waiting()) m.working();
  }, heartbeatMs);

  const finish = async (m: NatsJsMsg, job: Job | Error, outcome: JobOutcome): Promise<void> => {
    const id = job instanceof Error ? (salvageJobId(m.data) ?? `seq-${m.info.streamSequence}`) : job.id;
    const delivery = m.info.deliveryCount;
    try {
      if (outcome.ok) {
        await publishSuccess(ctx, id, m.info.streamSequence, outcome.features, delivery);
      } else if (outcome.permanent || delivery >= maxDeliver) {
        await publishFailure(ctx, id, m.info.streamSequence, outcome.error, delivery, m.data);
        counters.failed++;
        counters.deadLettered++;
      } else {
        m.nak(Math.min(5000, 250 * 2 ** delivery));
        counters.retried++;
        onError(outcome.error);
        return;
      }
    } catch (err) {
      // Not stored: hand the job back so that this or another worker tries again.
      m.nak(1000);
      counters.retried++;
      onError(err);
      return;
    }
    counters.jobs++;
    // Acknowledged only now that the result is stored. A lost ack means a redelivery and a
    // duplicate result, which the results stream drops.
    await m.ackAck({ timeout: 5000 }).catch(onError);
  };

  interface Prepared {
    batch: NatsJsMsg[];
    jobs: Array<Job | Error>;
    loaded: Promise<LoadedBatch>;
    heartbeat: NodeJS.Timeout;
  }

  // Jobs are heartbeated from the moment their images start loading until their results are stored.
  const prepare = (batch: NatsJsMsg[] | undefined): Prepared | undefined => {
    if (batch === undefined || batch.length === 0) return undefined;
    const wall = Date.now();
    for (const m of batch) counters.delivered(wall - m.info.timestampNanos / 1e6, m.info.pending, m.info.deliveryCount);
    const jobs = batch.map((m): Job | Error => {
      try {
        return decodeJob(m.data);
      } catch (err) {
        return err as Error;
      }
    });
    const heartbeat = setInterval(() => {
      for (const m of batch) m.working();
    }, heartbeatMs);
    const loaded = loadBatch(jobs, store);
    loaded.catch(() => undefined);
    return { batch, jobs, loaded, heartbeat };
  };

  const run = async ({ batch, jobs, loaded, heartbeat }: Prepared): Promise<void> => {
    try {
      const images = await loaded;
      const start = performance.now();
      const outcomes = await inferBatch(options.model, images, options.size);
      counters.batch(batch.length, performance.now() - start);
      await Promise.all(batch.map((m, i) => finish(m, jobs[i] as Job | Error, outcomes[i] as JobOutcome)));
    } catch (err) {
      for (const m of batch) m.nak(1000);
      counters.retried += batch.length;
      onError(err);
    } finally {
      clearInterval(heartbeat);
    }
  };

  let stopping = false;
  // While a batch runs, the next one fills and its images load.
  const loop = (async () => {
    let next = queue.next().then(prepare);
    for (;;) {
      const current = await next;
      if (current === undefined) break;
      next = queue.next().then(prepare);
      await run(current);
    }
  })();

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
      clearInterval(queueHeartbeat);
      unwatch();
      messages.stop();
      for (const m of queue.close()) m.nak();
      await loop.catch(onError);
      await pump.catch(onError);
      if (!nc.isClosed()) await nc.drain();
    })();
    return stopped;
  };
  const done = (async () => {
    const closed = nc.closed().then((err) => {
      if (err instanceof Error) throw err;
    });
    await Promise.race([loop, closed]);
    if (!stopping) await stop();
    else await stopped;
  })();
  done.catch(() => undefined);
  return { name, counters: () => counters.snapshot(), stop, done };
}
