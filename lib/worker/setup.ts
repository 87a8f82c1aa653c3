/**
 * The JetStream resources of one worker pool, named from its stream name, and the idempotent
 * set-up that creates the missing ones (workers and submit clients both call it, in any order):
 * a work-queue stream of jobs with one durable pull consumer shared by all workers, a results
 * stream that keeps one result per job id, a dead-letter stream, and an object store bucket for
 * images and patch grids.
 * Internal: not part of the public API.
 * @module
 */
import { DinoError } from '../errors';
import { integer } from '../validate';
import type { NatsConnection, NatsConsumerConfig, NatsJetStreamManager, NatsModules, NatsObjectStore, NatsStreamConfig } from './nats-api';

/** Subjects, streams, consumer and bucket of a pool. */
export interface PoolNames {
  jobsStream: string;
  jobsSubject: string;
  resultsStream: string;
  /** `<stream>.results.<jobId>` */
  resultSubject(jobId: string): string;
  resultsWildcard: string;
  deadStream: string;
  deadSubject(jobId: string): string;
  consumer: string;
  bucket: string;
}

/**
 * The names of the pool whose job stream is `stream`: `<stream>.jobs`, `<stream>_RESULTS`
 * (`<stream>.results.<id>`), `<stream>_DEAD` (`<stream>.dead.<id>`), consumer `<stream>_workers`,
 * bucket `<stream>_data`.
 * @throws DinoError ERR_DINO_INVALID_ARGUMENT for a name NATS does not accept.
 */
export function poolNames(stream: string): PoolNames {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(stream)) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `The stream name must be 1-64 letters, digits, '_' or '-', got '${stream}'`);
  }
  return {
    jobsStream: stream,
    jobsSubject: `${stream}.jobs`,
    resultsStream: `${stream}_RESULTS`,
    resultSubject: (id) => `${stream}.results.${id}`,
    resultsWildcard: `${stream}.results.*`,
    deadStream: `${stream}_DEAD`,
    deadSubject: (id) => `${stream}.dead.${id}`,
    consumer: `${stream}_workers`,
    bucket: `${stream}_data`,
  };
}

/** Settings of the shared consumer and retention; only the first process to create them sets them. */
export interface PoolSettings {
  /** How long a job may stay unacknowledged before redelivery (the worker heartbeats meanwhile). Default 30 s. */
  ackWaitMs: number;
  /** Deliveries of a job before it goes to the dead-letter subject. Default 5. */
  maxDeliver: number;
  /** Jobs delivered and not yet acknowledged, over all workers. Default 1024. */
  maxAckPending: number;
  /** How long results, dead letters and objects are kept. Default 7 days. */
  retentionMs: number;
}

/** Default pool settings. */
export const POOL_DEFAULTS: PoolSettings = { ackWaitMs: 30_000, maxDeliver: 5, maxAckPending: 1024, retentionMs: 7 * 24 * 3600 * 1000 };

const NS = 1_000_000;

/** The defaults with the options given (checked) in place. */
export function poolSettings(options: Partial<PoolSettings>): PoolSettings {
  return {
    ackWaitMs: integer(options.ackWaitMs ?? POOL_DEFAULTS.ackWaitMs, 'ackWaitMs', 100),
    maxDeliver: integer(options.maxDeliver ?? POOL_DEFAULTS.maxDeliver, 'maxDeliver', 1),
    maxAckPending: integer(options.maxAckPending ?? POOL_DEFAULTS.maxAckPending, 'maxAckPending', 1),
    retentionMs: integer(options.retentionMs ?? POOL_DEFAULTS.retentionMs, 'retentionMs', 1000),
  };
}

function isNotFound(err: unknown): boolean {
  const e = err as { message?: unknown; code?: unknown; api_error?: { err_code?: number } };
  return (typeof e.message === 'string' && /not found/i.test(e.message)) || e.code === '404' || e.code === 404;
}

async function ensureStream(jsm: NatsJetStreamManager, config: NatsStreamConfig): Promise<void> {
  try {
    await jsm.streams.info(config.name);
    return;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  try {
    await jsm.streams.add(config);
  } catch (err) {
    // Another process may have created it between our info and add.
    await jsm.streams.info(config.name).catch(() => {
      throw err;
    });
  }
}

async function ensureConsumer(jsm: NatsJetStreamManager, stream: string, config: NatsConsumerConfig): Promise<void> {
  try {
    await jsm.consumers.info(stream, config.durable_name);
    return;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  try {
    await jsm.consumers.add(stream, config);
  } catch (err) {
    await jsm.consumers.info(stream, config.durable_name).catch(() => {
      throw err;
    });
  }
}

/** Creates what is missing of the pool and opens its object store bucket. */
export async function ensurePool(nats: NatsModules, nc: NatsConnection, names: PoolNames, settings: PoolSettings): Promise<{ jsm: NatsJetStreamManager; store: NatsObjectStore }> {
  const jsm = await nats.jetstreamManager(nc);
  const keep = settings.retentionMs * NS;
  await ensureStream(jsm, { name: names.jobsStream, subjects: [names.jobsSubject], retention: 'workqueue', storage: 'file', duplicate_window: 120_000 * NS });
  await ensureStream(jsm, {
    name: names.resultsStream,
    subjects: [names.resultsWildcard],
    retention: 'limits',
    storage: 'file',
    max_msgs_per_subject: 1,
    max_age: keep,
    duplicate_window: 120_000 * NS,
  });
  await ensureStream(jsm, { name: names.deadStream, subjects: [`${names.jobsStream}.dead.*`], retention: 'limits', storage: 'file', max_age: keep });
  await ensureConsumer(jsm, names.jobsStream, {
    durable_name: names.consumer,
    ack_policy: 'explicit',
    ack_wait: settings.ackWaitMs * NS,
    max_deliver: settings.maxDeliver,
    max_ack_pending: settings.maxAckPending,
    filter_subject: names.jobsSubject,
  });
  const store = await nats.objectStore(nc, names.bucket, settings.retentionMs);
  return { jsm, store };
}

/** Connects to the server(s), with a DinoError naming the URL when nothing answers. */
export async function connectNats(nats: NatsModules, servers: string, name: string): Promise<NatsConnection> {
  try {
    return await nats.connect({ servers: servers.split(',').map((s) => s.trim()).filter((s) => s.length > 0), name });
  } catch (err) {
    throw new DinoError('ERR_DINO_QUEUE', `Cannot connect to NATS at ${servers}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
