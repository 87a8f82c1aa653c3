/**
 * Options shared by `dinov3 worker` and `dinov3 submit`: the pool's stream name and the settings
 * the first process creates the pool with.
 * Internal: not part of the public API.
 * @module
 */
import type { PoolSettings } from '../worker/setup';
import { int, str, type Options, type Parsed } from './args';

export const POOL_FLAGS: Options = {
  stream: { type: 'string' },
  'ack-wait-ms': { type: 'string' },
  'max-deliver': { type: 'string' },
  'max-ack-pending': { type: 'string' },
};

export const POOL_OPTIONS_HELP = `Pool options (used by whichever process creates the pool first):
  --stream NAME          job stream; results, dead letters and the object store bucket are
                         NAME_RESULTS, NAME_DEAD and NAME_data (default DINOV3)
  --ack-wait-ms MS       redelivery after this long without an ack or heartbeat (default 30000)
  --max-deliver N        deliveries before a failing job is dead-lettered (default 5)
  --max-ack-pending N    jobs in flight over all workers (default 1024)`;

export function poolOptions(p: Parsed): Partial<PoolSettings> & { stream?: string } {
  const o: Partial<PoolSettings> & { stream?: string } = {};
  const stream = str(p, 'stream');
  if (stream !== undefined) o.stream = stream;
  const ackWait = int(p, 'ack-wait-ms');
  if (ackWait !== undefined) o.ackWaitMs = ackWait;
  const maxDeliver = int(p, 'max-deliver');
  if (maxDeliver !== undefined) o.maxDeliver = maxDeliver;
  const maxAckPending = int(p, 'max-ack-pending');
  if (maxAckPending !== undefined) o.maxAckPending = maxAckPending;
  return o;
}
