/**
 * A small typed ONNX graph builder: declare inputs/outputs (fixed or symbolic dims), add
 * float32/float16/int64 initializers and nodes with typed attributes, then serialise a
 * ModelProto. Checks names as it goes (unique, defined before use) so a malformed graph fails
 * here rather than in a runtime.
 * @module
 */
import { DinoError } from '../errors';
import { toFloat16Bits } from './float16';
import type { OnnxDim, OnnxOpsetImport } from './model-types';
import { DataType, elemTypeCode, type OnnxElemType } from './schema';
import { serializeModel, type AttributeValue, type ModelSpec, type NodeSpec, type TensorSpec, type ValueInfoSpec } from './writer';

export type { AttributeValue } from './writer';

/** Typed attribute constructors for {@link OnnxGraphBuilder.node}. */
export const attr = {
  /** An INT attribute. */
  int: (value: number | bigint): AttributeValue => ({ kind: 'int', value }),
  /** An INTS attribute. */
  ints: (value: readonly (number | bigint)[]): AttributeValue => ({ kind: 'ints', value }),
  /** A FLOAT attribute. */
  float: (value: number): AttributeValue => ({ kind: 'float', value }),
  /** A FLOATS attribute. */
  floats: (value: readonly number[]): AttributeValue => ({ kind: 'floats', value }),
  /** A STRING attribute. */
  string: (value: string): AttributeValue => ({ kind: 'string', value }),
  /** A TENSOR attribute (see {@link tensorFloat32}, {@link tensorFloat16}, {@link tensorInt64}). */
  tensor: (value: TensorSpec): AttributeValue => ({ kind: 'tensor', value }),
} as const;

function invalid(message: string): DinoError {
  return new DinoError('ERR_DINO_INVALID_ARGUMENT', message);
}

function checkDims(name: string, dims: readonly number[], count: number): void {
  for (const d of dims) if (!Number.isSafeInteger(d) || d < 0) throw invalid(`Invalid dims [${dims.join(', ')}] for tensor ${name}`);
  const expected = dims.reduce((a, b) => a * b, 1);
  if (expected !== count) throw invalid(`Tensor ${name} has dims [${dims.join(', ')}] (${expected} elements) but ${count} values`);
}

/** A float32 tensor (little-endian raw data). */
export function tensorFloat32(name: string, dims: readonly number[], values: ArrayLike<number>): TensorSpec {
  checkDims(name, dims, values.length);
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] as number, true);
  return { name, dataType: DataType.FLOAT, dims, rawData: raw };
}

/** A float16 tensor from numbers (rounded to nearest half). */
export function tensorFloat16(name: string, dims: readonly number[], values: ArrayLike<number>): TensorSpec {
  checkDims(name, dims, values.length);
  const raw = new Uint8Array(values.length * 2);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setUint16(i * 2, toFloat16Bits(values[i] as number), true);
  return { name, dataType: DataType.FLOAT16, dims, rawData: raw };
}

/** An int64 tensor. */
export function tensorInt64(name: string, dims: readonly number[], values: ArrayLike<number | bigint>): TensorSpec {
  checkDims(name, dims, values.length);
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number | bigint;
    view.setBigInt64(i * 8, typeof v === 'bigint' ? v : BigInt(v), true);
  }
  return { name, dataType: DataType.INT64, dims, rawData: raw };
}

/** Options of {@link OnnxGraphBuilder}. */
export interface GraphBuilderOptions {
  /** Graph name (default `'main_graph'`). */
  readonly name?: string;
  /** Default-domain opset version (default 17). */
  readonly opset?: number;
  /** IR version (default 8). */
  readonly irVersion?: number;
  readonly producerName?: string;
  readonly producerVersion?: string;
  readonly docString?: string;
}

/** Node options beyond op type, inputs and attributes. */
export interface NodeOptions {
  /** Output names, or how many outputs to name automatically (default 1). */
  readonly outputs?: readonly string[] | number;
  /** Node name (default: generated). */
  readonly name?: string;
  /** Operator domain (default: the ONNX domain). */
  readonly domain?: string;
}

/** Builds one ONNX graph and serialises it as a model. */
export class OnnxGraphBuilder {
  private readonly nodes: NodeSpec[] = [];
  private readonly initializers: TensorSpec[] = [];
  private readonly inputs: ValueInfoSpec[] = [];
  private readonly outputs: ValueInfoSpec[] = [];
  private readonly opsets = new Map<string, number>();
  private readonly metadata: Record<string, string> = {};
  private readonly defined = new Set<string>();
  private readonly nodeNames = new Set<string>();
  private counter = 0;

  constructor(private readonly options: GraphBuilderOptions = {}) {
    this.opsets.set('', options.opset ?? 17);
  }

  /** Imports (or re-versions) an operator set. */
  opsetImport(domain: string, version: number): this {
    if (!Number.isSafeInteger(version) || version < 1) throw invalid(`Invalid opset version ${version} for domain "${domain}"`);
    this.opsets.set(domain, version);
    return this;
  }

  /** Adds a `metadata_props` entry. */
  meta(key: string, value: string): this {
    this.metadata[key] = value;
    return this;
  }

  private define(name: string): string {
    if (name === '') throw invalid('Value names must be non-empty');
    if (this.defined.has(name)) throw invalid(`Value ${name} is defined twice`);
    this.defined.add(name);
    return name;
  }

  /** Declares a graph input; dims are numbers (fixed) or strings (symbolic). Returns its name. */
  input(name: string, elemType: OnnxElemType, shape: readonly OnnxDim[]): string {
    this.inputs.push({ name: this.define(name), elemType: elemTypeCode(elemType), shape });
    return name;
  }

  /** Declares a graph output (which a node must produce). Returns its name. */
  output(name: string, elemType: OnnxElemType, shape: readonly OnnxDim[]): string {
    if (this.outputs.some((o) => o.name === name)) throw invalid(`Output ${name} is declared twice`);
    this.outputs.push({ name, elemType: elemTypeCode(elemType), shape });
    return name;
  }

  /** Adds an initializer. Returns its name. */
  initializer(tensor: TensorSpec): string {
    this.define(tensor.name);
    this.initializers.push(tensor);
    return tensor.name;
  }

  /** Adds a float32 initializer. */
  float32(name: string, dims: readonly number[], values: ArrayLike<number>): string {
    return this.initializer(tensorFloat32(name, dims, values));
  }

  /** Adds a float16 initializer (values are rounded to half precision). */
  float16(name: string, dims: readonly number[], values: ArrayLike<number>): string {
    return this.initializer(tensorFloat16(name, dims, values));
  }

  /** Adds an int64 initializer. */
  int64(name: string, dims: readonly number[], values: ArrayLike<number | bigint>): string {
    return this.initializer(tensorInt64(name, dims, values));
  }

  /** A fresh value name with the given stem. */
  fresh(stem: string): string {
    let name: string;
    do name = `${stem}_${this.counter++}`;
    while (this.defined.has(name));
    return name;
  }

  /**
   * Adds a node. Inputs must already be defined (graph input, initializer or earlier node
   * output; `''` skips an optional input). Returns the output names.
   */
  node(opType: string, inputs: readonly string[], attributes: Readonly<Record<string, AttributeValue>> = {}, options: NodeOptions = {}): string[] {
    for (const i of inputs) {
      if (i !== '' && !this.defined.has(i)) throw invalid(`${opType} node uses ${i}, which is not defined yet`);
    }
    const name = options.name ?? this.fresh(`/${opType}`);
    if (this.nodeNames.has(name)) throw invalid(`Node name ${name} is used twice`);
    this.nodeNames.add(name);
    const outs = options.outputs ?? 1;
    const outputs = typeof outs === 'number' ? Array.from({ length: outs }, (_, k) => `${name}_output_${k}`) : [...outs];
    for (const o of outputs) this.define(o);
    this.nodes.push({ opType, name, domain: options.domain ?? '', inputs: [...inputs], outputs, attributes });
    return outputs;
  }

  /** Adds a single-output node and returns its output name. */
  op(opType: string, inputs: readonly string[], attributes: Readonly<Record<string, AttributeValue>> = {}, options: Omit<NodeOptions, 'outputs'> & { output?: string } = {}): string {
    const { output, ...rest } = options;
    const [out] = this.node(opType, inputs, attributes, { ...rest, outputs: output === undefined ? 1 : [output] });
    return out as string;
  }

  /** The model description (checks that every output is produced). */
  build(): ModelSpec {
    for (const o of this.outputs) if (!this.defined.has(o.name)) throw invalid(`Output ${o.name} is never produced`);
    if (this.outputs.length === 0) throw invalid('The graph has no outputs');
    return {
      irVersion: this.options.irVersion ?? 8,
      opsetImports: [...this.opsets].map(([domain, version]): OnnxOpsetImport => ({ domain, version })),
      producerName: this.options.producerName ?? 'dinov3-trt',
      producerVersion: this.options.producerVersion ?? '',
      ...(this.options.docString === undefined ? {} : { docString: this.options.docString }),
      metadata: { ...this.metadata },
      graph: {
        name: this.options.name ?? 'main_graph',
        nodes: [...this.nodes],
        initializers: [...this.initializers],
        inputs: [...this.inputs],
        outputs: [...this.outputs],
      },
    };
  }

  /** Serialises the model to ONNX bytes. */
  toBytes(): Uint8Array {
    return serializeModel(this.build());
  }
}
