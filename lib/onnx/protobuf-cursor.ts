/**
 * A synchronous protobuf field reader over bytes already in memory. Skipping a length-delimited
 * field only moves the position, so a cursor may cover a range whose skipped parts were never
 * loaded; reading such a part is an internal error (the async {@link ProtoReader} loads what
 * a parser reads before handing out a cursor).
 * @module
 */
import { DinoError } from '../errors';
import { decodeVarint, MAX_VARINT_BYTES, zigzagDecode } from './protobuf-varint';
import { WireType } from './schema';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/** A field key. */
export interface FieldTag {
  /** Field number. */
  readonly field: number;
  /** Wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32). */
  readonly wireType: number;
  /** Absolute offset of the key. */
  readonly offset: number;
}

/** The error for `needed` bytes at `at` that do not fit before `end` (truncated file or overrun message). */
export function outOfBounds(needed: number, at: number, end: number, fileSize: number): DinoError {
  const available = end - at;
  if (end >= fileSize) {
    return new DinoError(
      'ERR_DINO_INVALID_MODEL',
      `ONNX file is truncated: expected ${needed - available} more bytes at offset ${fileSize} ` +
        `(a ${needed}-byte read starts at offset ${at}; the file has ${fileSize} bytes)`,
      { details: { offset: at, needed, fileSize } },
    );
  }
  return new DinoError(
    'ERR_DINO_INVALID_MODEL',
    `Invalid protobuf: ${needed} bytes at offset ${at} overrun the enclosing message, which ends at offset ${end}`,
    { details: { offset: at, needed, end } },
  );
}

/**
 * Reads fields between absolute offsets `pos` and `end` from `buffer`, whose index 0 is
 * absolute offset `bufferStart`. `fileSize` is the size of the whole source (for messages).
 */
export class ProtoCursor {
  private pos: number;

  constructor(
    private readonly buffer: Buffer,
    private readonly bufferStart: number,
    start: number,
    readonly end: number,
    readonly fileSize: number,
  ) {
    this.pos = start;
  }

  /** A cursor over a whole in-memory message. */
  static fromBytes(bytes: Uint8Array): ProtoCursor {
    return new ProtoCursor(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0, 0, bytes.byteLength, bytes.byteLength);
  }

  /** Current absolute offset. */
  get offset(): number {
    return this.pos;
  }

  /** True when every byte up to `end` has been consumed. */
  atEnd(): boolean {
    return this.pos >= this.end;
  }

  /** Checks `length` bytes at the position are inside the message and loaded; returns their buffer index. */
  private index(length: number): number {
    if (this.pos + length > this.end) throw outOfBounds(length, this.pos, this.end, this.fileSize);
    const i = this.pos - this.bufferStart;
    if (i < 0 || i + length > this.buffer.byteLength) {
      throw new DinoError('ERR_DINO_INTERNAL', `protobuf cursor read ${length} bytes at offset ${this.pos}, which were not loaded`);
    }
    return i;
  }

  /** Reads an unsigned varint as a 64-bit value. */
  readVarint64(): bigint {
    const at = this.pos;
    const avail = Math.min(MAX_VARINT_BYTES, this.end - at);
    if (avail <= 0) throw outOfBounds(1, at, this.end, this.fileSize);
    const i = this.index(avail);
    const { value, length } = decodeVarint(this.buffer.subarray(i, i + avail), 0);
    if (length === 0) throw outOfBounds(avail + 1, at, this.end, this.fileSize);
    this.pos += length;
    return value;
  }

  /** Reads a varint `int64` (two's complement) as a signed 64-bit value. */
  readInt64(): bigint {
    return BigInt.asIntN(64, this.readVarint64());
  }

  /** Reads a zigzag `sint64`. */
  readSint64(): bigint {
    return zigzagDecode(this.readVarint64());
  }

  /**
   * Reads a varint as a signed number (int32, int64, enum, bool). Throws ERR_DINO_INVALID_MODEL
   * if the value does not fit a safe JS integer.
   */
  readNumber(): number {
    const at = this.pos;
    const i0 = at - this.bufferStart;
    // Fast path: up to 7 bytes (< 2^49) decode exactly as a double, without BigInt.
    const limit = Math.min(7, this.end - at, this.buffer.byteLength - i0);
    let value = 0;
    let scale = 1;
    for (let k = 0; k < limit; k++) {
      const b = this.buffer[i0 + k] as number;
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos += k + 1;
        return value;
      }
      scale *= 128;
    }
    const v = this.readInt64();
    if (v > MAX_SAFE || v < MIN_SAFE) throw new DinoError('ERR_DINO_INVALID_MODEL', `Invalid ONNX: integer ${v} at offset ${at} is too large`);
    return Number(v);
  }

  /** Reads a little-endian fixed32 as an unsigned number. */
  readFixed32(): number {
    const i = this.index(4);
    this.pos += 4;
    return this.buffer.readUInt32LE(i);
  }

  /** Reads a little-endian float (fixed32). */
  readFloat(): number {
    const i = this.index(4);
    this.pos += 4;
    return this.buffer.readFloatLE(i);
  }

  /** Reads a little-endian fixed64 as an unsigned 64-bit value. */
  readFixed64(): bigint {
    const i = this.index(8);
    this.pos += 8;
    return this.buffer.readBigUInt64LE(i);
  }

  /** Reads a little-endian double (fixed64). */
  readDouble(): number {
    const i = this.index(8);
    this.pos += 8;
    return this.buffer.readDoubleLE(i);
  }

  /** Reads a field key. Throws ERR_DINO_INVALID_MODEL for field 0 or a group/unknown wire type. */
  readTag(): FieldTag {
    const offset = this.pos;
    const key = this.readNumber();
    const wireType = key < 0 ? -1 : key % 8;
    const field = key < 0 ? 0 : Math.floor(key / 8);
    if (
      field === 0 ||
      field > 0x1fffffff ||
      (wireType !== WireType.VARINT && wireType !== WireType.I64 && wireType !== WireType.LEN && wireType !== WireType.I32)
    ) {
      throw new DinoError('ERR_DINO_INVALID_MODEL', `Invalid protobuf: bad field key (field ${field}, wire type ${wireType}) at offset ${offset}`, {
        details: { offset },
      });
    }
    return { field, wireType, offset };
  }

  /** Reads the length prefix of a length-delimited field and checks the field fits. */
  readLength(): number {
    const len = this.readNumber();
    if (len < 0) throw new DinoError('ERR_DINO_INVALID_MODEL', `Invalid protobuf: negative length at offset ${this.pos}`);
    if (this.pos + len > this.end) throw outOfBounds(len, this.pos, this.end, this.fileSize);
    return len;
  }

  /** Reads `length` raw bytes (a copy). */
  readRaw(length: number): Uint8Array {
    const i = this.index(length);
    this.pos += length;
    return Uint8Array.prototype.slice.call(this.buffer, i, i + length);
  }

  /** Skips `length` raw bytes (nothing needs to be loaded). */
  skipRaw(length: number): void {
    if (this.pos + length > this.end) throw outOfBounds(length, this.pos, this.end, this.fileSize);
    this.pos += length;
  }

  /** Reads a length-delimited field's bytes (a copy). */
  readBytes(): Uint8Array {
    return this.readRaw(this.readLength());
  }

  /** Reads a length-delimited field as UTF-8 text. */
  readString(): string {
    const len = this.readLength();
    const i = this.index(len);
    this.pos += len;
    return this.buffer.toString('utf8', i, i + len);
  }

  /** Returns a cursor over an embedded message and moves past it. */
  readMessage(): ProtoCursor {
    const len = this.readLength();
    const child = new ProtoCursor(this.buffer, this.bufferStart, this.pos, this.pos + len, this.fileSize);
    this.pos += len;
    return child;
  }

  /** Skips a length-delimited field; returns its length. */
  skipLengthDelimited(): number {
    const len = this.readLength();
    this.pos += len;
    return len;
  }

  /** Skips one field value of the given wire type. */
  skipField(wireType: number): void {
    switch (wireType) {
      case WireType.VARINT:
        this.readVarint64();
        return;
      case WireType.I64:
        this.skipRaw(8);
        return;
      case WireType.LEN:
        this.skipLengthDelimited();
        return;
      case WireType.I32:
        this.skipRaw(4);
        return;
      default:
        throw new DinoError('ERR_DINO_INVALID_MODEL', `Invalid protobuf: unsupported wire type ${wireType} at offset ${this.pos}`);
    }
  }

  /** Reads a repeated varint field, packed (LEN) or one element, as signed 64-bit values. */
  readRepeatedInt64(wireType: number): bigint[] {
    if (wireType === WireType.VARINT) return [this.readInt64()];
    if (wireType !== WireType.LEN) throw this.wrongWireType(wireType);
    const child = this.readMessage();
    const out: bigint[] = [];
    while (!child.atEnd()) out.push(child.readInt64());
    return out;
  }

  /** Reads a repeated float field, packed (LEN) or one element. */
  readRepeatedFloat(wireType: number): number[] {
    if (wireType === WireType.I32) return [this.readFloat()];
    if (wireType !== WireType.LEN) throw this.wrongWireType(wireType);
    const len = this.readLength();
    if (len % 4 !== 0) throw new DinoError('ERR_DINO_INVALID_MODEL', `Invalid protobuf: packed floats of ${len} bytes at offset ${this.pos}`);
    const out: number[] = [];
    for (let k = 0; k < len; k += 4) out.push(this.readFloat());
    return out;
  }

  /** Reads a repeated double field, packed (LEN) or one element. */
  readRepeatedDouble(wireType: number): number[] {
    if (wireType === WireType.I64) return [this.readDouble()];
    if (wireType !== WireType.LEN) throw this.wrongWireType(wireType);
    const len = this.readLength();
    if (len % 8 !== 0) throw new DinoError('ERR_DINO_INVALID_MODEL', `Invalid protobuf: packed doubles of ${len} bytes at offset ${this.pos}`);
    const out: number[] = [];
    for (let k = 0; k < len; k += 8) out.push(this.readDouble());
    return out;
  }

  /** The error for a field whose wire type does not match its schema type. */
  wrongWireType(wireType: number): DinoError {
    return new DinoError('ERR_DINO_INVALID_MODEL', `Invalid protobuf: unexpected wire type ${wireType} before offset ${this.pos}`);
  }
}
