/** `dinov3 submit`: extracts a folder of images through a NATS JetStream worker pool. */
import { join } from 'node:path';

import { ProgressBar } from '../../video/progress';
import { submitFolder, type SubmitProgress } from '../../worker/submit';
import { flag, int, parse, required, type Options } from '../args';
import { POOL_FLAGS, POOL_OPTIONS_HELP, poolOptions } from '../pool-options';

export const usage = `Usage: dinov3 submit --nats URL --input DIR --out DIR [--stream DINOV3] [--timeout-s S]
                     [--keep-objects] [pool options]

Uploads the images under DIR (recursively) to the pool's object store, queues one job per
image, waits for every result (run \`dinov3 worker\` processes, anywhere, against the same
server) and writes OUT/<image path>.cls.npy and .patches.npy (whichever the workers produce),
OUT/<image path>.json once an image is finished, and OUT/summary.json. Re-running skips
finished images, so an interrupted run resumes. --timeout-s gives up when no result arrived for
that long (default: wait for ever). Uploaded images and patch grids are deleted from the object
store once written, unless --keep-objects.

${POOL_OPTIONS_HELP}`;

const options: Options = {
  nats: { type: 'string' },
  input: { type: 'string' },
  out: { type: 'string' },
  'timeout-s': { type: 'string' },
  'keep-objects': { type: 'boolean' },
  ...POOL_FLAGS,
};

/** Progress on a terminal as a bar, elsewhere a line at every tenth. */
function progress(out: (s: string) => void): { update: (p: SubmitProgress) => void; finish: () => void } {
  let bar: ProgressBar | undefined;
  let lastTenth = 0;
  return {
    update: (p) => {
      bar ??= new ProgressBar('submit', p.total);
      if (bar.active) bar.update(p.done);
      else if (Math.floor((p.done * 10) / p.total) > lastTenth || p.done === p.total) {
        lastTenth = Math.floor((p.done * 10) / p.total);
        out(`submit: ${p.done}/${p.total} images${p.failed > 0 ? ` (${p.failed} failed)` : ''}`);
      }
    },
    finish: () => bar?.finish(),
  };
}

export async function run(argv: readonly string[], out: (s: string) => void): Promise<number> {
  const p = parse(argv, options);
  const nats = required(p, 'nats', usage);
  const input = required(p, 'input', usage);
  const outDir = required(p, 'out', usage);
  const timeoutS = int(p, 'timeout-s');
  const shown = progress(out);
  let summary;
  try {
    summary = await submitFolder({
      nats,
      input,
      out: outDir,
      ...poolOptions(p),
      keepObjects: flag(p, 'keep-objects'),
      ...(timeoutS === undefined ? {} : { idleTimeoutMs: timeoutS * 1000 }),
      onProgress: shown.update,
    });
  } finally {
    shown.finish();
  }
  out(
    `${summary.images} images: ${summary.ok} ok (${summary.skipped} from an earlier run), ${summary.failed} failed, ` +
      `${(summary.ms / 1000).toFixed(1)} s; wrote ${join(outDir, 'summary.json')}`,
  );
  for (const e of summary.entries.filter((x) => !x.ok)) out(`failed: ${e.image}: ${e.error?.message ?? 'unknown error'} [${e.error?.code ?? '?'}]`);
  return summary.failed > 0 ? 1 : 0;
}
