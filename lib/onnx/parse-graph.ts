/**
 * GraphProto decoding (nodes, attributes, inputs/outputs, initializer metadata); subgraphs of
 * If/Loop nodes are decoded recursively.
 * @module
 */
import { DinoError } from '../errors';
import type {
  OnnxDim,
  OnnxValueType,
  ParsedAttribute,
  ParsedGraph,
  ParsedNode,
  ParsedTensor,
  ParsedValueInfo,
} from './model-types';
import { expectWire } from './parse-common';
import { parseTensor, streamTensor } from './parse-tensor';
import type { FieldTag, ProtoCursor } from './protobuf-cursor';
import type { ProtoReader } from './protobuf-reader';
import {
  AttributeField,
  AttributeType,
  DimField,
  GraphField,
  NodeField,
  ShapeField,
  TensorTypeField,
  TypeField,
  ValueInfoField,
  WireType,
} from './schema';

/** Subgraphs (If/Loop bodies) nested deeper than this are rejected. */
const MAX_GRAPH_DEPTH = 32;

// ---------------------------------------------------------------------------------------------
// ValueInfoProto / TypeProto

function parseDim(c: ProtoCursor): OnnxDim {
  let dim: OnnxDim = '?';
  while (!c.atEnd()) {
    const tag = c.readTag();
    if (tag.field === DimField.DIM_VALUE) {
      expectWire(tag, WireType.VARINT);
      dim = c.readNumber();
    } else if (tag.field === DimField.DIM_PARAM) {
      expectWire(tag, WireType.LEN);
      dim = c.readString();
    } else c.skipField(tag.wireType);
  }
  return dim;
}

function parseShape(c: ProtoCursor): OnnxDim[] {
  const shape: OnnxDim[] = [];
  while (!c.atEnd()) {
    const tag = c.readTag();
    if (tag.field === ShapeField.DIM) {
      expectWire(tag, WireType.LEN);
      shape.push(parseDim(c.readMessage()));
    } else c.skipField(tag.wireType);
  }
  return shape;
}

function parseTensorType(c: ProtoCursor): OnnxValueType {
  let elemTypeCode = 0;
  let shape: OnnxDim[] | undefined;
  while (!c.atEnd()) {
    const tag = c.readTag();
    if (tag.field === TensorTypeField.ELEM_TYPE) {
      expectWire(tag, WireType.VARINT);
      elemTypeCode = c.readNumber();
    } else if (tag.field === TensorTypeField.SHAPE) {
      expectWire(tag, WireType.LEN);
      shape = parseShape(c.readMessage());
    } else c.skipField(tag.wireType);
  }
  return { kind: 'tensor', elemTypeCode, shape };
}

function parseType(c: ProtoCursor): OnnxValueType {
  let type: OnnxValueType = { kind: 'none' };
  while (!c.atEnd()) {
    const tag = c.readTag();
    if (tag.field === TypeField.TENSOR_TYPE) {
      expectWire(tag, WireType.LEN);
      type = parseTensorType(c.readMessage());
    } else {
      if (tag.field !== TypeField.DENOTATION) type = { kind: 'other' };
      c.skipField(tag.wireType);
    }
  }
  return type;
}

function parseValueInfo(c: ProtoCursor): ParsedValueInfo {
  let name = '';
  let type: OnnxValueType = { kind: 'none' };
  while (!c.atEnd()) {
    const tag = c.readTag();
    if (tag.field === ValueInfoField.NAME) {
      expectWire(tag, WireType.LEN);
      name = c.readString();
    } else if (tag.field === ValueInfoField.TYPE) {
      expectWire(tag, WireType.LEN);
      type = parseType(c.readMessage());
    } else c.skipField(tag.wireType);
  }
  return { name, type };
}

// ---------------------------------------------------------------------------------------------
// NodeProto / AttributeProto

function inferAttributeType(a: Omit<ParsedAttribute, 'type'>): number {
  if (a.f !== undefined) return AttributeType.FLOAT;
  if (a.i !== undefined) return AttributeType.INT;
  if (a.s !== undefined) return AttributeType.STRING;
  if (a.t !== undefined) return AttributeType.TENSOR;
  if (a.g !== undefined) return AttributeType.GRAPH;
  if (a.floats.length > 0) return AttributeType.FLOATS;
  if (a.ints.length > 0) return AttributeType.INTS;
  if (a.strings.length > 0) return AttributeType.STRINGS;
  if (a.tensors.length > 0) return AttributeType.TENSORS;
  if (a.graphs.length > 0) return AttributeType.GRAPHS;
  return AttributeType.UNDEFINED;
}

function parseAttribute(c: ProtoCursor, depth: number): ParsedAttribute {
  let name = '';
  let type: number | undefined;
  let f: number | undefined;
  let i: bigint | undefined;
  let s: Uint8Array | undefined;
  let t: ParsedTensor | undefined;
  let g: ParsedGraph | undefined;
  const floats: number[] = [];
  const ints: bigint[] = [];
  const strings: Uint8Array[] = [];
  const tensors: ParsedTensor[] = [];
  const graphs: ParsedGraph[] = [];
  while (!c.atEnd()) {
    const tag = c.readTag();
    switch (tag.field) {
      case AttributeField.NAME:
        expectWire(tag, WireType.LEN);
        name = c.readString();
        break;
      case AttributeField.TYPE:
        expectWire(tag, WireType.VARINT);
        type = c.readNumber();
        break;
      case AttributeField.F:
        expectWire(tag, WireType.I32);
        f = c.readFloat();
        break;
      case AttributeField.I:
        expectWire(tag, WireType.VARINT);
        i = c.readInt64();
        break;
      case AttributeField.S:
        expectWire(tag, WireType.LEN);
        s = c.readBytes();
        break;
      case AttributeField.T:
        expectWire(tag, WireType.LEN);
        t = parseTensor(c.readMessage());
        break;
      case AttributeField.G:
        expectWire(tag, WireType.LEN);
        g = parseGraph(c.readMessage(), depth + 1);
        break;
      case AttributeField.FLOATS:
        floats.push(...c.readRepeatedFloat(tag.wireType));
        break;
      case AttributeField.INTS:
        ints.push(...c.readRepeatedInt64(tag.wireType));
        break;
      case AttributeField.STRINGS:
        expectWire(tag, WireType.LEN);
        strings.push(c.readBytes());
        break;
      case AttributeField.TENSORS:
        expectWire(tag, WireType.LEN);
        tensors.push(parseTensor(c.readMessage()));
        break;
      case AttributeField.GRAPHS:
        expectWire(tag, WireType.LEN);
        graphs.push(parseGraph(c.readMessage(), depth + 1));
        break;
      default:
        c.skipField(tag.wireType);
    }
  }
  const value = { name, f, i, s, t, g, floats, ints, strings, tensors, graphs };
  return { ...value, type: type ?? inferAttributeType(value) };
}

function parseNode(c: ProtoCursor, depth: number): ParsedNode {
  let name = '';
  let opType = '';
  let domain = '';
  const inputs: string[] = [];
  const outputs: string[] = [];
  const attributes: ParsedAttribute[] = [];
  while (!c.atEnd()) {
    const tag = c.readTag();
    switch (tag.field) {
      case NodeField.INPUT:
        expectWire(tag, WireType.LEN);
        inputs.push(c.readString());
        break;
      case NodeField.OUTPUT:
        expectWire(tag, WireType.LEN);
        outputs.push(c.readString());
        break;
      case NodeField.NAME:
        expectWire(tag, WireType.LEN);
        name = c.readString();
        break;
      case NodeField.OP_TYPE:
        expectWire(tag, WireType.LEN);
        opType = c.readString();
        break;
      case NodeField.DOMAIN:
        expectWire(tag, WireType.LEN);
        domain = c.readString();
        break;
      case NodeField.ATTRIBUTE:
        expectWire(tag, WireType.LEN);
        attributes.push(parseAttribute(c.readMessage(), depth));
        break;
      default:
        c.skipField(tag.wireType);
    }
  }
  return { name, opType, domain, inputs, outputs, attributes };
}

// ---------------------------------------------------------------------------------------------
// GraphProto

interface GraphState {
  name: string;
  nodes: ParsedNode[];
  initializers: ParsedTensor[];
  sparseInitializerCount: number;
  inputs: ParsedValueInfo[];
  outputs: ParsedValueInfo[];
}

function newGraphState(depth: number): GraphState {
  if (depth > MAX_GRAPH_DEPTH) {
    throw new DinoError('ERR_DINO_INVALID_MODEL', `Invalid ONNX: subgraphs nested more than ${MAX_GRAPH_DEPTH} deep`);
  }
  return { name: '', nodes: [], initializers: [], sparseInitializerCount: 0, inputs: [], outputs: [] };
}

function applyGraphField(g: GraphState, tag: FieldTag, c: ProtoCursor, depth: number): void {
  switch (tag.field) {
    case GraphField.NODE:
      expectWire(tag, WireType.LEN);
      g.nodes.push(parseNode(c.readMessage(), depth));
      return;
    case GraphField.NAME:
      expectWire(tag, WireType.LEN);
      g.name = c.readString();
      return;
    case GraphField.INITIALIZER:
      expectWire(tag, WireType.LEN);
      g.initializers.push(parseTensor(c.readMessage()));
      return;
    case GraphField.SPARSE_INITIALIZER:
      expectWire(tag, WireType.LEN);
      c.skipLengthDelimited();
      g.sparseInitializerCount++;
      return;
    case GraphField.INPUT:
      expectWire(tag, WireType.LEN);
      g.inputs.push(parseValueInfo(c.readMessage()));
      return;
    case GraphField.OUTPUT:
      expectWire(tag, WireType.LEN);
      g.outputs.push(parseValueInfo(c.readMessage()));
      return;
    default:
      c.skipField(tag.wireType);
  }
}

/** Decodes a loaded GraphProto (a subgraph). */
export function parseGraph(c: ProtoCursor, depth = 0): ParsedGraph {
  const g = newGraphState(depth);
  while (!c.atEnd()) applyGraphField(g, c.readTag(), c, depth);
  return g;
}

/** Decodes the main GraphProto from a stream: initializers are streamed, everything else loaded per field. */
export async function streamGraph(r: ProtoReader): Promise<ParsedGraph> {
  const g = newGraphState(0);
  while (!r.atEnd()) {
    const tag = await r.readTag();
    // value_info and sparse initializers are not needed: skip them unread.
    if (tag.field === GraphField.VALUE_INFO || tag.field === GraphField.SPARSE_INITIALIZER) {
      await r.skipField(tag.wireType);
      if (tag.field === GraphField.SPARSE_INITIALIZER) g.sparseInitializerCount++;
    } else if (tag.field === GraphField.INITIALIZER && tag.wireType === WireType.LEN) {
      g.initializers.push(await streamTensor(await r.readMessage()));
    } else {
      applyGraphField(g, tag, await r.fieldCursor(tag.wireType), 0);
    }
  }
  return g;
}

