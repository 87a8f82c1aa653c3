/**
 * `dinov3-trt/worker`: DINOv3 feature extraction as workers of a NATS JetStream pool. Jobs
 * (image references) go to a work-queue stream; any number of workers, on any machines, pull
 * them in batches (one inference per batch) and publish results (CLS inline, patch grids as .npy
 * objects); {@link submitFolder} feeds a folder through the pool and writes the features.
 * Needs the optional packages `@nats-io/transport-node`, `@nats-io/jetstream` and `@nats-io/obj`
 * (ERR_DINO_MISSING_DEPENDENCY without them). See docs/WORKER.md.
 *
 * @example
 * ```ts
 * import { loadModel } from 'dinov3-trt';
 * import { startWorker } from 'dinov3-trt/worker';
 * const worker = await startWorker({ nats: 'nats://127.0.0.1:4222', model: await loadModel('m.onnx') });
 * process.on('SIGTERM', () => void worker.stop());
 * ```
 * @module dinov3-trt/worker
 */
export { startWorker, type NatsWorker, type WorkerOptions } from './worker';
export { submitFolder, type SubmitEntry, type SubmitOptions, type SubmitProgress, type SubmitSummary } from './submit';
export { decodeJob, decodeResult, encodeMessage, jobIdFor, type ImageRef, type Job, type JobFailure, type JobResult, type JobSuccess, type WorkerOutput } from './job';
export { formatCounters, type WorkerCounters } from './counters';
export { poolNames, POOL_DEFAULTS, type PoolNames, type PoolSettings } from './setup';
