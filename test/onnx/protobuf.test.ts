/**
 * The protobuf wire-format reader and writer: varints (64-bit, negative, zigzag), fixed
 * values, length-delimited and packed fields, truncation and corruption errors, and skipping
 * by position in a file.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSource } from '../../lib/onnx/byte-source';
import { decodeVarint, encodeVarint, ProtoCursor, ProtoReader, ProtoWriter, zigzagDecode, zigzagEncode } from '../../lib/onnx/protobuf';
import { WireType } from '../../lib/onnx/schema';
import { expectDinoError, expectDinoErrorSync, tempDir } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('varints', () => {
  it('encodes known values like protobuf does', () => {
    expect([...encodeVarint(0)]).toEqual([0]);
    expect([...encodeVarint(1)]).toEqual([1]);
    expect([...encodeVarint(127)]).toEqual([0x7f]);
    expect([...encodeVarint(128)]).toEqual([0x80, 0x01]);
    expect([...encodeVarint(300)]).toEqual([0xac, 0x02]);
    // Negative int64/int32 values take 10 bytes of two's complement.
    expect([...encodeVarint(-1)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(encodeVarint(2n ** 64n - 1n).length).toBe(10);
  });

  it('round-trips 64-bit, boundary and negative values', () => {
    const values: bigint[] = [
      0n, 1n, 127n, 128n, 16383n, 16384n, 2n ** 28n - 1n, 2n ** 28n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n,
      BigInt(Number.MAX_SAFE_INTEGER), 2n ** 53n + 1n, 2n ** 63n - 1n, -1n, -2n, -(2n ** 31n), -(2n ** 63n),
      9223372036854775807n,
    ];
    for (const v of values) {
      const bytes = encodeVarint(v);
      const decoded = decodeVarint(bytes);
      expect(decoded.length).toBe(bytes.length);
      expect(BigInt.asIntN(64, decoded.value)).toBe(BigInt.asIntN(64, v));
    }
    expect(decodeVarint(encodeVarint(2n ** 64n - 1n)).value).toBe(2n ** 64n - 1n);
  });

  it('accepts numbers and bigints alike and rejects non-integers', () => {
    expect(encodeVarint(2 ** 40)).toEqual(encodeVarint(2n ** 40n));
    expect(encodeVarint(-5)).toEqual(encodeVarint(-5n));
    expectDinoErrorSync(() => encodeVarint(1.5), 'ERR_DINO_INVALID_ARGUMENT');
    expectDinoErrorSync(() => encodeVarint(2n ** 64n), 'ERR_DINO_INVALID_ARGUMENT');
  });

  it('zigzag-encodes signed values', () => {
    expect(zigzagEncode(0)).toBe(0n);
    expect(zigzagEncode(-1)).toBe(1n);
    expect(zigzagEncode(1)).toBe(2n);
    expect(zigzagEncode(-2)).toBe(3n);
    expect(zigzagEncode(-(2n ** 63n))).toBe(2n ** 64n - 1n);
    for (const v of [0n, 5n, -5n, 2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n]) expect(zigzagDecode(zigzagEncode(v))).toBe(v);
  });

  it('reports an unterminated varint as incomplete and an overlong one as invalid', () => {
    expect(decodeVarint(Uint8Array.of(0x80, 0x80)).length).toBe(0);
    expectDinoErrorSync(() => decodeVarint(new Uint8Array(11).fill(0x80)), 'ERR_DINO_INVALID_MODEL', /longer than 10 bytes/);
  });
});

describe('writer → reader', () => {
  it('round-trips every wire type, packed and unpacked repeated fields and nested messages', async () => {
    const w = new ProtoWriter()
      .int64(1, 150)
      .int64(2, -42)
      .int64(3, 2n ** 63n - 1n)
      .sint64(4, -1234567890123n)
      .float(5, 1.5)
      .double(6, Math.PI)
      .fixed32(7, 0xdeadbeef)
      .fixed64(8, 2n ** 64n - 2n)
      .string(9, 'héllo ✓')
      .bytes(10, Uint8Array.of(1, 2, 3))
      .packedVarints(11, [1, -1, 300, 2n ** 40n])
      .packedFloats(12, [0.5, -2, 3.25])
      .packedDoubles(13, [1e300, -0.125])
      .int64(14, 7) // unpacked repeated element ...
      .int64(14, 8) // ... and another
      .message(15, (m) => m.string(1, 'inner').int64(2, 9));
    const r = ProtoReader.fromBytes(w.finish());
    const tag = async (field: number, wireType: number): Promise<void> => {
      const t = await r.readTag();
      expect([t.field, t.wireType]).toEqual([field, wireType]);
    };
    await tag(1, WireType.VARINT);
    expect(await r.readNumber()).toBe(150);
    await tag(2, WireType.VARINT);
    expect(await r.readNumber()).toBe(-42);
    await tag(3, WireType.VARINT);
    expect(await r.readInt64()).toBe(2n ** 63n - 1n);
    await tag(4, WireType.VARINT);
    expect(await r.readSint64()).toBe(-1234567890123n);
    await tag(5, WireType.I32);
    expect(await r.readFloat()).toBe(1.5);
    await tag(6, WireType.I64);
    expect(await r.readDouble()).toBe(Math.PI);
    await tag(7, WireType.I32);
    expect(await r.readFixed32()).toBe(0xdeadbeef);
    await tag(8, WireType.I64);
    expect(await r.readFixed64()).toBe(2n ** 64n - 2n);
    await tag(9, WireType.LEN);
    expect(await r.readString()).toBe('héllo ✓');
    await tag(10, WireType.LEN);
    expect([...(await r.readBytes())]).toEqual([1, 2, 3]);
    let t = await r.readTag();
    expect(await r.readRepeatedInt64(t.wireType)).toEqual([1n, -1n, 300n, 2n ** 40n]);
    t = await r.readTag();
    expect(await r.readRepeatedFloat(t.wireType)).toEqual([0.5, -2, 3.25]);
    t = await r.readTag();
    expect(await r.readRepeatedDouble(t.wireType)).toEqual([1e300, -0.125]);
    t = await r.readTag();
    expect(await r.readRepeatedInt64(t.wireType)).toEqual([7n]);
    t = await r.readTag();
    expect(await r.readRepeatedInt64(t.wireType)).toEqual([8n]);
    await tag(15, WireType.LEN);
    const inner = await r.readMessage();
    expect(r.atEnd()).toBe(true);
    await inner.readTag();
    expect(await inner.readString()).toBe('inner');
    await inner.readTag();
    expect(await inner.readNumber()).toBe(9);
    expect(inner.atEnd()).toBe(true);
  });

  it('skips every wire type', async () => {
    const w = new ProtoWriter().int64(1, -1).double(2, 1).bytes(3, new Uint8Array(1000)).float(4, 2).int64(5, 77);
    const r = ProtoReader.fromBytes(w.finish());
    for (let i = 0; i < 4; i++) await r.skipField((await r.readTag()).wireType);
    expect((await r.readTag()).field).toBe(5);
    expect(await r.readNumber()).toBe(77);
  });
});

describe('malformed input', () => {
  it('says the input is truncated, how many bytes are missing and where', async () => {
    const full = new ProtoWriter().int64(1, 5).bytes(2, new Uint8Array(100)).finish();
    const r = ProtoReader.fromBytes(full.subarray(0, 40));
    await r.readTag();
    await r.readNumber();
    await r.readTag();
    const err = await expectDinoError(r.readBytes(), 'ERR_DINO_INVALID_MODEL', /truncated: expected 64 more bytes at offset 40/);
    expect(err.details).toMatchObject({ offset: 4, needed: 100, fileSize: 40 });
    // A varint cut off at the end is truncation too.
    await expectDinoError(ProtoReader.fromBytes(Uint8Array.of(0x80)).readVarint64(), 'ERR_DINO_INVALID_MODEL', /truncated/);
  });

  it('distinguishes a field that overruns its enclosing message from truncation', async () => {
    // Outer message of 3 bytes whose inner field claims 10 bytes; the file itself is longer.
    const bytes = Uint8Array.of(0x0a, 0x03, 0x12, 0x0a, 0x00, ...new Array<number>(20).fill(0));
    const root = ProtoReader.fromBytes(bytes);
    await root.readTag();
    const outer = await root.readMessage();
    await outer.readTag();
    await expectDinoError(outer.readBytes(), 'ERR_DINO_INVALID_MODEL', /overrun the enclosing message/);
  });

  it('rejects field number 0 and the group wire types', async () => {
    await expectDinoError(ProtoReader.fromBytes(Uint8Array.of(0x00)).readTag(), 'ERR_DINO_INVALID_MODEL', /bad field key/);
    await expectDinoError(ProtoReader.fromBytes(Uint8Array.of(0x0f)).readTag(), 'ERR_DINO_INVALID_MODEL', /bad field key/);
    await expectDinoError(ProtoReader.fromBytes(Uint8Array.of(0x0b)).skipField(3), 'ERR_DINO_INVALID_MODEL', /wire type/);
  });
});

describe('file reader', () => {
  it('skips a large length-delimited field by seeking, reading only the bytes around it', async () => {
    const big = 8 * 1024 * 1024;
    const w = new ProtoWriter().string(1, 'before').bytes(2, new Uint8Array(big)).string(3, 'after');
    const path = join(tmp.dir, 'skip.pb');
    writeFileSync(path, w.finish());
    const r = await ProtoReader.fromFile(path, 4096);
    try {
      await r.readTag();
      expect(await r.readString()).toBe('before');
      await r.readTag();
      expect(await r.skipLengthDelimited()).toBe(big);
      await r.readTag();
      expect(await r.readString()).toBe('after');
      expect(r.atEnd()).toBe(true);
      expect(r.source.bytesRead).toBeLessThan(3 * 4096);
    } finally {
      await r.source.close();
    }
  });

  it('reads fields that straddle the window edge and fields larger than the window', async () => {
    const text = 'x'.repeat(5000);
    const w = new ProtoWriter();
    for (let i = 0; i < 50; i++) w.string(1, `value-${i}-${'y'.repeat(i * 7)}`);
    w.string(2, text);
    const path = join(tmp.dir, 'window.pb');
    writeFileSync(path, w.finish());
    const source = await FileSource.open(path, 64);
    const r = new ProtoReader(source);
    try {
      for (let i = 0; i < 50; i++) {
        await r.readTag();
        expect(await r.readString()).toBe(`value-${i}-${'y'.repeat(i * 7)}`);
      }
      await r.readTag();
      expect(await r.readString()).toBe(text);
      // Each window refill may re-read at most one window of bytes.
      expect(source.bytesRead).toBeLessThan(source.size + 52 * 64);
    } finally {
      await source.close();
    }
  });
});

describe('ProtoCursor (synchronous)', () => {
  it('decodes the same fields as the reader, from memory', () => {
    const bytes = new ProtoWriter()
      .int64(1, -7)
      .string(2, 'abc')
      .message(3, (m) => m.packedVarints(1, [1, 2, 3]).float(2, 0.5))
      .bytes(4, new Uint8Array(100))
      .finish();
    const c = ProtoCursor.fromBytes(bytes);
    expect(c.readTag().field).toBe(1);
    expect(c.readNumber()).toBe(-7);
    expect(c.readTag().field).toBe(2);
    expect(c.readString()).toBe('abc');
    expect(c.readTag().field).toBe(3);
    const m = c.readMessage();
    const t = m.readTag();
    expect(m.readRepeatedInt64(t.wireType)).toEqual([1n, 2n, 3n]);
    m.readTag();
    expect(m.readFloat()).toBe(0.5);
    expect(m.atEnd()).toBe(true);
    expect(c.readTag().field).toBe(4);
    expect(c.skipLengthDelimited()).toBe(100);
    expect(c.atEnd()).toBe(true);
  });

  it('raises the same truncation error', () => {
    const bytes = new ProtoWriter().bytes(1, new Uint8Array(50)).finish().subarray(0, 20);
    const c = ProtoCursor.fromBytes(bytes);
    c.readTag();
    expectDinoErrorSync(() => c.readBytes(), 'ERR_DINO_INVALID_MODEL', /truncated: expected 32 more bytes at offset 20/);
  });
});
