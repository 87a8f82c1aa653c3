/**
 * Entry point of `dinov3 make-test-model`: writes the seeded tiny DINOv3-shaped ONNX model.
 * CLI-independent: `main(argv)` takes the arguments after the subcommand and returns an exit
 * code; it never calls `process.exit`.
 * @module
 */
import { parseArgs } from 'node:util';
import { isDinoError } from '../errors';
import { writeTinyDinov3, type TinyDinov3Options } from './tiny-dinov3';

/** Where {@link main} writes its messages. */
export interface MakeTinyModelIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const defaultIo: MakeTinyModelIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Usage text of `dinov3 make-test-model`. */
export const USAGE = `usage: dinov3 make-test-model --out <model.onnx> [options]

Writes a small DINOv3-shaped ViT with seeded random weights (not trained): input
pixel_values [batch,3,height,width], outputs last_hidden_state [batch,1+registers+N,dim]
and pooler_output [batch,dim].

  --out <path>          output file (required)
  --dim <n>             embedding dimension (64)
  --depth <n>           transformer blocks (3)
  --heads <n>           attention heads (4); dim/heads must be a multiple of 4
  --registers <n>       register tokens (4)
  --patch-size <n>      patch size (16)
  --mlp-ratio <n>       MLP hidden size / dim (4)
  --opset <16|17>       17 uses LayerNormalization; 16 the decomposed form (17)
  --dtype <t>           float32 or float16 (float32)
  --keep-io-types       with --dtype float16: float32 input and outputs around the float16
                        graph (the model_fp16.onnx of the community exports)
  --seed <n>            weight seed (0)
  --quantize dynamic    linear layers quantised as ONNX Runtime's dynamic quantisation writes
                        them (DynamicQuantizeLinear + MatMulInteger, int8 weights of the same
                        seed): the model_quantized.onnx of the float model (float32 only)
  --fixed-size <HxW>    static input size, e.g. 224x224 (dynamic by default)
  -h, --help            show this help
`;

class UsageError extends Error {}

function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} expects a non-negative integer, got "${value}"`);
  return Number(value);
}

function parseFixedSize(value: string | undefined): TinyDinov3Options['fixedSize'] {
  if (value === undefined) return undefined;
  const m = /^(\d+)x(\d+)$/i.exec(value);
  if (!m) throw new UsageError(`--fixed-size expects HxW (e.g. 224x224), got "${value}"`);
  return { height: Number(m[1]), width: Number(m[2]) };
}

function toOptions(values: Record<string, string | boolean | undefined>): TinyDinov3Options {
  const str = (k: string): string | undefined => {
    const v = values[k];
    return typeof v === 'string' ? v : undefined;
  };
  const opset = intOption('opset', str('opset'));
  if (opset !== undefined && opset !== 16 && opset !== 17) throw new UsageError(`--opset expects 16 or 17, got ${opset}`);
  const dtype = str('dtype');
  if (dtype !== undefined && dtype !== 'float32' && dtype !== 'float16') throw new UsageError(`--dtype expects float32 or float16, got "${dtype}"`);
  const quantize = str('quantize');
  if (quantize !== undefined && quantize !== 'dynamic') throw new UsageError(`--quantize expects dynamic, got "${quantize}"`);
  // Absent options stay undefined, which means "use the default".
  return {
    dim: intOption('dim', str('dim')),
    depth: intOption('depth', str('depth')),
    heads: intOption('heads', str('heads')),
    registers: intOption('registers', str('registers')),
    patchSize: intOption('patch-size', str('patch-size')),
    mlpRatio: intOption('mlp-ratio', str('mlp-ratio')),
    seed: intOption('seed', str('seed')),
    opset,
    dtype,
    fixedSize: parseFixedSize(str('fixed-size')),
    quantize,
    ...(values['keep-io-types'] === true ? { keepIoTypes: true } : {}),
  };
}

/**
 * Runs `make-test-model` with `argv` (the arguments after the subcommand). Returns 0 on
 * success, 2 for a usage error (message and usage on stderr), 1 if the model cannot be
 * written.
 */
export async function main(argv: readonly string[], io: MakeTinyModelIo = defaultIo): Promise<number> {
  let out: string | undefined;
  let options: TinyDinov3Options;
  try {
    const { values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: 'string', short: 'o' },
        dim: { type: 'string' },
        depth: { type: 'string' },
        heads: { type: 'string' },
        registers: { type: 'string' },
        'patch-size': { type: 'string' },
        'mlp-ratio': { type: 'string' },
        opset: { type: 'string' },
        dtype: { type: 'string' },
        quantize: { type: 'string' },
        'keep-io-types': { type: 'boolean' },
        seed: { type: 'string' },
        'fixed-size': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout(USAGE);
      return 0;
    }
    out = values.out;
    if (!out) throw new UsageError('--out <path> is required');
    options = toOptions(values);
  } catch (err) {
    io.stderr(`dinov3 make-test-model: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  try {
    const written = await writeTinyDinov3(out, options);
    const c = written.config;
    const size = c.fixedSize ? `${c.fixedSize.height}x${c.fixedSize.width}` : 'dynamic';
    io.stdout(
      `wrote ${written.path} (${written.bytes} bytes): dim ${c.dim}, depth ${c.depth}, heads ${c.heads}, ` +
        `registers ${c.registers}, patch ${c.patchSize}, opset ${c.opset}, ${c.dtype}${c.keepIoTypes ? ' (float32 input and outputs)' : ''}${c.quantize ? `, quantised (${c.quantize})` : ''}, seed ${c.seed}, input ${size}\n`,
    );
    return 0;
  } catch (err) {
    io.stderr(`dinov3 make-test-model: ${err instanceof Error ? err.message : String(err)}\n`);
    return isDinoError(err, 'ERR_DINO_INVALID_ARGUMENT') || isDinoError(err, 'ERR_DINO_SHAPE_MISMATCH') ? 2 : 1;
  }
}
