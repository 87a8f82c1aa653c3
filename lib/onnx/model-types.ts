/**
 * The decoded, data-free view of an ONNX model that {@link parseModel} produces: graph
 * structure, value types and initializer metadata, but never the weight bytes.
 * @module
 */

/** One `opset_import` entry. */
export interface OnnxOpsetImport {
  /** Operator-set domain; `''` is the default ONNX domain (`ai.onnx`). */
  readonly domain: string;
  readonly version: number;
}

/** A tensor shape dimension: a fixed size, a symbolic name, or `'?'` when neither is given. */
export type OnnxDim = number | string;

/** Type of a graph value (ValueInfoProto). Only tensor types are decoded in detail. */
export type OnnxValueType =
  | {
      readonly kind: 'tensor';
      /** TensorProto.DataType code. */
      readonly elemTypeCode: number;
      /** Shape, or `undefined` when the rank is unknown. */
      readonly shape: readonly OnnxDim[] | undefined;
    }
  | { readonly kind: 'other' }
  | { readonly kind: 'none' };

/** A decoded ValueInfoProto. */
export interface ParsedValueInfo {
  readonly name: string;
  readonly type: OnnxValueType;
}

/** Metadata of a TensorProto (initializer or attribute tensor); the data itself is skipped. */
export interface ParsedTensor {
  readonly name: string;
  /** TensorProto.DataType code. */
  readonly dataType: number;
  readonly dims: readonly number[];
  /** True when `data_location` is EXTERNAL. */
  readonly external: boolean;
  /** `external_data` key/value pairs (`location`, `offset`, `length`, `checksum`). */
  readonly externalData: Readonly<Record<string, string>>;
  /** Bytes of data stored inline in the model file (raw_data or typed fields). */
  readonly inlineBytes: number;
  /** Absolute file offset of `raw_data`, when present. */
  readonly rawDataOffset: number | undefined;
  /** Inline data of at most {@link SMALL_TENSOR_BYTES} bytes (raw_data), kept for small constants. */
  readonly smallRawData: Uint8Array | undefined;
  /** Typed `int64_data` values, when present and small. */
  readonly int64Data: readonly bigint[] | undefined;
}

/** Inline raw data up to this size is kept in {@link ParsedTensor.smallRawData}. */
export const SMALL_TENSOR_BYTES = 256;

/** A decoded AttributeProto (fields that are absent stay `undefined`/empty). */
export interface ParsedAttribute {
  readonly name: string;
  /** AttributeProto.AttributeType code (inferred from the value when the field is missing). */
  readonly type: number;
  readonly f: number | undefined;
  readonly i: bigint | undefined;
  readonly s: Uint8Array | undefined;
  readonly t: ParsedTensor | undefined;
  readonly g: ParsedGraph | undefined;
  readonly floats: readonly number[];
  readonly ints: readonly bigint[];
  readonly strings: readonly Uint8Array[];
  readonly tensors: readonly ParsedTensor[];
  readonly graphs: readonly ParsedGraph[];
}

/** A decoded NodeProto. */
export interface ParsedNode {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: readonly ParsedAttribute[];
}

/** A decoded GraphProto (value_info is skipped). */
export interface ParsedGraph {
  readonly name: string;
  readonly nodes: readonly ParsedNode[];
  readonly initializers: readonly ParsedTensor[];
  readonly sparseInitializerCount: number;
  readonly inputs: readonly ParsedValueInfo[];
  readonly outputs: readonly ParsedValueInfo[];
}

/** A decoded ModelProto. */
export interface ParsedModel {
  /** `ir_version`, 0 when absent. */
  readonly irVersion: number;
  readonly opsetImports: readonly OnnxOpsetImport[];
  readonly producerName: string;
  readonly producerVersion: string;
  readonly domain: string;
  readonly modelVersion: number;
  readonly docString: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** `undefined` when the model has no graph (then it is not a usable ONNX model). */
  readonly graph: ParsedGraph | undefined;
  /** Number of ModelProto fields this parser does not know (skipped). */
  readonly unknownFieldCount: number;
}
