/**
 * An asynchronous protobuf field reader over a {@link ByteSource} (a file read by position, or
 * memory). It streams the fields of one message; skipping a length-delimited field seeks past
 * it without reading it. Each value it decodes is loaded first and decoded by a synchronous
 * {@link ProtoCursor}, and {@link ProtoReader.fieldCursor} hands a whole loaded field to
 * synchronous parsers, so only the top levels of a large message pay for `await`.
 * @module
 */
import { DinoError } from '../errors';
import { FileSource, MemorySource, type ByteSource } from './byte-source';
import { outOfBounds, ProtoCursor, type FieldTag } from './protobuf-cursor';
import { MAX_VARINT_BYTES } from './protobuf-varint';
import { WireType } from './schema';

/**
 * Reads the fields of the message between absolute offsets `start` and `end` of `source`.
 * Running past the end of the source raises ERR_DINO_INVALID_MODEL saying the file is
 * truncated (how many bytes are missing, and where); other malformed input raises
 * ERR_DINO_INVALID_MODEL too.
 */
export class ProtoReader {
  private pos: number;

  /** Creates a reader over `source` (whole source by default). */
  constructor(
    readonly source: ByteSource,
    start = 0,
    readonly end: number = source.size,
  ) {
    this.pos = start;
  }

  /** A reader over bytes in memory. */
  static fromBytes(bytes: Uint8Array): ProtoReader {
    return new ProtoReader(new MemorySource(bytes));
  }

  /** Opens a file for reading; close it with `reader.source.close()`. */
  static async fromFile(path: string, windowBytes?: number): Promise<ProtoReader> {
    return new ProtoReader(await FileSource.open(path, windowBytes));
  }

  /** Current absolute offset. */
  get offset(): number {
    return this.pos;
  }

  /** True when every byte up to `end` has been consumed. */
  atEnd(): boolean {
    return this.pos >= this.end;
  }

  /** Loads `[start, start + length)` (clipped to this message) and returns a cursor from `start` to `end`. */
  private async cursorAt(start: number, length: number, end: number): Promise<ProtoCursor> {
    const n = Math.max(0, Math.min(length, this.end - start));
    const src = this.source;
    if (n > 0 && (start < src.bufferStart || start + n > src.bufferEnd)) await src.load(start, n);
    return new ProtoCursor(src.buffer, src.bufferStart, start, end, src.size);
  }

  /** A cursor at the current position with at least `length` bytes (or the rest of the message) loaded. */
  private async cursor(length: number): Promise<ProtoCursor> {
    return this.cursorAt(this.pos, length, this.end);
  }

  /** Reads a field key. Throws ERR_DINO_INVALID_MODEL for field 0 or a group/unknown wire type. */
  async readTag(): Promise<FieldTag> {
    const c = await this.cursor(MAX_VARINT_BYTES);
    const tag = c.readTag();
    this.pos = c.offset;
    return tag;
  }

  /** Reads an unsigned varint as a 64-bit value. */
  async readVarint64(): Promise<bigint> {
    const c = await this.cursor(MAX_VARINT_BYTES);
    const v = c.readVarint64();
    this.pos = c.offset;
    return v;
  }

  /** Reads a varint `int64` (two's complement) as a signed 64-bit value. */
  async readInt64(): Promise<bigint> {
    return BigInt.asIntN(64, await this.readVarint64());
  }

  /** Reads a zigzag `sint64`. */
  async readSint64(): Promise<bigint> {
    const c = await this.cursor(MAX_VARINT_BYTES);
    const v = c.readSint64();
    this.pos = c.offset;
    return v;
  }

  /** Reads a varint as a signed safe-integer number (int32, int64, enum, bool). */
  async readNumber(): Promise<number> {
    const c = await this.cursor(MAX_VARINT_BYTES);
    const v = c.readNumber();
    this.pos = c.offset;
    return v;
  }

  /** Reads a little-endian fixed32 as an unsigned number. */
  async readFixed32(): Promise<number> {
    return (await this.fieldCursor(WireType.I32)).readFixed32();
  }

  /** Reads a little-endian float (fixed32). */
  async readFloat(): Promise<number> {
    return (await this.fieldCursor(WireType.I32)).readFloat();
  }

  /** Reads a little-endian fixed64 as an unsigned 64-bit value. */
  async readFixed64(): Promise<bigint> {
    return (await this.fieldCursor(WireType.I64)).readFixed64();
  }

  /** Reads a little-endian double (fixed64). */
  async readDouble(): Promise<number> {
    return (await this.fieldCursor(WireType.I64)).readDouble();
  }

  /** Reads the length prefix of a length-delimited field and checks the field fits. */
  async readLength(): Promise<number> {
    const c = await this.cursor(MAX_VARINT_BYTES);
    const len = c.readLength();
    this.pos = c.offset;
    return len;
  }

  /** Returns the length of the length-delimited field value at the position without consuming it. */
  async peekLength(): Promise<number> {
    return (await this.cursor(MAX_VARINT_BYTES)).readLength();
  }

  /** Reads a length-delimited field's bytes (a copy). */
  async readBytes(): Promise<Uint8Array> {
    return (await this.fieldCursor(WireType.LEN)).readBytes();
  }

  /** Reads a length-delimited field as UTF-8 text. */
  async readString(): Promise<string> {
    return (await this.fieldCursor(WireType.LEN)).readString();
  }

  /** Returns a reader over an embedded message and moves past it (nothing is read). */
  async readMessage(): Promise<ProtoReader> {
    const len = await this.readLength();
    const child = new ProtoReader(this.source, this.pos, this.pos + len);
    this.pos += len;
    return child;
  }

  /**
   * Loads the value of the field whose key was just read (length prefix included) and returns
   * a synchronous cursor over exactly that value; this reader moves past it.
   */
  async fieldCursor(wireType: number): Promise<ProtoCursor> {
    const start = this.pos;
    switch (wireType) {
      case WireType.LEN: {
        const head = await this.cursor(MAX_VARINT_BYTES);
        const len = head.readLength();
        const end = head.offset + len;
        this.pos = end;
        return this.cursorAt(start, end - start, end);
      }
      case WireType.VARINT: {
        const c = await this.cursor(MAX_VARINT_BYTES);
        c.readVarint64();
        this.pos = c.offset;
        return this.cursorAt(start, this.pos - start, this.pos);
      }
      case WireType.I64:
      case WireType.I32: {
        const size = wireType === WireType.I64 ? 8 : 4;
        if (start + size > this.end) throw outOfBounds(size, start, this.end, this.source.size);
        this.pos = start + size;
        return this.cursorAt(start, size, this.pos);
      }
      default:
        throw new DinoError('ERR_DINO_INVALID_MODEL', `Invalid protobuf: unsupported wire type ${wireType} at offset ${start}`);
    }
  }

  /** Loads the rest of this message and returns a synchronous cursor over it; this reader ends. */
  async restCursor(): Promise<ProtoCursor> {
    const start = this.pos;
    this.pos = this.end;
    return this.cursorAt(start, this.end - start, this.end);
  }

  /** Skips a length-delimited field without reading it; returns its length. */
  async skipLengthDelimited(): Promise<number> {
    const len = await this.readLength();
    this.pos += len;
    return len;
  }

  /** Skips one field value of the given wire type (a length-delimited value is never read). */
  async skipField(wireType: number): Promise<void> {
    const c = await this.cursor(MAX_VARINT_BYTES);
    c.skipField(wireType);
    this.pos = c.offset;
  }

  /** Reads a repeated varint field, packed (LEN) or one element, as signed 64-bit values. */
  async readRepeatedInt64(wireType: number): Promise<bigint[]> {
    return (await this.fieldCursor(wireType)).readRepeatedInt64(wireType);
  }

  /** Reads a repeated float field, packed (LEN) or one element. */
  async readRepeatedFloat(wireType: number): Promise<number[]> {
    return (await this.fieldCursor(wireType)).readRepeatedFloat(wireType);
  }

  /** Reads a repeated double field, packed (LEN) or one element. */
  async readRepeatedDouble(wireType: number): Promise<number[]> {
    return (await this.fieldCursor(wireType)).readRepeatedDouble(wireType);
  }

  /** Reads all remaining bytes of this message (a copy). */
  async readRest(): Promise<Uint8Array> {
    const len = this.end - this.pos;
    return (await this.restCursor()).readRaw(len);
  }
}
