/**
 * Jobs that no worker finished: when a job has been delivered `max_deliver` times without an
 * acknowledgement (the workers that took it crashed or hung each time), the server stops
 * delivering it and publishes a max-deliveries advisory. One worker of the pool (a queue group)
 * takes each advisory, stores an error result and a dead letter for the job and removes it from
 * the queue, so the submitter gets an answer instead of waiting for ever.
 * Internal: not part of the public API.
 * @module
 */
import { DinoError } from '../errors';
import type { Counters } from './counters';
import { salvageJobId } from './job';
import type { NatsConnection, NatsJetStreamManager } from './nats-api';
import { publishFailure, type ResultContext } from './publish';

/** Subscribes; returns the function that unsubscribes. */
export function watchMaxDeliveries(nc: NatsConnection, jsm: NatsJetStreamManager, ctx: ResultContext, counters: Counters, onError: (err: unknown) => void): () => void {
  const { names } = ctx;
  const sub = nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${names.jobsStream}.${names.consumer}`, { queue: `${names.consumer}_advisories` });
  void (async () => {
    for await (const m of sub) {
      try {
        const advisory = JSON.parse(Buffer.from(m.data).toString('utf8')) as { stream_seq?: unknown; deliveries?: unknown };
        const seq = Number(advisory.stream_seq);
        if (!Number.isInteger(seq) || seq <= 0) continue;
        const job = await jsm.streams.getMessage(names.jobsStream, { seq }).catch(() => null);
        if (job === null) continue; // acknowledged meanwhile, or already handled
        const deliveries = Number(advisory.deliveries) || 0;
        const id = salvageJobId(job.data) ?? `seq-${seq}`;
        const error = new DinoError('ERR_DINO_QUEUE', `Job ${id} was delivered ${deliveries} times and no worker finished it (crashed or stalled each time)`);
        await publishFailure(ctx, id, seq, error, deliveries, job.data);
        await jsm.streams.deleteMessage(names.jobsStream, seq).catch(() => false);
        counters.deadLettered++;
      } catch (err) {
        onError(err);
      }
    }
  })();
  return () => sub.unsubscribe();
}
