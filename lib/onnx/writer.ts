/**
 * Serialises a typed model description ({@link ModelSpec}) to ONNX ModelProto bytes.
 * Tensors are written with `raw_data` (little-endian); repeated scalars are packed.
 * @module
 */
import type { OnnxDim, OnnxOpsetImport } from './model-types';
import { ProtoWriter } from './protobuf';
import {
  AttributeField,
  AttributeType,
  DimField,
  EntryField,
  GraphField,
  ModelField,
  NodeField,
  OpsetField,
  ShapeField,
  TensorField,
  TensorTypeField,
  TypeField,
  ValueInfoField,
} from './schema';

/** A tensor with its data already encoded as little-endian bytes. */
export interface TensorSpec {
  readonly name: string;
  /** TensorProto.DataType code. */
  readonly dataType: number;
  readonly dims: readonly number[];
  readonly rawData: Uint8Array;
}

/** A node attribute value. */
export type AttributeValue =
  | { readonly kind: 'int'; readonly value: number | bigint }
  | { readonly kind: 'ints'; readonly value: readonly (number | bigint)[] }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'tensor'; readonly value: TensorSpec };

/** A node. */
export interface NodeSpec {
  readonly opType: string;
  readonly name: string;
  readonly domain?: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}

/** A graph input or output: a tensor with a (possibly symbolic) shape. */
export interface ValueInfoSpec {
  readonly name: string;
  /** TensorProto.DataType code. */
  readonly elemType: number;
  readonly shape: readonly OnnxDim[];
}

/** A graph. */
export interface GraphSpec {
  readonly name: string;
  readonly docString?: string;
  readonly nodes: readonly NodeSpec[];
  readonly initializers: readonly TensorSpec[];
  readonly inputs: readonly ValueInfoSpec[];
  readonly outputs: readonly ValueInfoSpec[];
}

/** A model. */
export interface ModelSpec {
  readonly irVersion: number;
  readonly opsetImports: readonly OnnxOpsetImport[];
  readonly producerName: string;
  readonly producerVersion: string;
  readonly docString?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly graph: GraphSpec;
}

/** Writes a TensorProto body into `w`. */
export function writeTensor(w: ProtoWriter, t: TensorSpec): void {
  w.packedVarints(TensorField.DIMS, t.dims);
  w.int64(TensorField.DATA_TYPE, t.dataType);
  if (t.name) w.string(TensorField.NAME, t.name);
  w.bytes(TensorField.RAW_DATA, t.rawData);
}

function writeAttribute(w: ProtoWriter, name: string, a: AttributeValue): void {
  w.string(AttributeField.NAME, name);
  switch (a.kind) {
    case 'float':
      w.float(AttributeField.F, a.value);
      w.int64(AttributeField.TYPE, AttributeType.FLOAT);
      break;
    case 'int':
      w.int64(AttributeField.I, a.value);
      w.int64(AttributeField.TYPE, AttributeType.INT);
      break;
    case 'string':
      w.string(AttributeField.S, a.value);
      w.int64(AttributeField.TYPE, AttributeType.STRING);
      break;
    case 'tensor':
      w.message(AttributeField.T, (m) => writeTensor(m, a.value));
      w.int64(AttributeField.TYPE, AttributeType.TENSOR);
      break;
    case 'floats':
      w.packedFloats(AttributeField.FLOATS, a.value);
      w.int64(AttributeField.TYPE, AttributeType.FLOATS);
      break;
    case 'ints':
      w.packedVarints(AttributeField.INTS, a.value);
      w.int64(AttributeField.TYPE, AttributeType.INTS);
      break;
  }
}

function writeNode(w: ProtoWriter, n: NodeSpec): void {
  for (const i of n.inputs) w.string(NodeField.INPUT, i);
  for (const o of n.outputs) w.string(NodeField.OUTPUT, o);
  if (n.name) w.string(NodeField.NAME, n.name);
  w.string(NodeField.OP_TYPE, n.opType);
  for (const [name, value] of Object.entries(n.attributes)) w.message(NodeField.ATTRIBUTE, (m) => writeAttribute(m, name, value));
  if (n.domain) w.string(NodeField.DOMAIN, n.domain);
}

function writeValueInfo(w: ProtoWriter, v: ValueInfoSpec): void {
  w.string(ValueInfoField.NAME, v.name);
  w.message(ValueInfoField.TYPE, (type) =>
    type.message(TypeField.TENSOR_TYPE, (tensor) => {
      tensor.int64(TensorTypeField.ELEM_TYPE, v.elemType);
      tensor.message(TensorTypeField.SHAPE, (shape) => {
        for (const d of v.shape) {
          shape.message(ShapeField.DIM, (dim) => {
            if (typeof d === 'number') dim.int64(DimField.DIM_VALUE, d);
            else dim.string(DimField.DIM_PARAM, d);
          });
        }
      });
    }),
  );
}

function writeGraph(w: ProtoWriter, g: GraphSpec): void {
  for (const n of g.nodes) w.message(GraphField.NODE, (m) => writeNode(m, n));
  w.string(GraphField.NAME, g.name);
  for (const t of g.initializers) w.message(GraphField.INITIALIZER, (m) => writeTensor(m, t));
  if (g.docString) w.string(GraphField.DOC_STRING, g.docString);
  for (const v of g.inputs) w.message(GraphField.INPUT, (m) => writeValueInfo(m, v));
  for (const v of g.outputs) w.message(GraphField.OUTPUT, (m) => writeValueInfo(m, v));
}

/** Serialises `model` to ONNX ModelProto bytes. Deterministic: equal specs give equal bytes. */
export function serializeModel(model: ModelSpec): Uint8Array {
  const w = new ProtoWriter();
  w.int64(ModelField.IR_VERSION, model.irVersion);
  if (model.producerName) w.string(ModelField.PRODUCER_NAME, model.producerName);
  if (model.producerVersion) w.string(ModelField.PRODUCER_VERSION, model.producerVersion);
  if (model.docString) w.string(ModelField.DOC_STRING, model.docString);
  w.message(ModelField.GRAPH, (g) => writeGraph(g, model.graph));
  for (const o of model.opsetImports) {
    w.message(ModelField.OPSET_IMPORT, (m) => {
      if (o.domain) m.string(OpsetField.DOMAIN, o.domain);
      m.int64(OpsetField.VERSION, o.version);
    });
  }
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    w.message(ModelField.METADATA_PROPS, (m) => m.string(EntryField.KEY, key).string(EntryField.VALUE, value));
  }
  return w.finish();
}
