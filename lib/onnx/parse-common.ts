/**
 * Helpers shared by the ONNX message parsers.
 * @module
 */
import { DinoError } from '../errors';
import type { FieldTag, ProtoCursor } from './protobuf-cursor';
import { EntryField, WireType } from './schema';

/** Throws ERR_DINO_INVALID_MODEL unless `tag` has `wireType`. */
export function expectWire(tag: FieldTag, wireType: number): void {
  if (tag.wireType !== wireType) {
    throw new DinoError(
      'ERR_DINO_INVALID_MODEL',
      `Invalid ONNX: field ${tag.field} at offset ${tag.offset} has wire type ${tag.wireType}, expected ${wireType}`,
      { details: { offset: tag.offset } },
    );
  }
}

/** Converts a decoded dimension to a number, rejecting negative or huge values. */
export function toDim(value: bigint, offset: number): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new DinoError('ERR_DINO_INVALID_MODEL', `Invalid ONNX: tensor dimension ${value} near offset ${offset}`);
  }
  return Number(value);
}

/** Decodes a StringStringEntryProto as [key, value]. */
export function parseEntry(c: ProtoCursor): [string, string] {
  let key = '';
  let value = '';
  while (!c.atEnd()) {
    const tag = c.readTag();
    if (tag.field === EntryField.KEY) {
      expectWire(tag, WireType.LEN);
      key = c.readString();
    } else if (tag.field === EntryField.VALUE) {
      expectWire(tag, WireType.LEN);
      value = c.readString();
    } else c.skipField(tag.wireType);
  }
  return [key, value];
}
