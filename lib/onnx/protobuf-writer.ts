/**
 * A growable protobuf encoder.
 * @module
 */
import { DinoError } from '../errors';
import { encodeVarint, toUint64, zigzagEncode } from './protobuf-varint';
import { WireType } from './schema';

function invalidArgument(message: string): DinoError {
  return new DinoError('ERR_DINO_INVALID_ARGUMENT', message);
}

/** A growable protobuf encoder. Field methods write the tag and then the value. */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;
  private readonly scratch = new DataView(new ArrayBuffer(8));

  /** Bytes written so far. */
  get length(): number {
    return this.len;
  }

  private reserve(extra: number): void {
    if (this.len + extra <= this.buf.byteLength) return;
    let cap = this.buf.byteLength * 2;
    while (cap < this.len + extra) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Appends raw bytes. */
  raw(bytes: Uint8Array): this {
    this.reserve(bytes.byteLength);
    this.buf.set(bytes, this.len);
    this.len += bytes.byteLength;
    return this;
  }

  /** Appends a bare varint (no tag). Negative numbers become 64-bit two's complement. */
  varint(value: number | bigint): this {
    if (typeof value === 'number' && value >= 0 && value <= 0x7fffffff && Number.isInteger(value)) {
      this.reserve(5);
      let v = value;
      while (v > 0x7f) {
        this.buf[this.len++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      this.buf[this.len++] = v;
      return this;
    }
    return this.raw(encodeVarint(value));
  }

  /** Appends a field key. */
  tag(field: number, wireType: number): this {
    if (!Number.isInteger(field) || field < 1 || field > 0x1fffffff) throw invalidArgument(`Invalid protobuf field number ${field}`);
    return this.varint(field * 8 + wireType);
  }

  /** `int64`/`uint64`/`int32`/`enum`/`bool` field. */
  int64(field: number, value: number | bigint): this {
    return this.tag(field, WireType.VARINT).varint(value);
  }

  /** `sint64`/`sint32` field (zigzag). */
  sint64(field: number, value: number | bigint): this {
    return this.tag(field, WireType.VARINT).varint(zigzagEncode(value));
  }

  /** `float` field (fixed32). */
  float(field: number, value: number): this {
    this.tag(field, WireType.I32);
    this.scratch.setFloat32(0, value, true);
    return this.raw(new Uint8Array(this.scratch.buffer.slice(0, 4)));
  }

  /** `fixed32` field. */
  fixed32(field: number, value: number): this {
    this.tag(field, WireType.I32);
    this.scratch.setUint32(0, value >>> 0, true);
    return this.raw(new Uint8Array(this.scratch.buffer.slice(0, 4)));
  }

  /** `double` field (fixed64). */
  double(field: number, value: number): this {
    this.tag(field, WireType.I64);
    this.scratch.setFloat64(0, value, true);
    return this.raw(new Uint8Array(this.scratch.buffer.slice(0, 8)));
  }

  /** `fixed64`/`sfixed64` field. */
  fixed64(field: number, value: number | bigint): this {
    this.tag(field, WireType.I64);
    this.scratch.setBigUint64(0, toUint64(value), true);
    return this.raw(new Uint8Array(this.scratch.buffer.slice(0, 8)));
  }

  /** `bytes` field (or an already encoded message). */
  bytes(field: number, value: Uint8Array): this {
    return this.tag(field, WireType.LEN).varint(value.byteLength).raw(value);
  }

  /** `string` field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  /** Embedded message field, encoded by `build` into a nested writer. */
  message(field: number, build: (w: ProtoWriter) => void): this {
    const nested = new ProtoWriter();
    build(nested);
    return this.bytes(field, nested.finish());
  }

  /** Packed repeated varints (`repeated int64 x = n [packed]`). */
  packedVarints(field: number, values: ArrayLike<number | bigint>): this {
    if (values.length === 0) return this;
    const nested = new ProtoWriter();
    for (let i = 0; i < values.length; i++) nested.varint(values[i] as number | bigint);
    return this.bytes(field, nested.finish());
  }

  /** Packed repeated floats. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    const data = new Uint8Array(values.length * 4);
    const view = new DataView(data.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] as number, true);
    return this.bytes(field, data);
  }

  /** Packed repeated doubles. */
  packedDoubles(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    const data = new Uint8Array(values.length * 8);
    const view = new DataView(data.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i] as number, true);
    return this.bytes(field, data);
  }

  /** The encoded bytes (a copy sized to fit). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

