/**
 * Public result types of {@link inspectOnnx}.
 * @module
 */
import type { OnnxDim, OnnxOpsetImport } from './model-types';
import type { OnnxElemType } from './schema';

export type { OnnxDim, OnnxOpsetImport } from './model-types';
export type { OnnxElemType } from './schema';

/** A graph input or output. */
export interface OnnxTensorInfo {
  readonly name: string;
  /** Element type name; `'undefined'` for a non-tensor value or an unknown type code. */
  readonly elemType: OnnxElemType;
  /** TensorProto.DataType code as stored. */
  readonly elemTypeCode: number;
  /** Dimensions: numbers for fixed sizes, strings for symbolic ones (`'?'` if unnamed); `undefined` if the rank is unknown. */
  readonly shape: readonly OnnxDim[] | undefined;
}

/** Count and size of the initializers of one element type. */
export interface OnnxTypeTally {
  readonly count: number;
  readonly bytes: number;
}

/** Summary of the graph's initializers (weights). */
export interface OnnxInitializerSummary {
  readonly count: number;
  /** Bytes of all initializer data, inline and external. */
  readonly totalBytes: number;
  /** Bytes stored inside the .onnx file. */
  readonly inlineBytes: number;
  /** Bytes stored in external data files. */
  readonly externalBytes: number;
  /** Per element type. */
  readonly byElemType: Readonly<Partial<Record<OnnxElemType, OnnxTypeTally>>>;
}

/** Status of one external data file. */
export type OnnxExternalFileStatus =
  /** Present and large enough for every tensor that references it. */
  | 'ok'
  /** Not found next to the model. */
  | 'missing'
  /** Present but shorter than the tensors that reference it need. */
  | 'too-small'
  /** The location is absolute or leaves the model's directory (ONNX Runtime refuses these). */
  | 'outside-model-dir'
  /** Not checked: the model was inspected from memory without a base directory. */
  | 'unchecked';

/** One external data file referenced by the model. */
export interface OnnxExternalFile {
  /** `location` as written in the model. */
  readonly location: string;
  /** Absolute path it resolves to, when a base directory is known. */
  readonly path: string | undefined;
  readonly status: OnnxExternalFileStatus;
  /** Tensors stored in it. */
  readonly tensorCount: number;
  /** Smallest file size that holds every referenced tensor (max of offset + length). */
  readonly requiredBytes: number;
  /** Actual size, when the file exists. */
  readonly actualBytes: number | undefined;
}

/** External data use. */
export interface OnnxExternalDataInfo {
  /** True when at least one tensor is stored externally. */
  readonly used: boolean;
  readonly files: readonly OnnxExternalFile[];
  /** Locations of files that are missing (status `'missing'`). */
  readonly missing: readonly string[];
}

/** The patch-embedding convolution: the first Conv fed by the image input (directly or via Cast). */
export interface OnnxPatchEmbedding {
  readonly nodeName: string;
  /** Name of the image input that feeds it. */
  readonly input: string;
  /** How it is fed: straight from the input or through Cast/Identity nodes. */
  readonly via: 'direct' | 'cast';
  readonly kernelShape: readonly number[];
  readonly strides: readonly number[];
  /** The patch size: kernel = stride, square. `undefined` when they differ. */
  readonly patchSize: number | undefined;
  /** Name of the weight initializer (after following Identity/Cast), if found. */
  readonly weightName: string | undefined;
  /** Weight dims [out, in/group, kh, kw], if the weight was found. */
  readonly weightDims: readonly number[] | undefined;
  /** Output channels = embedding dimension. */
  readonly outChannels: number | undefined;
  /** Input channels (3 for RGB). */
  readonly inChannels: number | undefined;
}

/** An initializer whose name mentions registers. */
export interface OnnxNamedDims {
  readonly name: string;
  readonly dims: readonly number[];
}

/** Everything {@link inspectOnnx} reports about a model. */
export interface OnnxModelInfo {
  /** The inspected file, or `undefined` for an in-memory model. */
  readonly path: string | undefined;
  /** Size of the .onnx file or buffer. */
  readonly fileSize: number;
  /** Bytes actually read from disk to inspect it (0 for an in-memory model). */
  readonly bytesRead: number;
  readonly irVersion: number;
  readonly opsetImports: readonly OnnxOpsetImport[];
  /** Version of the default (`ai.onnx`) operator set, if imported. */
  readonly opsetVersion: number | undefined;
  readonly producer: { readonly name: string; readonly version: string };
  readonly graphName: string;
  /** `metadata_props`. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Graph inputs that are not initializers. */
  readonly inputs: readonly OnnxTensorInfo[];
  readonly outputs: readonly OnnxTensorInfo[];
  /** Nodes of the main graph. */
  readonly nodeCount: number;
  /** Nodes inside subgraphs (If/Loop/Scan bodies). */
  readonly subgraphNodeCount: number;
  /** Op type → count over all nodes, subgraphs included. Ops outside the default domain are keyed `domain::OpType`. */
  readonly opHistogram: Readonly<Record<string, number>>;
  readonly initializers: OnnxInitializerSummary;
  readonly externalData: OnnxExternalDataInfo;
  readonly patchEmbedding: OnnxPatchEmbedding | undefined;
  /** Embedding dimension from the patch embedding (= its output channels). */
  readonly embeddingDim: number | undefined;
  readonly hasLayerNormalization: boolean;
  readonly layerNormalizationCount: number;
  /** `If` nodes (DINOv3 RoPE exports contain them; TensorRT 10.3 cannot parse them). */
  readonly hasIfNodes: boolean;
  readonly ifNodeNames: readonly string[];
  /** Initializers whose name contains "register". */
  readonly registerInitializers: readonly OnnxNamedDims[];
  /** Register-token count read from those initializers' dims ([1, R, D] → R). */
  readonly registerCountHint: number | undefined;
  /** True when any floating-point initializer is float16. */
  readonly hasFp16Weights: boolean;
  /** Human-readable notes about problems found (missing files, If nodes, no patch embedding, ...). */
  readonly warnings: readonly string[];
}
