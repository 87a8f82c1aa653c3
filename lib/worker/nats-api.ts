/**
 * The part of the NATS client (`@nats-io/transport-node`, `@nats-io/jetstream`, `@nats-io/obj`)
 * the worker uses, as structural types, and the loader that requires those optional packages
 * only when a worker or submit client starts. The library's own types never name the packages,
 * so dinov3-trt type-checks and loads without them.
 * Internal: not part of the public API.
 * @module
 */
import { DinoError } from '../errors';

/** A JetStream message as the worker sees it. */
export interface NatsJsMsg {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly seq: number;
  readonly info: { readonly deliveryCount: number; readonly pending: number; readonly timestampNanos: number; readonly streamSequence: number };
  ack(): void;
  ackAck(opts?: Partial<{ timeout: number }>): Promise<boolean>;
  nak(millis?: number): void;
  working(): void;
  term(reason?: string): void;
}

/** A running pull (consume) or ordered consumer subscription. */
export interface NatsConsumerMessages extends AsyncIterable<NatsJsMsg> {
  stop(err?: Error): void;
  close(): Promise<void | Error>;
  getPending(): number;
}

export interface NatsConsumer {
  consume(opts?: { max_messages?: number; expires?: number }): Promise<NatsConsumerMessages>;
  info(cached?: boolean): Promise<{ num_pending: number; num_ack_pending: number; num_redelivered: number }>;
}

export interface NatsPubAck {
  readonly seq: number;
  readonly duplicate: boolean;
}

export interface NatsJetStream {
  publish(subject: string, data?: Uint8Array | string, opts?: { msgID?: string; timeout?: number }): Promise<NatsPubAck>;
  consumers: {
    get(stream: string, nameOrOrdered?: string | { filter_subjects?: string[] | string; deliver_policy?: string }): Promise<NatsConsumer>;
  };
}

export interface NatsStreamConfig {
  name: string;
  subjects: string[];
  retention?: string;
  storage?: string;
  max_msgs_per_subject?: number;
  max_age?: number;
  duplicate_window?: number;
  discard?: string;
}

export interface NatsConsumerConfig {
  durable_name: string;
  ack_policy: string;
  ack_wait: number;
  max_deliver: number;
  max_ack_pending: number;
  filter_subject?: string;
}

export interface NatsJetStreamManager {
  streams: {
    info(stream: string): Promise<{ config: NatsStreamConfig; state: { messages: number; num_subjects?: number } }>;
    add(cfg: NatsStreamConfig): Promise<unknown>;
    getMessage(stream: string, query: { seq: number } | { last_by_subj: string }): Promise<{ readonly data: Uint8Array } | null>;
    deleteMessage(stream: string, seq: number): Promise<boolean>;
  };
  consumers: {
    info(stream: string, consumer: string): Promise<{ num_pending: number; num_ack_pending: number; config: NatsConsumerConfig }>;
    add(stream: string, cfg: NatsConsumerConfig): Promise<unknown>;
  };
}

/** An object store bucket. */
export interface NatsObjectStore {
  putBlob(meta: { name: string }, data: Uint8Array): Promise<unknown>;
  getBlob(name: string): Promise<Uint8Array | null>;
  info(name: string): Promise<{ size: number; deleted?: boolean } | null>;
  delete(name: string): Promise<unknown>;
}

/** A core NATS subscription. */
export interface NatsSubscription extends AsyncIterable<{ readonly data: Uint8Array }> {
  unsubscribe(): void;
}

export interface NatsConnection {
  subscribe(subject: string, opts?: { queue?: string }): NatsSubscription;
  close(): Promise<void>;
  drain(): Promise<void>;
  closed(): Promise<void | Error>;
  isClosed(): boolean;
  flush(): Promise<void>;
}

/** The three packages' entry points the worker calls. */
export interface NatsModules {
  connect(opts: { servers: string | string[]; name?: string; maxReconnectAttempts?: number }): Promise<NatsConnection>;
  jetstream(nc: NatsConnection): NatsJetStream;
  jetstreamManager(nc: NatsConnection): Promise<NatsJetStreamManager>;
  /** Opens the bucket, creating it when missing. */
  objectStore(nc: NatsConnection, bucket: string, ttlMs: number): Promise<NatsObjectStore>;
}

/** The packages the worker needs, by name. */
export const NATS_PACKAGES = ['@nats-io/transport-node', '@nats-io/jetstream', '@nats-io/obj'] as const;

type Loader = (name: string) => unknown;

/**
 * Requires the NATS client packages. Throws ERR_DINO_MISSING_DEPENDENCY naming the packages to
 * install when one is missing. `load` is `require` unless a caller substitutes it.
 */
export function loadNats(load: Loader = require): NatsModules {
  const get = (name: (typeof NATS_PACKAGES)[number]): Record<string, unknown> => {
    try {
      return load(name) as Record<string, unknown>;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') throw err;
      throw new DinoError(
        'ERR_DINO_MISSING_DEPENDENCY',
        `The NATS worker needs the optional packages ${NATS_PACKAGES.join(', ')}; '${name}' is not installed. Install them with: npm install ${NATS_PACKAGES.join(' ')}`,
        { cause: err, details: { package: name } },
      );
    }
  };
  const transport = get('@nats-io/transport-node');
  const js = get('@nats-io/jetstream');
  const obj = get('@nats-io/obj');
  const Objm = obj.Objm as new (nc: NatsConnection) => {
    open(name: string, check?: boolean): Promise<NatsObjectStore>;
    create(name: string, opts?: { ttl?: number }): Promise<NatsObjectStore>;
  };
  return {
    connect: transport.connect as NatsModules['connect'],
    jetstream: js.jetstream as NatsModules['jetstream'],
    jetstreamManager: js.jetstreamManager as NatsModules['jetstreamManager'],
    // create() opens an existing bucket as it is and makes a missing one.
    objectStore: (nc, bucket, ttlMs) => new Objm(nc).create(bucket, { ttl: ttlMs * 1_000_000 }),
  };
}
