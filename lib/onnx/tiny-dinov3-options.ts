/**
 * Options of the synthetic tiny DINOv3 model, their defaults and validation.
 * @module
 */
import { DinoError } from '../errors';

/** Element type of the whole tiny model (input, weights, activations, outputs). */
export type TinyDinov3Dtype = 'float32' | 'float16';

/** Static input size (instead of symbolic `height`/`width`, and optionally `batch`). */
export interface TinyDinov3FixedSize {
  readonly height: number;
  readonly width: number;
  /** Fixed batch size; symbolic `batch` when absent. */
  readonly batch?: number;
}

/** Options of {@link buildTinyDinov3}. Every field is optional. */
export interface TinyDinov3Options {
  /** Patch size = Conv kernel = stride (default 16). */
  readonly patchSize?: number;
  /** Embedding dimension (default 64). */
  readonly dim?: number;
  /** Transformer blocks (default 3). */
  readonly depth?: number;
  /** Attention heads (default 4); `dim / heads` must be a multiple of 4 (RoPE). */
  readonly heads?: number;
  /** Register tokens (default 4). */
  readonly registers?: number;
  /** MLP hidden size = `mlpRatio * dim` (default 4). */
  readonly mlpRatio?: number;
  /** PRNG seed for the weights (default 0). */
  readonly seed?: number;
  /** 17: LayerNormalization ops; 16: the decomposed ReduceMean/Sub/Pow/Sqrt/Div form (default 17). */
  readonly opset?: 16 | 17;
  /** float16 casts the whole graph, input and outputs included (default float32). */
  readonly dtype?: TinyDinov3Dtype;
  /**
   * With dtype float16: keep the input and outputs float32, casting right after the input and
   * before the outputs — the `model_fp16.onnx` of the community exports (onnxconverter's
   * `keep_io_types`). Default false.
   */
  readonly keepIoTypes?: boolean;
  /** Static input size instead of dynamic dims. */
  readonly fixedSize?: TinyDinov3FixedSize;
  /** Layer-scale value (default 0.5, as in the conformance model). */
  readonly layerScale?: number;
  /** RoPE base period (default 100, DINOv3's `rope_theta`). */
  readonly ropeTheta?: number;
  /**
   * 'dynamic': every linear layer quantised as ONNX Runtime's dynamic quantisation writes it
   * (`model_quantized.onnx` of the community exports): activations by DynamicQuantizeLinear
   * (uint8), weights int8 per tensor (symmetric), MatMulInteger, then rescaled to float. The
   * float weights are those of the same seed without it, so the pair compares like
   * model.onnx / model_quantized.onnx. float32 only.
   */
  readonly quantize?: 'dynamic';
}

/** Fully resolved options. */
export interface TinyDinov3Config {
  readonly patchSize: number;
  readonly dim: number;
  readonly depth: number;
  readonly heads: number;
  readonly registers: number;
  readonly mlpRatio: number;
  readonly seed: number;
  readonly opset: 16 | 17;
  readonly dtype: TinyDinov3Dtype;
  readonly fixedSize: TinyDinov3FixedSize | undefined;
  readonly layerScale: number;
  readonly ropeTheta: number;
  readonly quantize: 'dynamic' | undefined;
  readonly keepIoTypes: boolean;
  /** LayerNorm epsilon (1e-5, as DINOv3's HF config). */
  readonly eps: number;
}

function bad(name: string, expected: string, value: unknown): DinoError {
  return new DinoError('ERR_DINO_INVALID_ARGUMENT', `Expected ${expected} for ${name} but received ${String(value)} of type ${typeof value}`);
}

function int(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw bad(name, `an integer between ${min} and ${max}`, value);
  }
  return value;
}

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw bad(name, 'a positive number', value);
  return value;
}

/** Validates `options` and fills in defaults. Throws ERR_DINO_INVALID_ARGUMENT. */
export function resolveTinyDinov3Options(options: TinyDinov3Options = {}): TinyDinov3Config {
  if (typeof options !== 'object' || options === null) throw bad('options', 'an object', options);
  const patchSize = int('patchSize', options.patchSize, 16, 1, 64);
  const dim = int('dim', options.dim, 64, 4, 4096);
  const depth = int('depth', options.depth, 3, 1, 64);
  const heads = int('heads', options.heads, 4, 1, 256);
  const registers = int('registers', options.registers, 4, 0, 64);
  const mlpRatio = int('mlpRatio', options.mlpRatio, 4, 1, 16);
  const seed = int('seed', options.seed, 0, 0, 0xffffffff);
  if (dim % heads !== 0 || (dim / heads) % 4 !== 0) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `Expected dim (${dim}) / heads (${heads}) to be a whole multiple of 4 (RoPE rotates pairs of two axes)`);
  }
  const opset = options.opset ?? 17;
  if (opset !== 16 && opset !== 17) throw bad('opset', '16 or 17', opset);
  const dtype = options.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float16') throw bad('dtype', "'float32' or 'float16'", dtype);
  let fixedSize: TinyDinov3FixedSize | undefined;
  if (options.fixedSize !== undefined) {
    const { height, width, batch } = options.fixedSize;
    const h = int('fixedSize.height', height, 0, patchSize, 1 << 16);
    const w = int('fixedSize.width', width, 0, patchSize, 1 << 16);
    if (h % patchSize !== 0 || w % patchSize !== 0) {
      throw new DinoError('ERR_DINO_SHAPE_MISMATCH', `fixedSize ${h}x${w} is not a multiple of the patch size ${patchSize}`);
    }
    const b = batch === undefined ? undefined : int('fixedSize.batch', batch, 1, 1, 1 << 16);
    fixedSize = b === undefined ? { height: h, width: w } : { height: h, width: w, batch: b };
  }
  const layerScale = positive('layerScale', options.layerScale, 0.5);
  const ropeTheta = positive('ropeTheta', options.ropeTheta, 100);
  const quantize = options.quantize;
  if (quantize !== undefined && quantize !== 'dynamic') throw bad('quantize', "'dynamic'", quantize);
  if (quantize !== undefined && dtype !== 'float32') throw bad('quantize', "no quantisation with dtype 'float16'", quantize);
  const keepIoTypes = options.keepIoTypes ?? false;
  if (typeof keepIoTypes !== 'boolean') throw bad('keepIoTypes', 'a boolean', keepIoTypes);
  if (keepIoTypes && dtype !== 'float16') throw bad('keepIoTypes', "dtype 'float16' (a float32 model has float32 input and outputs anyway)", keepIoTypes);
  return { patchSize, dim, depth, heads, registers, mlpRatio, seed, opset, dtype, fixedSize, layerScale, ropeTheta, quantize, keepIoTypes, eps: 1e-5 };
}
