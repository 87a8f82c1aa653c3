/**
 * A synthetic, seeded, DINOv3-shaped ViT written as ONNX with this project's own graph builder:
 * Conv patch embedding, CLS + register tokens, RoPE computed in-graph from the patch grid (valid
 * at any input size, no `If` nodes), pre-norm blocks with layer scale, multi-head attention,
 * GELU (Erf) MLP and a final LayerNorm. Same contract as the Hugging Face DINOv3 exports:
 * `pixel_values` [B,3,H,W] → `last_hidden_state` [B, 1+R+N, D] and `pooler_output` [B, D].
 * Weights are random (not trained): use it for plumbing, shapes and speed, not semantics.
 * @module
 */
import { writeFile } from 'node:fs/promises';
import { DinoError } from '../errors';
import { attr, OnnxGraphBuilder } from './builder';
import type { OnnxDim } from './model-types';
import { Xorshift32 } from './prng';
import { DataType } from './schema';
import { resolveTinyDinov3Options, type TinyDinov3Config, type TinyDinov3Options } from './tiny-dinov3-options';

export type { TinyDinov3Config, TinyDinov3Dtype, TinyDinov3FixedSize, TinyDinov3Options } from './tiny-dinov3-options';
export { resolveTinyDinov3Options } from './tiny-dinov3-options';

/** Standard deviation of random weights (DINOv3's `initializer_range`). */
const WEIGHT_STD = 0.02;
/** Standard deviation of the seeded perturbation of LayerNorm weights around 1. */
const NORM_WEIGHT_STD = 0.05;
const INT64_MAX = 9223372036854775807n;

/** Builds the graph; one instance per model. */
class TinyDinov3Graph {
  readonly g: OnnxGraphBuilder;
  private readonly consts = new Map<string, string>();
  private readonly floatType: number;

  constructor(readonly cfg: TinyDinov3Config) {
    this.g = new OnnxGraphBuilder({
      name: 'tiny_dinov3',
      opset: cfg.opset,
      irVersion: 8,
      producerName: 'dinov3-trt',
      producerVersion: 'tiny-dinov3',
      docString: `Synthetic DINOv3-shaped ViT with seeded random weights (seed ${cfg.seed}); not trained.`,
    });
    this.floatType = cfg.dtype === 'float16' ? DataType.FLOAT16 : DataType.FLOAT;
  }

  /** A weight initializer in the model dtype. */
  weight(name: string, dims: readonly number[], values: Float32Array): string {
    return this.cfg.dtype === 'float16' ? this.g.float16(name, dims, values) : this.g.float32(name, dims, values);
  }

  /** Seeded normal weights. */
  random(name: string, dims: readonly number[], std: number, mean = 0): string {
    const count = dims.reduce((a, b) => a * b, 1);
    return this.weight(name, dims, new Xorshift32(this.cfg.seed, name).normals(count, std, mean));
  }

  /** A shared scalar/vector constant in the model dtype. */
  scalar(value: number): string {
    const key = `f:${value}`;
    let name = this.consts.get(key);
    if (!name) {
      name = this.weight(`const.f_${this.consts.size}`, [], Float32Array.of(value));
      this.consts.set(key, name);
    }
    return name;
  }

  /** A shared int64 constant (dims `[]` for a scalar, else 1-D). */
  ints(values: readonly (number | bigint)[], scalar = false): string {
    const key = `i:${scalar ? 's' : 'v'}:${values.join(',')}`;
    let name = this.consts.get(key);
    if (!name) {
      name = this.g.int64(`const.i_${this.consts.size}`, scalar ? [] : [values.length], values);
      this.consts.set(key, name);
    }
    return name;
  }

  /** A shared float32 scalar (RoPE math is done in float32 whatever the model dtype). */
  float32Scalar(value: number): string {
    const key = `f32:${value}`;
    let name = this.consts.get(key);
    if (!name) {
      name = this.g.float32(`const.f32_${this.consts.size}`, [], [value]);
      this.consts.set(key, name);
    }
    return name;
  }

  /** `x @ W (+ b)` with W stored [in, out] as MatMul wants it. */
  linear(x: string, prefix: string, inDim: number, outDim: number, bias: boolean): string {
    const y = this.cfg.quantize === 'dynamic' ? this.quantizedMatMul(x, `${prefix}.weight`, [inDim, outDim]) : this.g.op('MatMul', [x, this.random(`${prefix}.weight`, [inDim, outDim], WEIGHT_STD)]);
    return bias ? this.g.op('Add', [y, this.random(`${prefix}.bias`, [outDim], WEIGHT_STD)]) : y;
  }

  /**
   * `x @ W` as ONNX Runtime's dynamic quantisation writes it: x to uint8 by DynamicQuantizeLinear,
   * W (the float weights of `name`) to int8 with one symmetric scale, MatMulInteger, Cast, and
   * the product of the two scales.
   */
  quantizedMatMul(x: string, name: string, dims: readonly [number, number]): string {
    const g = this.g;
    const w = new Xorshift32(this.cfg.seed, name).normals(dims[0] * dims[1], WEIGHT_STD, 0);
    let maxAbs = 0;
    for (const v of w) maxAbs = Math.max(maxAbs, Math.abs(v));
    const scale = maxAbs / 127 || 1;
    const q = new Uint8Array(w.length);
    for (let i = 0; i < w.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round((w[i] as number) / scale))) & 0xff;
    const wq = g.initializer({ name: `${name}_quantized`, dataType: DataType.INT8, dims, rawData: q });
    const wZero = g.initializer({ name: `${name}_zero_point`, dataType: DataType.INT8, dims: [], rawData: new Uint8Array(1) });
    const wScale = g.float32(`${name}_scale`, [], [scale]);
    const [xq, xScale, xZero] = g.node('DynamicQuantizeLinear', [x], {}, { outputs: 3 }) as [string, string, string];
    const product = g.op('MatMulInteger', [xq, wq, xZero, wZero]);
    const asFloat = g.op('Cast', [product], { to: attr.int(DataType.FLOAT) });
    return g.op('Mul', [asFloat, g.op('Mul', [xScale, wScale])]);
  }

  /** LayerNorm over the last axis: one op at opset 17, the decomposed form at opset 16. */
  layerNorm(x: string, prefix: string): string {
    const { dim, eps } = this.cfg;
    const scale = this.random(`${prefix}.weight`, [dim], NORM_WEIGHT_STD, 1);
    const bias = this.random(`${prefix}.bias`, [dim], WEIGHT_STD);
    if (this.cfg.opset >= 17) {
      return this.g.op('LayerNormalization', [x, scale, bias], { axis: attr.int(-1), epsilon: attr.float(eps) });
    }
    const mean = this.g.op('ReduceMean', [x], { axes: attr.ints([-1]), keepdims: attr.int(1) });
    const centered = this.g.op('Sub', [x, mean]);
    const squared = this.g.op('Pow', [centered, this.scalar(2)]);
    const variance = this.g.op('ReduceMean', [squared], { axes: attr.ints([-1]), keepdims: attr.int(1) });
    const std = this.g.op('Sqrt', [this.g.op('Add', [variance, this.scalar(eps)])]);
    const normed = this.g.op('Div', [centered, std]);
    return this.g.op('Add', [this.g.op('Mul', [normed, scale]), bias]);
  }

  /** Exact GELU: 0.5·x·(1 + erf(x/√2)). */
  gelu(x: string): string {
    const erf = this.g.op('Erf', [this.g.op('Div', [x, this.scalar(Math.SQRT2)])]);
    const onePlus = this.g.op('Add', [erf, this.scalar(1)]);
    return this.g.op('Mul', [this.g.op('Mul', [x, onePlus]), this.scalar(0.5)]);
  }

  /** Slice along one axis. */
  slice(x: string, axis: number, start: number | bigint, end: number | bigint): string {
    return this.g.op('Slice', [x, this.ints([start]), this.ints([end]), this.ints([axis])]);
  }

  /**
   * RoPE tables cos/sin [N, headDim] for the patch grid of `patchFeatures` [B, D, gh, gw],
   * computed in-graph (float32) as DINOv3 does: patch-centre coordinates in [-1, 1] per axis,
   * angles 2π·coord / period with periods θ^(4k/headDim), k < headDim/4, tiled twice.
   */
  ropeTables(patchFeatures: string): { cos: string; sin: string } {
    const g = this.g;
    const headDim = this.cfg.dim / this.cfg.heads;
    const quarter = headDim / 4;
    const shape = g.op('Shape', [patchFeatures]);
    const gridShape = this.slice(shape, 0, 2, 4); // [gh, gw]
    const axisCoords = (axis: 2 | 3): string => {
      const count = g.op('Gather', [shape, this.ints([axis], true)], { axis: attr.int(0) });
      const index = g.op('Range', [this.ints([0], true), count, this.ints([1], true)]);
      const indexF = g.op('Cast', [index], { to: attr.int(DataType.FLOAT) });
      const countF = g.op('Cast', [count], { to: attr.int(DataType.FLOAT) });
      const centre = g.op('Div', [g.op('Add', [indexF, this.float32Scalar(0.5)]), countF]);
      return g.op('Sub', [g.op('Mul', [centre, this.float32Scalar(2)]), this.float32Scalar(1)]);
    };
    const rows = g.op('Expand', [g.op('Unsqueeze', [axisCoords(2), this.ints([1])]), gridShape]); // [gh, gw]
    const cols = g.op('Expand', [g.op('Unsqueeze', [axisCoords(3), this.ints([0])]), gridShape]); // [gh, gw]
    const flat = (t: string): string => g.op('Reshape', [t, this.ints([-1, 1])]);
    const coords = g.op('Concat', [flat(rows), flat(cols)], { axis: attr.int(1) }); // [N, 2]
    const freqs: number[] = [];
    for (let k = 0; k < quarter; k++) freqs.push((2 * Math.PI) / this.cfg.ropeTheta ** ((4 * k) / headDim));
    const freq = this.g.float32('rope_embeddings.frequencies', [1, 1, quarter], freqs);
    const angles3 = g.op('Mul', [g.op('Unsqueeze', [coords, this.ints([2])]), freq]); // [N, 2, hd/4]
    const angles2 = g.op('Reshape', [angles3, this.ints([-1, headDim / 2])]); // [N, hd/2]
    const angles = g.op('Concat', [angles2, angles2], { axis: attr.int(-1) }); // [N, hd]
    const toModel = (t: string): string =>
      this.cfg.dtype === 'float16' ? g.op('Cast', [t], { to: attr.int(this.floatType) }) : t;
    return { cos: toModel(g.op('Cos', [angles])), sin: toModel(g.op('Sin', [angles])) };
  }

  /** Rotates the patch tokens of q or k [B, h, T, hd]; prefix (CLS + register) tokens are left as is. */
  applyRope(x: string, rope: { cos: string; sin: string }): string {
    const g = this.g;
    const headDim = this.cfg.dim / this.cfg.heads;
    const prefix = 1 + this.cfg.registers;
    const head = this.slice(x, 2, 0, prefix);
    const patches = this.slice(x, 2, prefix, INT64_MAX);
    const first = this.slice(patches, 3, 0, headDim / 2);
    const second = this.slice(patches, 3, headDim / 2, headDim);
    const rotated = g.op('Concat', [g.op('Neg', [second]), first], { axis: attr.int(3) });
    const mixed = g.op('Add', [g.op('Mul', [patches, rope.cos]), g.op('Mul', [rotated, rope.sin])]);
    return g.op('Concat', [head, mixed], { axis: attr.int(2) });
  }

  /** [B, T, D] → [B, heads, T, hd]. */
  splitHeads(x: string): string {
    const { dim, heads } = this.cfg;
    const r = this.g.op('Reshape', [x, this.ints([0, 0, heads, dim / heads])]);
    return this.g.op('Transpose', [r], { perm: attr.ints([0, 2, 1, 3]) });
  }

  /** Multi-head self-attention with RoPE (q/v/o biases, no k bias, as DINOv3). */
  attention(x: string, prefix: string, rope: { cos: string; sin: string }): string {
    const { dim, heads } = this.cfg;
    const g = this.g;
    const q = this.applyRope(this.splitHeads(this.linear(x, `${prefix}.q_proj`, dim, dim, true)), rope);
    const k = this.applyRope(this.splitHeads(this.linear(x, `${prefix}.k_proj`, dim, dim, false)), rope);
    const v = this.splitHeads(this.linear(x, `${prefix}.v_proj`, dim, dim, true));
    const kT = g.op('Transpose', [k], { perm: attr.ints([0, 1, 3, 2]) });
    const scores = g.op('Mul', [g.op('MatMul', [q, kT]), this.scalar((dim / heads) ** -0.5)]);
    const probs = g.op('Softmax', [scores], { axis: attr.int(-1) });
    const context = g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: attr.ints([0, 2, 1, 3]) });
    const merged = g.op('Reshape', [context, this.ints([0, 0, dim])]);
    return this.linear(merged, `${prefix}.o_proj`, dim, dim, true);
  }

  /** One pre-norm block with layer scale. */
  block(x: string, index: number, rope: { cos: string; sin: string }): string {
    const { dim, mlpRatio, layerScale } = this.cfg;
    const g = this.g;
    const p = `model.layer.${index}`;
    const scale = (name: string): string => this.weight(name, [dim], new Float32Array(dim).fill(layerScale));
    const attnOut = this.attention(this.layerNorm(x, `${p}.norm1`), `${p}.attention`, rope);
    const h = g.op('Add', [x, g.op('Mul', [attnOut, scale(`${p}.layer_scale1.lambda1`)])]);
    const up = this.linear(this.layerNorm(h, `${p}.norm2`), `${p}.mlp.up_proj`, dim, dim * mlpRatio, true);
    const down = this.linear(this.gelu(up), `${p}.mlp.down_proj`, dim * mlpRatio, dim, true);
    return g.op('Add', [h, g.op('Mul', [down, scale(`${p}.layer_scale2.lambda1`)])]);
  }

  /** The whole model. */
  build(): Uint8Array {
    const { cfg, g } = this;
    const { dim, patchSize: p, registers } = cfg;
    const fixed = cfg.fixedSize;
    const batch: OnnxDim = fixed?.batch ?? 'batch';
    const inputShape: OnnxDim[] = [batch, 3, fixed?.height ?? 'height', fixed?.width ?? 'width'];
    const tokens: OnnxDim = fixed ? 1 + registers + (fixed.height / p) * (fixed.width / p) : 'tokens';
    const ioType = cfg.keepIoTypes ? 'float32' : cfg.dtype;
    const input = g.input('pixel_values', ioType, inputShape);
    const x = cfg.keepIoTypes ? g.op('Cast', [input], { to: attr.int(this.floatType) }) : input;
    g.output('last_hidden_state', ioType, [batch, tokens, dim]);
    g.output('pooler_output', ioType, [batch, dim]);

    // Patch embedding: Conv with kernel = stride = patch size, then [B, D, gh, gw] → [B, N, D].
    const convW = this.random('embeddings.patch_embeddings.weight', [dim, 3, p, p], WEIGHT_STD);
    const convB = this.random('embeddings.patch_embeddings.bias', [dim], WEIGHT_STD);
    const features = g.op('Conv', [x, convW, convB], {
      kernel_shape: attr.ints([p, p]),
      strides: attr.ints([p, p]),
      pads: attr.ints([0, 0, 0, 0]),
    }, { name: '/embeddings/patch_embeddings/Conv' });
    const flat = g.op('Reshape', [features, this.ints([0, 0, -1])]);
    const patchTokens = g.op('Transpose', [flat], { perm: attr.ints([0, 2, 1]) });

    // CLS + register tokens, expanded over the batch.
    const cls = this.random('embeddings.cls_token', [1, 1, dim], WEIGHT_STD);
    let prefix = cls;
    if (registers > 0) {
      const regs = this.random('embeddings.register_tokens', [1, registers, dim], WEIGHT_STD);
      prefix = g.op('Concat', [cls, regs], { axis: attr.int(1) });
    }
    const batchDim = this.slice(g.op('Shape', [x]), 0, 0, 1);
    const prefixShape = g.op('Concat', [batchDim, this.ints([1 + registers, dim])], { axis: attr.int(0) });
    const prefixB = g.op('Expand', [prefix, prefixShape]);
    let h = g.op('Concat', [prefixB, patchTokens], { axis: attr.int(1) });

    const rope = this.ropeTables(features);
    for (let i = 0; i < cfg.depth; i++) h = this.block(h, i, rope);

    const normed = this.layerNorm(h, 'norm');
    const out = cfg.keepIoTypes ? g.op('Cast', [normed], { to: attr.int(DataType.FLOAT) }) : normed;
    g.op('Identity', [out], {}, { output: 'last_hidden_state' });
    g.op('Gather', [out, this.ints([0], true)], { axis: attr.int(1) }, { output: 'pooler_output' });

    const meta: Record<string, string> = {
      model_type: 'dinov3_vit',
      generator: 'dinov3-trt tiny-dinov3',
      patch_size: String(p),
      hidden_size: String(dim),
      num_hidden_layers: String(cfg.depth),
      num_attention_heads: String(cfg.heads),
      num_register_tokens: String(registers),
      intermediate_size: String(dim * cfg.mlpRatio),
      layerscale_value: String(cfg.layerScale),
      rope_theta: String(cfg.ropeTheta),
      layer_norm_eps: String(cfg.eps),
      seed: String(cfg.seed),
      dtype: cfg.dtype,
      ...(cfg.keepIoTypes ? { io_dtype: 'float32' } : {}),
    };
    for (const [k, v] of Object.entries(meta)) g.meta(k, v);
    return g.toBytes();
  }
}

/**
 * Builds the tiny DINOv3-shaped model and returns its ONNX bytes. The same options give the
 * same bytes. See {@link TinyDinov3Options} for the options and their defaults.
 *
 * @throws DinoError ERR_DINO_INVALID_ARGUMENT for a bad option; ERR_DINO_SHAPE_MISMATCH for a
 *   `fixedSize` that is not a multiple of the patch size.
 */
export function buildTinyDinov3(options: TinyDinov3Options = {}): Uint8Array {
  return new TinyDinov3Graph(resolveTinyDinov3Options(options)).build();
}

/** What {@link writeTinyDinov3} wrote. */
export interface TinyDinov3File {
  readonly path: string;
  readonly bytes: number;
  readonly config: TinyDinov3Config;
}

/**
 * Builds the tiny DINOv3-shaped model and writes it to `path`.
 *
 * @throws DinoError ERR_DINO_INVALID_ARGUMENT for a bad option or path; ERR_DINO_FILE_NOT_FOUND
 *   if the file cannot be written (e.g. its directory does not exist).
 */
export async function writeTinyDinov3(path: string, options: TinyDinov3Options = {}): Promise<TinyDinov3File> {
  if (typeof path !== 'string' || path.length === 0) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `Expected a non-empty string for path but received ${String(path)} of type ${typeof path}`);
  }
  const config = resolveTinyDinov3Options(options);
  const bytes = new TinyDinov3Graph(config).build();
  try {
    await writeFile(path, bytes);
  } catch (err) {
    throw new DinoError('ERR_DINO_FILE_NOT_FOUND', `Cannot write ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return { path, bytes: bytes.byteLength, config };
}
