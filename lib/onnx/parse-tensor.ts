/**
 * TensorProto decoding: metadata (name, type, dims, external data) only; data fields are
 * skipped by position unless tiny.
 * @module
 */
import type { ParsedTensor } from './model-types';
import { SMALL_TENSOR_BYTES } from './model-types';
import { expectWire, parseEntry, toDim } from './parse-common';
import type { FieldTag, ProtoCursor } from './protobuf-cursor';
import type { ProtoReader } from './protobuf-reader';
import { DataLocation, TensorField, WireType } from './schema';

/**
 * Tensor messages up to this size are loaded whole (their data is then at most this big);
 * larger ones are streamed field by field so their data is skipped unread.
 */
const STREAM_TENSOR_BYTES = 1024;

interface TensorState {
  name: string;
  dataType: number;
  dims: number[];
  external: boolean;
  externalData: Record<string, string>;
  inlineBytes: number;
  rawDataOffset: number | undefined;
  smallRawData: Uint8Array | undefined;
  int64Data: bigint[] | undefined;
}

function newTensorState(): TensorState {
  return {
    name: '',
    dataType: 0,
    dims: [],
    external: false,
    externalData: {},
    inlineBytes: 0,
    rawDataOffset: undefined,
    smallRawData: undefined,
    int64Data: undefined,
  };
}

/** The TensorProto fields that hold data (skipped unless tiny). */
function isDataField(field: number): boolean {
  return (
    field === TensorField.RAW_DATA ||
    field === TensorField.FLOAT_DATA ||
    field === TensorField.INT32_DATA ||
    field === TensorField.STRING_DATA ||
    field === TensorField.INT64_DATA ||
    field === TensorField.DOUBLE_DATA ||
    field === TensorField.UINT64_DATA
  );
}

/** Records a data field of `length` bytes at `offset` that was skipped unread. */
function noteSkippedData(t: TensorState, field: number, offset: number, length: number): void {
  t.inlineBytes += length;
  if (field === TensorField.RAW_DATA) t.rawDataOffset = offset;
}

function applyTensorField(t: TensorState, tag: FieldTag, c: ProtoCursor): void {
  switch (tag.field) {
    case TensorField.DIMS:
      for (const d of c.readRepeatedInt64(tag.wireType)) t.dims.push(toDim(d, tag.offset));
      return;
    case TensorField.DATA_TYPE:
      expectWire(tag, WireType.VARINT);
      t.dataType = c.readNumber();
      return;
    case TensorField.NAME:
      expectWire(tag, WireType.LEN);
      t.name = c.readString();
      return;
    case TensorField.EXTERNAL_DATA: {
      expectWire(tag, WireType.LEN);
      const [key, value] = parseEntry(c.readMessage());
      t.externalData[key] = value;
      return;
    }
    case TensorField.DATA_LOCATION:
      expectWire(tag, WireType.VARINT);
      t.external = c.readNumber() === DataLocation.EXTERNAL;
      return;
    case TensorField.RAW_DATA: {
      expectWire(tag, WireType.LEN);
      const length = c.readLength();
      noteSkippedData(t, tag.field, c.offset, length);
      if (length <= SMALL_TENSOR_BYTES) t.smallRawData = c.readRaw(length);
      else c.skipRaw(length);
      return;
    }
    case TensorField.INT64_DATA:
      if (tag.wireType === WireType.LEN) {
        const body = c.readMessage();
        const length = body.end - body.offset;
        t.inlineBytes += length;
        if (length <= SMALL_TENSOR_BYTES) {
          t.int64Data ??= [];
          while (!body.atEnd()) t.int64Data.push(body.readInt64());
        }
      } else {
        expectWire(tag, WireType.VARINT);
        const start = c.offset;
        (t.int64Data ??= []).push(c.readInt64());
        t.inlineBytes += c.offset - start;
      }
      return;
    default: {
      if (!isDataField(tag.field)) {
        c.skipField(tag.wireType);
        return;
      }
      if (tag.wireType === WireType.LEN) {
        t.inlineBytes += c.skipLengthDelimited();
        return;
      }
      const start = c.offset;
      c.skipField(tag.wireType);
      t.inlineBytes += c.offset - start;
    }
  }
}

function finishTensor(t: TensorState): ParsedTensor {
  return { ...t };
}

/** Decodes a loaded TensorProto (its data fields are skipped). */
export function parseTensor(c: ProtoCursor): ParsedTensor {
  const t = newTensorState();
  while (!c.atEnd()) applyTensorField(t, c.readTag(), c);
  return finishTensor(t);
}

/** Decodes a TensorProto from a stream, seeking past large data fields without reading them. */
export async function streamTensor(r: ProtoReader): Promise<ParsedTensor> {
  if (r.end - r.offset <= STREAM_TENSOR_BYTES) return parseTensor(await r.restCursor());
  const t = newTensorState();
  while (!r.atEnd()) {
    const tag = await r.readTag();
    if (isDataField(tag.field) && tag.wireType === WireType.LEN && (await r.peekLength()) > SMALL_TENSOR_BYTES) {
      const length = await r.skipLengthDelimited();
      noteSkippedData(t, tag.field, r.offset - length, length);
      continue;
    }
    applyTensorField(t, tag, await r.fieldCursor(tag.wireType));
  }
  return finishTensor(t);
}

