/** `dinov3 build`: builds (or finds in the cache) a TensorRT engine for a DINOv3 ONNX model. */
import { DinoError } from '../../errors';
import { buildEngine } from '../../tensorrt/build-engine';
import type { BuildEngineOptions, BuildProgress, Precision } from '../../tensorrt/options';
import { parseSize } from '../../util/size';
import { oneOf } from '../../validate';
import { flag, int, parse, required, str, type Options } from '../args';

export const usage = `Usage: dinov3 build --model MODEL.onnx [--precision best|bf16|fp16|fp32]
                    [--size HxW | --min-size HxW --opt-size HxW --max-size HxW] [--batch N]
                    [--workspace-mib 1024] [--cache-dir DIR] [--min-cosine 0.999] [--force] [--json]

Builds a TensorRT engine on this machine and caches it (engines/ or --cache-dir; key = model
sha256 + TensorRT + CUDA + GPU + precision + sizes + flags). 'best' tries bf16 (TensorRT 10),
then fp16 with LayerNorm and attention in fp32, then fp32, and keeps the first whose outputs on
the conformance photo match ONNX Runtime fp32 (per-token cosine >= --min-cosine, no NaN/Inf);
each candidate's result is printed and kept in the sidecar. bf16 needs TensorRT 10. Ctrl-C cancels.
--batch N: batches of 1 to N images per inference, optimised for N (several streams through one
model: their number; \`segment\` and \`live\` with N inputs build for N themselves).`;

const options: Options = {
  model: { type: 'string' },
  precision: { type: 'string' },
  size: { type: 'string' },
  'min-size': { type: 'string' },
  'opt-size': { type: 'string' },
  'max-size': { type: 'string' },
  batch: { type: 'string' },
  'workspace-mib': { type: 'string' },
  'cache-dir': { type: 'string' },
  'min-cosine': { type: 'string' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
};

function progressPrinter(stream: NodeJS.WriteStream): (p: BuildProgress) => void {
  let lastPhase = '';
  return (p) => {
    const share = p.steps > 0 ? ` ${Math.min(p.step, p.steps)}/${p.steps}` : '';
    const text = `${p.phase}${share}${p.message ? `  ${p.message}` : ''}`;
    if (stream.isTTY) {
      stream.write(`\r${text.slice(0, (stream.columns ?? 80) - 1)}\x1b[K`);
    } else if (p.phase !== lastPhase) {
      stream.write(`${text}\n`);
    }
    lastPhase = p.phase;
  };
}

export async function run(argv: readonly string[], out: (s: string) => void): Promise<void> {
  const p = parse(argv, options);
  const model = required(p, 'model', usage);
  const o: BuildEngineOptions = {};
  const precision = str(p, 'precision');
  if (precision !== undefined) o.precision = oneOf(precision, '--precision', ['best', 'bf16', 'fp16', 'fp32'] as const) as Precision;
  const size = str(p, 'size');
  const [min, opt, max] = [str(p, 'min-size'), str(p, 'opt-size'), str(p, 'max-size')];
  if (size !== undefined && (min ?? opt ?? max) !== undefined) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', 'Give either --size or --min-size/--opt-size/--max-size');
  }
  if (size !== undefined) o.sizes = parseSize(size, '--size');
  else if ((min ?? opt ?? max) !== undefined) {
    const mid = opt ?? min ?? max;
    o.sizes = { min: parseSize(min ?? mid ?? '', '--min-size'), opt: parseSize(mid ?? '', '--opt-size'), max: parseSize(max ?? mid ?? '', '--max-size') };
  }
  const batch = int(p, 'batch');
  if (batch !== undefined) o.batch = batch;
  const ws = int(p, 'workspace-mib');
  if (ws !== undefined) o.workspaceMiB = ws;
  const cacheDir = str(p, 'cache-dir');
  if (cacheDir !== undefined) o.cacheDir = cacheDir;
  const minCosine = str(p, 'min-cosine');
  if (minCosine !== undefined) o.minCosine = Number(minCosine);
  if (flag(p, 'force')) o.force = true;
  const controller = new AbortController();
  const onSigint = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  o.signal = controller.signal;
  o.onProgress = progressPrinter(process.stderr);
  try {
    const e = await buildEngine(model, o);
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    if (flag(p, 'json')) {
      out(JSON.stringify(e, null, 2));
      return;
    }
    out(
      [
        `engine     ${e.planPath}${e.fromCache ? ' (from the cache)' : ''}`,
        `precision  ${e.precision}`,
        ...e.candidates.map((c) => `  ${c.precision.padEnd(5)} ${c.outcome.padEnd(9)} ${c.reason}`),
        `accuracy   min per-token cosine ${e.accuracy.minCosine.toFixed(5)}, mean ${e.accuracy.meanCosine.toFixed(5)}, max |diff| ${e.accuracy.maxAbsDiff.toExponential(2)}`,
        `profile    min [${e.profile.min.join(', ')}] opt [${e.profile.opt.join(', ')}] max [${e.profile.max.join(', ')}]`,
        `tensorrt   ${e.tensorrt}; build ${(e.buildMs / 1000).toFixed(1)} s`,
        `sidecar    ${e.sidecarPath}`,
      ].join('\n'),
    );
  } finally {
    process.off('SIGINT', onSigint);
  }
}
