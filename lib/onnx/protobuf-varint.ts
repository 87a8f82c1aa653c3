/**
 * Protobuf varint primitives: unsigned and two's-complement 64-bit varints and zigzag.
 * @module
 */
import { DinoError } from '../errors';

/** Longest varint (a 64-bit value). */
export const MAX_VARINT_BYTES = 10;

function invalidArgument(message: string): DinoError {
  return new DinoError('ERR_DINO_INVALID_ARGUMENT', message);
}

/** Converts a number or bigint to its unsigned 64-bit pattern (negatives as two's complement). */
export function toUint64(value: number | bigint): bigint {
  if (typeof value === 'bigint') {
    if (value < -(1n << 63n) || value >= 1n << 64n) throw invalidArgument(`Expected a 64-bit integer but received ${value}`);
    return BigInt.asUintN(64, value);
  }
  if (!Number.isSafeInteger(value)) throw invalidArgument(`Expected a safe integer for a varint but received ${value}`);
  return BigInt.asUintN(64, BigInt(value));
}

/** Zigzag-encodes a signed 64-bit integer (protobuf `sint64`). */
export function zigzagEncode(value: number | bigint): bigint {
  const v = BigInt.asIntN(64, typeof value === 'bigint' ? value : BigInt(value));
  return BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
}

/** Decodes a zigzag-encoded unsigned 64-bit value back to a signed one. */
export function zigzagDecode(value: bigint): bigint {
  const v = BigInt.asUintN(64, value);
  return BigInt.asIntN(64, (v >> 1n) ^ -(v & 1n));
}

/**
 * Encodes `value` as a varint. Negative values are written as their 64-bit two's complement
 * (10 bytes), as protobuf does for `int32`/`int64`.
 */
export function encodeVarint(value: number | bigint): Uint8Array {
  const out: number[] = [];
  if (typeof value === 'number' && value >= 0 && value <= 0x7fffffff && Number.isInteger(value)) {
    let v = value;
    while (v > 0x7f) {
      out.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.push(v);
    return Uint8Array.from(out);
  }
  let v = toUint64(value);
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

/** Result of {@link decodeVarint}. */
export interface DecodedVarint {
  /** The value as an unsigned 64-bit integer. */
  readonly value: bigint;
  /** Bytes consumed; 0 when `bytes` ends before the varint does. */
  readonly length: number;
}

/**
 * Decodes the varint at `offset` of `bytes`. Returns `length: 0` if the bytes run out first;
 * throws ERR_DINO_INVALID_MODEL for a varint longer than 10 bytes.
 */
export function decodeVarint(bytes: Uint8Array, offset = 0): DecodedVarint {
  let lo = 0;
  let shift = 0;
  let i = offset;
  // Fast path: up to 4 bytes (28 bits) fit a small integer exactly.
  for (; i < bytes.length && i - offset < 4; i++) {
    const b = bytes[i] as number;
    lo |= (b & 0x7f) << shift;
    shift += 7;
    if (b < 0x80) return { value: BigInt(lo >>> 0), length: i - offset + 1 };
  }
  let value = BigInt(lo >>> 0);
  let bigShift = BigInt(shift);
  for (; i < bytes.length; i++) {
    if (i - offset >= MAX_VARINT_BYTES) break;
    const b = bytes[i] as number;
    value |= BigInt(b & 0x7f) << bigShift;
    bigShift += 7n;
    if (b < 0x80) return { value: BigInt.asUintN(64, value), length: i - offset + 1 };
  }
  if (i - offset >= MAX_VARINT_BYTES) {
    throw new DinoError('ERR_DINO_INVALID_MODEL', `Invalid protobuf: varint longer than 10 bytes at offset ${offset}`);
  }
  return { value: 0n, length: 0 };
}

