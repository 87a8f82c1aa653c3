/**
 * NumPy .npy files (format 1.0/2.0, little-endian, C order): float32, float64, int32, uint8
 * and float16 arrays, so features and labels load with `numpy.load`.
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises';

import { DinoError } from '../errors';

export type NpyData = Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array;

export interface NpyArray {
  data: NpyData;
  shape: number[];
  /** NumPy dtype descriptor, e.g. '<f4'. */
  dtype: string;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

function descr(data: NpyData, float16: boolean): string {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof Uint16Array) return float16 ? '<f2' : '<u2';
  return '|u1';
}

/** Encodes an array as .npy bytes. `float16: true` marks Uint16Array data as half floats. */
export function encodeNpy(data: NpyData, shape: readonly number[], options: { float16?: boolean } = {}): Buffer {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new DinoError('ERR_DINO_SHAPE_MISMATCH', `npy: shape [${shape.join(', ')}] holds ${count} values but data has ${data.length}`);
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr(data, options.float16 ?? false)}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = MAGIC.length + 2 + 2 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const head = Buffer.alloc(MAGIC.length + 4);
  MAGIC.copy(head, 0);
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
}

export async function writeNpy(path: string, data: NpyData, shape: readonly number[], options: { float16?: boolean } = {}): Promise<void> {
  await writeFile(path, encodeNpy(data, shape, options));
}

/** Decodes .npy bytes. */
export function decodeNpy(bytes: Uint8Array, label = 'npy data'): NpyArray {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string): never => {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `${label} is not a readable .npy file: ${why}`);
  };
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) bad('missing the \\x93NUMPY magic');
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if (buf.length < start + headerLen) bad('truncated header');
  const header = buf.subarray(start, start + headerLen).toString('latin1');
  const dtype = /'descr':\s*'([^']+)'/.exec(header)?.[1] ?? bad('no descr');
  if (/'fortran_order':\s*True/.test(header)) bad('Fortran-ordered arrays are not supported');
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? bad('no shape');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const body = buf.subarray(start + headerLen);
  const copy = (bytesPer: number): ArrayBuffer => {
    if (body.length < count * bytesPer) bad(`expected ${count * bytesPer} data bytes, found ${body.length}`);
    return body.buffer.slice(body.byteOffset, body.byteOffset + count * bytesPer) as ArrayBuffer;
  };
  switch (dtype) {
    case '<f4':
      return { data: new Float32Array(copy(4)), shape, dtype };
    case '<f8':
      return { data: new Float64Array(copy(8)), shape, dtype };
    case '<i4':
      return { data: new Int32Array(copy(4)), shape, dtype };
    case '<f2':
    case '<u2':
      return { data: new Uint16Array(copy(2)), shape, dtype };
    case '|u1':
    case '<u1':
      return { data: new Uint8Array(copy(1)), shape, dtype };
    default:
      return bad(`dtype ${dtype} is not supported (use float32, float64, float16, int32 or uint8)`);
  }
}

export async function readNpy(path: string): Promise<NpyArray> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new DinoError('ERR_DINO_FILE_NOT_FOUND', `File not found: ${path}`, { cause: err });
  }
  return decodeNpy(bytes, path);
}

/** A float32 copy of numeric npy data (float16 converted by the caller beforehand). */
export function toFloat32(array: NpyArray): Float32Array {
  if (array.data instanceof Float32Array) return array.data;
  if (array.dtype === '<f2') {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', 'float16 .npy data must be converted with the native halfToFloat first');
  }
  return Float32Array.from(array.data as ArrayLike<number>);
}
