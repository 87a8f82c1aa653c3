/**
 * Decoder of an ONNX ModelProto into a {@link ParsedModel}: graph structure, types and
 * initializer metadata. Tensor data (raw_data, float_data, ...) is skipped by position and
 * never read, except tiny payloads kept for shape constants.
 *
 * The model, its main graph and large initializers are streamed with the async
 * {@link ProtoReader}; every other message (nodes, value infos, small tensors) is loaded whole
 * and decoded by the synchronous parsers (parse-graph.ts, parse-tensor.ts), which share one field handler per message type
 * with the streaming path.
 * @module
 */
import type { OnnxOpsetImport, ParsedGraph, ParsedModel } from './model-types';
import { expectWire, parseEntry } from './parse-common';
import { streamGraph } from './parse-graph';
import type { FieldTag, ProtoCursor } from './protobuf-cursor';
import type { ProtoReader } from './protobuf-reader';
import { ModelField, OpsetField, WireType } from './schema';

export { parseGraph, streamGraph } from './parse-graph';
export { parseTensor, streamTensor } from './parse-tensor';

function parseOpset(c: ProtoCursor): OnnxOpsetImport {
  let domain = '';
  let version = 0;
  while (!c.atEnd()) {
    const tag = c.readTag();
    if (tag.field === OpsetField.DOMAIN) {
      expectWire(tag, WireType.LEN);
      domain = c.readString();
    } else if (tag.field === OpsetField.VERSION) {
      expectWire(tag, WireType.VARINT);
      version = c.readNumber();
    } else c.skipField(tag.wireType);
  }
  return { domain, version };
}

interface ModelState {
  irVersion: number;
  opsetImports: OnnxOpsetImport[];
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  metadata: Record<string, string>;
  graph: ParsedGraph | undefined;
  unknownFieldCount: number;
}

function applyModelField(m: ModelState, tag: FieldTag, c: ProtoCursor): void {
  switch (tag.field) {
    case ModelField.IR_VERSION:
      expectWire(tag, WireType.VARINT);
      m.irVersion = c.readNumber();
      return;
    case ModelField.OPSET_IMPORT:
      expectWire(tag, WireType.LEN);
      m.opsetImports.push(parseOpset(c.readMessage()));
      return;
    case ModelField.PRODUCER_NAME:
      expectWire(tag, WireType.LEN);
      m.producerName = c.readString();
      return;
    case ModelField.PRODUCER_VERSION:
      expectWire(tag, WireType.LEN);
      m.producerVersion = c.readString();
      return;
    case ModelField.DOMAIN:
      expectWire(tag, WireType.LEN);
      m.domain = c.readString();
      return;
    case ModelField.MODEL_VERSION:
      expectWire(tag, WireType.VARINT);
      m.modelVersion = c.readNumber();
      return;
    case ModelField.DOC_STRING:
      expectWire(tag, WireType.LEN);
      m.docString = c.readString();
      return;
    case ModelField.METADATA_PROPS: {
      expectWire(tag, WireType.LEN);
      const [key, value] = parseEntry(c.readMessage());
      m.metadata[key] = value;
      return;
    }
    default:
      m.unknownFieldCount++;
      c.skipField(tag.wireType);
  }
}

/**
 * Decodes a ModelProto from `r`, never reading tensor data. Raises ERR_DINO_INVALID_MODEL for
 * malformed or truncated input; the caller decides whether a model without a graph is usable.
 */
export async function parseModel(r: ProtoReader): Promise<ParsedModel> {
  const m: ModelState = {
    irVersion: 0,
    opsetImports: [],
    producerName: '',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: undefined,
    unknownFieldCount: 0,
  };
  while (!r.atEnd()) {
    const tag = await r.readTag();
    if (tag.field === ModelField.GRAPH) {
      expectWire(tag, WireType.LEN);
      m.graph = await streamGraph(await r.readMessage());
    } else if (tag.wireType === WireType.LEN && !isModelMetaField(tag.field)) {
      // Unknown or unused length-delimited fields (training info, functions) are skipped unread.
      m.unknownFieldCount++;
      await r.skipField(tag.wireType);
    } else {
      applyModelField(m, tag, await r.fieldCursor(tag.wireType));
    }
  }
  return { ...m };
}

function isModelMetaField(field: number): boolean {
  return (
    field === ModelField.OPSET_IMPORT ||
    field === ModelField.PRODUCER_NAME ||
    field === ModelField.PRODUCER_VERSION ||
    field === ModelField.DOMAIN ||
    field === ModelField.DOC_STRING ||
    field === ModelField.METADATA_PROPS
  );
}
