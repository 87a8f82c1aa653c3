/** `dinov3 worker`: a NATS JetStream worker that extracts features of queued images in batches. */
import { DinoError } from '../../errors';
import { loadModel } from '../../model/model';
import { parseSize } from '../../util/size';
import { formatCounters } from '../../worker/counters';
import type { WorkerOutput } from '../../worker/job';
import { startWorker } from '../../worker/worker';
import { int, parse, required, str, type Options } from '../args';
import { loadOptions, MODEL_FLAGS, MODEL_OPTIONS_HELP } from '../model-options';
import { POOL_FLAGS, POOL_OPTIONS_HELP, poolOptions } from '../pool-options';

export const usage = `Usage: dinov3 worker --nats URL --model MODEL.onnx [--stream DINOV3] [--batch 16]
                     [--max-wait-ms 20] [--outputs cls,patches] [--size HxW] [--name NAME]
                     [--stats-s 10] [pool options] [model options]

Pulls jobs from the JetStream pool at URL (comma-separated URLs for a cluster) and runs up to
--batch images per inference, waiting at most --max-wait-ms for a batch to fill. Each result is
stored (CLS inline, the patch grid as .npy in the object store) before its job is acknowledged;
a corrupt image gets an error result and a dead letter. Runs until SIGTERM or SIGINT, then
drains: the running batch finishes, queued jobs go back to the pool. Prints its counters every
--stats-s seconds (0: only at the end). See docs/WORKER.md.

${POOL_OPTIONS_HELP}

${MODEL_OPTIONS_HELP}`;

const options: Options = {
  nats: { type: 'string' },
  model: { type: 'string' },
  batch: { type: 'string' },
  'max-wait-ms': { type: 'string' },
  outputs: { type: 'string' },
  size: { type: 'string' },
  name: { type: 'string' },
  'stats-s': { type: 'string' },
  ...POOL_FLAGS,
  ...MODEL_FLAGS,
};

function parseOutputs(text: string): WorkerOutput[] {
  const outputs = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (outputs.length === 0 || outputs.some((o) => o !== 'cls' && o !== 'patches')) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `--outputs must list cls and/or patches, got '${text}'`);
  }
  return outputs as WorkerOutput[];
}

export async function run(argv: readonly string[], out: (s: string) => void): Promise<void> {
  const p = parse(argv, options);
  const nats = required(p, 'nats', usage);
  const modelPath = required(p, 'model', usage);
  const size = str(p, 'size');
  const outputs = parseOutputs(str(p, 'outputs') ?? 'cls,patches');
  const statsS = int(p, 'stats-s', 10) as number;
  const pool = poolOptions(p);
  const model = await loadModel(modelPath, loadOptions(p));
  try {
    const worker = await startWorker({
      nats,
      model,
      outputs,
      ...pool,
      ...(int(p, 'batch') === undefined ? {} : { batch: int(p, 'batch') as number }),
      ...(int(p, 'max-wait-ms') === undefined ? {} : { maxWaitMs: int(p, 'max-wait-ms') as number }),
      ...(size === undefined ? {} : { size: parseSize(size, '--size') }),
      ...(str(p, 'name') === undefined ? {} : { name: str(p, 'name') as string }),
      onError: (err) => process.stderr.write(`dinov3 worker: ${err instanceof Error ? err.message : String(err)}\n`),
    });
    out(`worker ${worker.name}: ${model.backend}, pool ${pool.stream ?? 'DINOV3'} at ${nats}`);
    const stop = (): void => {
      void worker.stop();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const stats = statsS > 0 ? setInterval(() => out(formatCounters(worker.counters())), statsS * 1000) : undefined;
    try {
      await worker.done;
    } finally {
      if (stats) clearInterval(stats);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    out(`stopped: ${formatCounters(worker.counters())}`);
  } finally {
    await model.dispose();
  }
}
