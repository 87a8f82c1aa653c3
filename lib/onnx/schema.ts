/**
 * Field numbers and enums of the ONNX protobuf schema (onnx.proto, IR version 8+) that this
 * project reads and writes, plus the element-type table (names and byte sizes).
 * @module
 */

/** Protobuf wire types. */
export const WireType = {
  VARINT: 0,
  I64: 1,
  LEN: 2,
  START_GROUP: 3,
  END_GROUP: 4,
  I32: 5,
} as const;
/** A protobuf wire type number. */
export type WireTypeCode = (typeof WireType)[keyof typeof WireType];

/** ModelProto field numbers. */
export const ModelField = {
  IR_VERSION: 1,
  PRODUCER_NAME: 2,
  PRODUCER_VERSION: 3,
  DOMAIN: 4,
  MODEL_VERSION: 5,
  DOC_STRING: 6,
  GRAPH: 7,
  OPSET_IMPORT: 8,
  METADATA_PROPS: 14,
} as const;

/** OperatorSetIdProto field numbers. */
export const OpsetField = { DOMAIN: 1, VERSION: 2 } as const;

/** StringStringEntryProto field numbers. */
export const EntryField = { KEY: 1, VALUE: 2 } as const;

/** GraphProto field numbers. */
export const GraphField = {
  NODE: 1,
  NAME: 2,
  INITIALIZER: 5,
  DOC_STRING: 10,
  INPUT: 11,
  OUTPUT: 12,
  VALUE_INFO: 13,
  SPARSE_INITIALIZER: 15,
} as const;

/** NodeProto field numbers. */
export const NodeField = {
  INPUT: 1,
  OUTPUT: 2,
  NAME: 3,
  OP_TYPE: 4,
  ATTRIBUTE: 5,
  DOC_STRING: 6,
  DOMAIN: 7,
} as const;

/** AttributeProto field numbers. */
export const AttributeField = {
  NAME: 1,
  F: 2,
  I: 3,
  S: 4,
  T: 5,
  G: 6,
  FLOATS: 7,
  INTS: 8,
  STRINGS: 9,
  TENSORS: 10,
  GRAPHS: 11,
  DOC_STRING: 13,
  TYPE: 20,
  REF_ATTR_NAME: 21,
} as const;

/** AttributeProto.AttributeType values. */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;

/** TensorProto field numbers. */
export const TensorField = {
  DIMS: 1,
  DATA_TYPE: 2,
  SEGMENT: 3,
  FLOAT_DATA: 4,
  INT32_DATA: 5,
  STRING_DATA: 6,
  INT64_DATA: 7,
  NAME: 8,
  RAW_DATA: 9,
  DOUBLE_DATA: 10,
  UINT64_DATA: 11,
  DOC_STRING: 12,
  EXTERNAL_DATA: 13,
  DATA_LOCATION: 14,
} as const;

/** TensorProto.DataLocation values. */
export const DataLocation = { DEFAULT: 0, EXTERNAL: 1 } as const;

/** ValueInfoProto field numbers. */
export const ValueInfoField = { NAME: 1, TYPE: 2, DOC_STRING: 3 } as const;

/** TypeProto field numbers (only the tensor case is decoded). */
export const TypeField = { TENSOR_TYPE: 1, SEQUENCE_TYPE: 4, MAP_TYPE: 5, DENOTATION: 6, SPARSE_TENSOR_TYPE: 8, OPTIONAL_TYPE: 9 } as const;

/** TypeProto.Tensor field numbers. */
export const TensorTypeField = { ELEM_TYPE: 1, SHAPE: 2 } as const;

/** TensorShapeProto field numbers. */
export const ShapeField = { DIM: 1 } as const;

/** TensorShapeProto.Dimension field numbers. */
export const DimField = { DIM_VALUE: 1, DIM_PARAM: 2, DENOTATION: 3 } as const;

/** TensorProto.DataType codes. */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
  FLOAT4E2M1: 23,
} as const;
/** A TensorProto.DataType code. */
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

/** Element type names used in this library's API (onnxruntime-style spellings). */
export type OnnxElemType =
  | 'float32'
  | 'uint8'
  | 'int8'
  | 'uint16'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'string'
  | 'bool'
  | 'float16'
  | 'float64'
  | 'uint32'
  | 'uint64'
  | 'complex64'
  | 'complex128'
  | 'bfloat16'
  | 'float8e4m3fn'
  | 'float8e4m3fnuz'
  | 'float8e5m2'
  | 'float8e5m2fnuz'
  | 'uint4'
  | 'int4'
  | 'float4e2m1'
  | 'undefined';

interface ElemTypeEntry {
  readonly name: OnnxElemType;
  /** Bits per element; 0 for variable-size (string) and undefined. */
  readonly bits: number;
}

const ELEM_TYPES: ReadonlyMap<number, ElemTypeEntry> = new Map<number, ElemTypeEntry>([
  [DataType.UNDEFINED, { name: 'undefined', bits: 0 }],
  [DataType.FLOAT, { name: 'float32', bits: 32 }],
  [DataType.UINT8, { name: 'uint8', bits: 8 }],
  [DataType.INT8, { name: 'int8', bits: 8 }],
  [DataType.UINT16, { name: 'uint16', bits: 16 }],
  [DataType.INT16, { name: 'int16', bits: 16 }],
  [DataType.INT32, { name: 'int32', bits: 32 }],
  [DataType.INT64, { name: 'int64', bits: 64 }],
  [DataType.STRING, { name: 'string', bits: 0 }],
  [DataType.BOOL, { name: 'bool', bits: 8 }],
  [DataType.FLOAT16, { name: 'float16', bits: 16 }],
  [DataType.DOUBLE, { name: 'float64', bits: 64 }],
  [DataType.UINT32, { name: 'uint32', bits: 32 }],
  [DataType.UINT64, { name: 'uint64', bits: 64 }],
  [DataType.COMPLEX64, { name: 'complex64', bits: 64 }],
  [DataType.COMPLEX128, { name: 'complex128', bits: 128 }],
  [DataType.BFLOAT16, { name: 'bfloat16', bits: 16 }],
  [DataType.FLOAT8E4M3FN, { name: 'float8e4m3fn', bits: 8 }],
  [DataType.FLOAT8E4M3FNUZ, { name: 'float8e4m3fnuz', bits: 8 }],
  [DataType.FLOAT8E5M2, { name: 'float8e5m2', bits: 8 }],
  [DataType.FLOAT8E5M2FNUZ, { name: 'float8e5m2fnuz', bits: 8 }],
  [DataType.UINT4, { name: 'uint4', bits: 4 }],
  [DataType.INT4, { name: 'int4', bits: 4 }],
  [DataType.FLOAT4E2M1, { name: 'float4e2m1', bits: 4 }],
]);

/** The API name of a TensorProto.DataType code, or `undefined` for a code this table does not know. */
export function elemTypeName(code: number): OnnxElemType | undefined {
  return ELEM_TYPES.get(code)?.name;
}

/** The TensorProto.DataType code of an element type name. */
export function elemTypeCode(name: OnnxElemType): DataTypeCode {
  for (const [code, entry] of ELEM_TYPES) if (entry.name === name) return code as DataTypeCode;
  return DataType.UNDEFINED;
}

/**
 * Bytes needed to store `count` elements of type `code` densely (sub-byte types rounded up),
 * or `undefined` for variable-size or unknown types.
 */
export function denseByteSize(code: number, count: number): number | undefined {
  const bits = ELEM_TYPES.get(code)?.bits ?? 0;
  if (bits === 0) return undefined;
  return Math.ceil((count * bits) / 8);
}
