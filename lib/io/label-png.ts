/**
 * Label maps as PNG files, the DAVIS way: one object index per pixel (0 = background), stored as
 * a palette PNG (DAVIS annotations) or an 8-bit grey PNG. Reading keeps the palette indices
 * themselves (an image decoder would turn them into colours) and accepts colour masks too (one
 * object per colour); writing makes 8-bit grey PNGs.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { inflateSync } from 'node:zlib';

import sharp from 'sharp';

import { DinoError } from '../errors';

/** One label per pixel, row-major. */
export interface LabelMap {
  width: number;
  height: number;
  labels: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function bad(what: string, message: string): never {
  throw new DinoError('ERR_DINO_INVALID_IMAGE', `${what}: ${message}`);
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Undoes the PNG row filters in place; returns the raw rows (rowBytes each). */
function unfilter(data: Buffer, height: number, rowBytes: number, bpp: number, what: string): Uint8Array {
  const out = new Uint8Array(height * rowBytes);
  if (data.length < height * (rowBytes + 1)) bad(what, 'truncated image data');
  for (let y = 0; y < height; y++) {
    const type = data[y * (rowBytes + 1)]!;
    const src = y * (rowBytes + 1) + 1;
    const row = y * rowBytes;
    const prev = row - rowBytes;
    for (let x = 0; x < rowBytes; x++) {
      const raw = data[src + x]!;
      const a = x >= bpp ? out[row + x - bpp]! : 0;
      const b = y > 0 ? out[prev + x]! : 0;
      const c = x >= bpp && y > 0 ? out[prev + x - bpp]! : 0;
      let v: number;
      if (type === 0) v = raw;
      else if (type === 1) v = raw + a;
      else if (type === 2) v = raw + b;
      else if (type === 3) v = raw + ((a + b) >> 1);
      else if (type === 4) v = raw + paeth(a, b, c);
      else bad(what, `unknown PNG filter ${type}`);
      out[row + x] = v & 0xff;
    }
  }
  return out;
}

/**
 * Labels of a colour (or grey + alpha) PNG: where every pixel is grey (R = G = B), the grey value
 * itself; otherwise each distinct colour is an object, numbered in order of first appearance
 * (raster order), black = 0 (background).
 */
function colourLabels(px: Uint8Array, width: number, height: number, channels: number, what: string): LabelMap {
  const n = width * height;
  const labels = new Uint8Array(n);
  const grey = channels === 2 || Array.from({ length: n }, (_, i) => i).every((i) => px[i * channels] === px[i * channels + 1] && px[i * channels] === px[i * channels + 2]);
  if (grey) {
    for (let i = 0; i < n; i++) labels[i] = px[i * channels]!;
    return { width, height, labels };
  }
  const ids = new Map<number, number>([[0, 0]]);
  for (let i = 0; i < n; i++) {
    const key = (px[i * channels]! << 16) | (px[i * channels + 1]! << 8) | px[i * channels + 2]!;
    let id = ids.get(key);
    if (id === undefined) {
      id = ids.size;
      if (id > 255) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `${what} has more than 255 colours: not a mask of object indices`);
      ids.set(key, id);
    }
    labels[i] = id;
  }
  return { width, height, labels };
}

/** Decodes a palette (indices kept) or 8-bit grey PNG into a label map (colour PNGs: see colourLabels). */
export function decodeLabelPng(bytes: Buffer, what = 'mask'): LabelMap {
  if (bytes.length < 8 || !bytes.subarray(0, 8).equals(SIGNATURE)) bad(what, 'not a PNG file');
  let offset = 8;
  let width = 0;
  let height = 0;
  let depth = 0;
  let colorType = -1;
  const idat: Buffer[] = [];
  while (offset + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      depth = body[8]!;
      colorType = body[9]!;
      if (body[12] !== 0) bad(what, 'interlaced PNGs are not supported');
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  if (width === 0 || height === 0) bad(what, 'no PNG header');
  const channels = colorType === 2 ? 3 : colorType === 6 ? 4 : colorType === 4 ? 2 : 1;
  if (colorType === 2 || colorType === 6 || colorType === 4) {
    if (depth !== 8) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `${what}: colour masks must have 8 bits per channel, not ${depth}`);
    return colourLabels(unfilter(inflateSync(Buffer.concat(idat)), height, width * channels, channels, what), width, height, channels, what);
  }
  if (colorType !== 3 && colorType !== 0) bad(what, `unknown PNG colour type ${colorType}`);
  if (colorType === 0 && depth !== 8) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `${what}: grey masks must have 8 bits per pixel, not ${depth}`);
  const rowBytes = Math.ceil((width * depth) / 8);
  const rows = unfilter(inflateSync(Buffer.concat(idat)), height, rowBytes, 1, what);
  const labels = new Uint8Array(width * height);
  const perByte = 8 / depth;
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const byte = rows[y * rowBytes + Math.floor(x / perByte)]!;
      const shift = 8 - depth * ((x % perByte) + 1);
      labels[y * width + x] = (byte >> shift) & mask;
    }
  }
  return { width, height, labels };
}

/** Reads a mask file (see {@link decodeLabelPng}). */
export async function readLabelPng(path: string): Promise<LabelMap> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new DinoError('ERR_DINO_FILE_NOT_FOUND', `Mask file not found: ${path}`, { cause: err });
  }
  return decodeLabelPng(bytes, path);
}

/** Writes a label map as an 8-bit grey PNG (pixel value = label). */
export async function writeLabelPng(path: string, map: LabelMap): Promise<void> {
  await sharp(Buffer.from(map.labels.buffer, map.labels.byteOffset, map.labels.length), { raw: { width: map.width, height: map.height, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toFile(path);
}
