/**
 * The model contract: how a DINOv3 ONNX file is fed and how its outputs map onto CLS,
 * register and patch tokens. Detected from the file (inputs, outputs, the patch-embedding
 * convolution) and a probe run, never from the user guessing the architecture.
 * @module
 */
import { DinoError } from '../errors';
import type { Size } from '../util/size';
import type { IoInfo, TensorType } from '../backends/backend';

/** How the model's outputs are laid out. */
export type OutputLayout =
  /** Hugging Face / onnx-community exports: last_hidden_state [B, 1 + R + N, D]. */
  | 'last_hidden_state'
  /** The reference implementation's names: x_norm_clstoken, x_norm_regtokens, x_norm_patchtokens. */
  | 'reference';

/** Facts read from the ONNX graph itself. */
export interface GraphFacts {
  /** Kernel size (= stride) of the patch-embedding Conv. */
  patchSize?: number;
  /** Output channels of the patch-embedding Conv. */
  embedDim?: number;
}

/** Everything the library needs to know to run a model and read its tokens. */
export interface ModelContract {
  inputName: string;
  inputType: TensorType;
  layout: OutputLayout;
  /** Output names to fetch, in the order the layout needs them. */
  fetches: string[];
  outputType: TensorType;
  patchSize: number;
  /** Height/width the graph is fixed to, when it is not dynamic. */
  fixedSize: Size | undefined;
  /** Batch size the graph is fixed to, when it is not dynamic. */
  fixedBatch: number | undefined;
}

/** The contract completed by a probe run. */
export interface ResolvedContract extends ModelContract {
  dim: number;
  registers: number;
}

const REFERENCE = { cls: 'x_norm_clstoken', registers: 'x_norm_regtokens', patches: 'x_norm_patchtokens' } as const;

function describeIo(list: readonly IoInfo[]): string {
  return list.map((io) => `${io.name} ${io.type} [${io.shape.join(', ')}]`).join('; ') || '(none)';
}

function staticDim(d: number | string | undefined): number | undefined {
  return typeof d === 'number' && d > 0 ? d : undefined;
}

function tensorType(type: string, what: string): TensorType {
  if (type === 'float32' || type === 'float16') return type;
  throw new DinoError('ERR_DINO_INVALID_MODEL', `${what} has element type ${type}; expected float32 or float16`);
}

/**
 * Works out the contract from the graph's inputs/outputs and graph facts.
 * @throws DinoError ERR_DINO_INVALID_MODEL naming what was expected and what was found.
 */
export function detectContract(inputs: readonly IoInfo[], outputs: readonly IoInfo[], facts: GraphFacts): ModelContract {
  const images = inputs.filter((io) => io.shape.length === 4 && (io.shape[1] === 3 || typeof io.shape[1] === 'string'));
  const input = images.find((io) => io.name === 'pixel_values') ?? (images.length === 1 ? images[0] : undefined);
  if (!input || inputs.length !== 1) {
    throw new DinoError(
      'ERR_DINO_INVALID_MODEL',
      `Not a DINOv3 model: expected one input pixel_values [batch, 3, height, width]; found inputs: ${describeIo(inputs)}`,
      { details: { inputs } },
    );
  }
  const inputType = tensorType(input.type, `Input ${input.name}`);

  let layout: OutputLayout;
  let fetches: string[];
  const byName = new Map(outputs.map((o) => [o.name, o]));
  const lhs = byName.get('last_hidden_state');
  if (lhs && lhs.shape.length === 3) {
    layout = 'last_hidden_state';
    fetches = ['last_hidden_state'];
  } else if (byName.has(REFERENCE.cls) && byName.has(REFERENCE.patches)) {
    layout = 'reference';
    fetches = [REFERENCE.cls, ...(byName.has(REFERENCE.registers) ? [REFERENCE.registers] : []), REFERENCE.patches];
  } else {
    throw new DinoError(
      'ERR_DINO_INVALID_MODEL',
      'Not a DINOv3 feature model: expected an output last_hidden_state [batch, 1 + registers + patches, dim] ' +
        `(Hugging Face export) or x_norm_clstoken + x_norm_patchtokens (reference export); found outputs: ${describeIo(outputs)}`,
      { details: { outputs } },
    );
  }
  const first = byName.get(fetches[0] ?? '');
  const outputType = tensorType(first?.type ?? 'unknown', `Output ${fetches[0]}`);

  if (facts.patchSize === undefined || facts.patchSize <= 0) {
    throw new DinoError(
      'ERR_DINO_INVALID_MODEL',
      `Not a ViT-style DINOv3 model: no patch-embedding convolution (Conv with kernel = stride) reads ${input.name}`,
    );
  }
  const h = staticDim(input.shape[2]);
  const w = staticDim(input.shape[3]);
  return {
    inputName: input.name,
    inputType,
    layout,
    fetches,
    outputType,
    patchSize: facts.patchSize,
    fixedSize: h !== undefined && w !== undefined ? { height: h, width: w } : undefined,
    fixedBatch: staticDim(input.shape[0]),
  };
}

/** The input size used for the probe run: the fixed size, or two patches square. */
export function probeSize(contract: ModelContract): Size {
  return contract.fixedSize ?? { height: contract.patchSize * 2, width: contract.patchSize * 2 };
}

/**
 * Completes the contract from the output shapes of a probe run at `size`.
 * @param shapes dims of each fetched output, in fetch order
 */
export function resolveContract(contract: ModelContract, size: Size, shapes: readonly (readonly number[])[]): ResolvedContract {
  const patches = (size.height / contract.patchSize) * (size.width / contract.patchSize);
  const bad = (what: string): never => {
    throw new DinoError(
      'ERR_DINO_INVALID_MODEL',
      `The model's outputs do not fit the DINOv3 token layout: ${what} (probe at ${size.height}x${size.width}, patch ${contract.patchSize}, output shapes ${shapes.map((s) => `[${s.join(', ')}]`).join(', ')})`,
    );
  };
  if (contract.layout === 'last_hidden_state') {
    const s = shapes[0];
    if (!s || s.length !== 3) return bad('last_hidden_state is not 3-D');
    const [, tokens, dim] = s as [number, number, number];
    const registers = tokens - 1 - patches;
    if (registers < 0) return bad(`${tokens} tokens is fewer than 1 CLS + ${patches} patches`);
    return { ...contract, dim, registers };
  }
  const cls = shapes[0];
  const patchShape = shapes[shapes.length - 1];
  if (!cls || cls.length !== 2 || !patchShape || patchShape.length !== 3) return bad('expected [B, D] and [B, N, D]');
  const dim = cls[1] as number;
  if (patchShape[1] !== patches || patchShape[2] !== dim) return bad(`x_norm_patchtokens is not [B, ${patches}, ${dim}]`);
  const registers = shapes.length === 3 ? ((shapes[1] as readonly number[])[1] ?? 0) : 0;
  return { ...contract, dim, registers };
}
