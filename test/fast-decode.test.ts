/**
 * The fast decoders (native/core/png.cc, jpeg.cc through lib/image/fast-decode.ts): 8-bit RGB and
 * RGBA PNGs decode to exactly the bytes they hold and to exactly sharp's bytes, with every row
 * filter and split image data; YCbCr JPEGs of every subsampling, progressive or not, to exactly
 * sharp's bytes; every other kind, damaged files, the pixel limit and DINOV3_IMAGE_DECODER=sharp
 * go to sharp, with sharp's results and errors.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';

import { native } from '../lib/binding';
import { decodeFast, fastDecoders } from '../lib/image/fast-decode';
import { decodeImage, type DecodedImage } from '../lib/image/input';
import { capabilities, loadModel } from '../lib';
import { tinyModel } from './helpers/models';

const dir = mkdtempSync(join(tmpdir(), 'dinov3-png-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Buffer {
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), body]);
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  typed.copy(out, 4);
  out.writeUInt32BE(crc32(typed), 8 + body.length);
  return out;
}

function seeded(n: number, seed: number): Uint8Array {
  const v = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s >>> 24;
  }
  return v;
}

/** PNG filter of one row, the textbook way. */
function filterRow(type: number, row: Uint8Array, prior: Uint8Array | undefined, bpp: number): Uint8Array {
  const out = new Uint8Array(row.length);
  for (let i = 0; i < row.length; i++) {
    const a = i >= bpp ? (row[i - bpp] as number) : 0;
    const b = prior ? (prior[i] as number) : 0;
    const c = prior && i >= bpp ? (prior[i - bpp] as number) : 0;
    const p = a + b - c;
    const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
    const pred = [0, a, b, (a + b) >> 1, paeth][type] as number;
    out[i] = ((row[i] as number) - pred) & 0xff;
  }
  return out;
}

interface Made {
  png: Buffer;
  pixels: Uint8Array;
}

/** Random pixels, row y filtered with `filters[y % filters.length]`, the stream in `idats` chunks, `extra` chunks after IHDR. */
function makePng(width: number, height: number, channels: 3 | 4, o: { idats?: number; seed?: number; filters?: number[]; extra?: Buffer[] } = {}): Made {
  const rowBytes = width * channels;
  const pixels = seeded(rowBytes * height, o.seed ?? width * 131 + height);
  const filters = o.filters ?? [0, 1, 2, 3, 4];
  const rows: Uint8Array[] = [];
  for (let y = 0; y < height; y++) {
    const type = filters[y % filters.length] as number;
    rows.push(Uint8Array.of(type), filterRow(type, pixels.subarray(y * rowBytes, (y + 1) * rowBytes), y > 0 ? pixels.subarray((y - 1) * rowBytes, y * rowBytes) : undefined, channels));
  }
  const z = deflateSync(Buffer.concat(rows), { level: 6 });
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, channels === 4 ? 6 : 2, 0, 0, 0], 8);
  const parts = o.idats ?? 1;
  const size = Math.ceil(z.length / parts);
  const idat = Array.from({ length: Math.ceil(z.length / size) }, (_, i) => chunk('IDAT', z.subarray(i * size, (i + 1) * size)));
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), ...(o.extra ?? []), ...idat, chunk('IEND', new Uint8Array(0))]);
  return { png, pixels };
}

async function withSharp<T>(fn: () => Promise<T>): Promise<T> {
  const before = process.env.DINOV3_IMAGE_DECODER;
  process.env.DINOV3_IMAGE_DECODER = 'sharp';
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.DINOV3_IMAGE_DECODER;
    else process.env.DINOV3_IMAGE_DECODER = before;
  }
}

const bytesOf = (d: DecodedImage): Buffer => Buffer.from(d.data.buffer, d.data.byteOffset, d.data.byteLength);

/** decodeImage's result in one line (size, format and a CRC of every pixel byte), or its error code. */
const outcome = async (input: Uint8Array): Promise<string> =>
  decodeImage(input).then((d) => `${d.width}x${d.height} ${d.format} ${crc32(bytesOf(d).subarray(0, d.rowBytes * d.height))}`, (e: { code?: string }) => String(e.code));

/** decodeImage gives `input` the same size, format and bytes as sharp does. */
async function expectSharpResult(what: string, input: Uint8Array | string): Promise<void> {
  const viaSharp = await withSharp(() => decodeImage(input));
  const via = await decodeImage(input);
  expect({ what, w: via.width, h: via.height, f: via.format, rowBytes: via.rowBytes }).toEqual({ what, w: viaSharp.width, h: viaSharp.height, f: viaSharp.format, rowBytes: viaSharp.rowBytes });
  expect(bytesOf(via).equals(bytesOf(viaSharp)), what).toBe(true);
}

/** A seeded generator of integers in [0, n). */
function lcg(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state % n;
  };
}

const status = native().fastDecoders().png;
const jpegStatus = native().fastDecoders().jpeg;

describe('fast decoders', () => {
  it('report whether libdeflate and libturbojpeg were found', () => {
    for (const s of [status, jpegStatus]) {
      expect(typeof s.available).toBe('boolean');
      expect(s.available ? s.library : s.reason).toMatch(/\S/);
    }
    expect(fastDecoders()).toEqual({ png: status.available, jpeg: jpegStatus.available });
    expect(capabilities().decoders).toMatchObject({ png: { compiled: true, available: status.available }, jpeg: { compiled: true, available: jpegStatus.available } });
  });

  describe.skipIf(!status.available)('PNG, with libdeflate', () => {
    it('decodes RGB and RGBA with every filter, any width and split image data to the bytes they hold, and to sharp bytes', async () => {
      for (const channels of [3, 4] as const) {
        for (const [w, h, idats] of [[1, 1, 1], [2, 7, 2], [13, 5, 1], [64, 10, 3], [301, 12, 4]] as const) {
          const { png, pixels } = makePng(w, h, channels, { idats });
          const fast = await decodeFast(png, 1e9);
          expect(fast, `${w}x${h}x${channels}`).toBeDefined();
          expect(fast).toMatchObject({ width: w, height: h, channels });
          expect(Buffer.from(fast!.data).equals(Buffer.from(pixels))).toBe(true);
          await expectSharpResult(`${w}x${h}x${channels}`, png);
        }
      }
    });

    it('takes the ancillary chunks that leave sharp\'s pixels alone (gAMA, cHRM, sRGB, pHYs, tEXt, eXIf), with sharp\'s bytes', async () => {
      const u32 = (...xs: number[]): Uint8Array => {
        const b = Buffer.alloc(4 * xs.length);
        xs.forEach((x, i) => b.writeUInt32BE(x, 4 * i));
        return b;
      };
      const extra = [
        chunk('gAMA', u32(100000)), // gamma 1.0: would change every pixel if it were applied
        chunk('cHRM', u32(31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000)),
        chunk('sRGB', Uint8Array.of(0)),
        chunk('pHYs', Uint8Array.of(0, 0, 11, 19, 0, 0, 11, 19, 1)),
        chunk('tEXt', Buffer.from('Comment\0made by the test', 'latin1')),
        chunk('eXIf', Buffer.from('MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0', 'latin1')), // orientation 6
      ];
      for (const channels of [3, 4] as const) {
        const { png, pixels } = makePng(21, 9, channels, { extra, seed: 7 });
        const fast = await decodeFast(png, 1e9);
        expect(fast).toBeDefined();
        expect(Buffer.from(fast!.data).equals(Buffer.from(pixels))).toBe(true);
        await expectSharpResult(`ancillary chunks, ${channels} channels`, png);
      }
    });

    it('reads a file path itself, and the conformance photos come out as sharp decodes them', async () => {
      const file = join(dir, 'made.png');
      const made = makePng(40, 30, 3, { idats: 2 });
      writeFileSync(file, made.png);
      expect(Buffer.from((await decodeFast(file, 1e9))!.data).equals(Buffer.from(made.pixels))).toBe(true);
      for (const name of ['chelsea', 'coffee', 'astronaut']) {
        const path = join(__dirname, 'fixtures', 'conformance', 'images', `${name}.png`);
        expect(await decodeFast(path, 1e9), name).toBeDefined();
        await expectSharpResult(name, path);
      }
    });

    it('declines other PNG kinds and other formats; decodeImage gives sharp result for them', async () => {
      const base = sharp({ create: { width: 23, height: 11, channels: 3, background: { r: 200, g: 30, b: 90 } } });
      const webp = join(dir, 'photo.webp');
      await base.clone().webp().toFile(webp);
      const declined: Array<[string, Uint8Array | string]> = [
        ['palette', await base.clone().png({ palette: true }).toBuffer()],
        ['gray', await base.clone().toColourspace('b-w').png().toBuffer()],
        ['gray with alpha', await base.clone().toColourspace('b-w').ensureAlpha(0.5).png().toBuffer()],
        ['16-bit', await base.clone().toColourspace('rgb16').png().toBuffer()],
        ['interlaced', await base.clone().png({ progressive: true }).toBuffer()],
        ['ICC profile', await base.clone().withIccProfile('p3').png().toBuffer()],
        ['transparency key', makePng(6, 4, 3, { extra: [chunk('tRNS', Uint8Array.of(0, 1, 0, 2, 0, 3))] }).png],
        ['WebP bytes', await base.clone().webp().toBuffer()],
        ['WebP file', webp],
        ['TIFF bytes', await base.clone().tiff().toBuffer()],
      ];
      for (const [what, input] of declined) {
        expect(await decodeFast(input, 1e9), what).toBeUndefined();
        await expectSharpResult(what, input);
      }
    });

    it('a damaged or truncated file and the pixel limit: declined, and the outcome is sharp\'s', async () => {
      const good = makePng(50, 20, 3, { idats: 2 }).png;
      const badCrc = Buffer.from(good);
      badCrc.writeUInt8(badCrc.readUInt8(badCrc.length - 40) ^ 0x10, badCrc.length - 40); // inside the last IDAT
      const truncated = good.subarray(0, good.length - 60);
      for (const [what, input] of [['bad CRC', badCrc], ['truncated', truncated]] as const) {
        expect(await decodeFast(input, 1e9), what).toBeUndefined();
        expect(await outcome(input), what).toBe(await withSharp(() => outcome(input)));
      }
      await expect(decodeImage(good, { limitInputPixels: 999 })).rejects.toMatchObject({ code: 'ERR_DINO_INVALID_IMAGE', message: /larger than the limit of 999 pixels/ });
      expect(await decodeFast(good, 999)).toBeUndefined();
      // 0 is "no limit" for sharp, and stays so; a fractional limit is a limit
      expect((await decodeImage(good, { limitInputPixels: 0 })).width).toBe(50);
      expect((await decodeImage(good, { limitInputPixels: 1000.5 })).width).toBe(50);
      await expect(decodeImage(good, { limitInputPixels: 999.9 })).rejects.toMatchObject({ code: 'ERR_DINO_INVALID_IMAGE' });
    });

    it('mutated files (random bytes, image data with its CRC fixed, truncation, a rewritten header): never a crash, always sharp\'s outcome', async () => {
      const base = makePng(40, 30, 4, { idats: 3, seed: 99 }).png;
      const idatAt: number[] = [];
      for (let pos = 8; pos < base.length; pos += 12 + base.readUInt32BE(pos)) if (base.toString('latin1', pos + 4, pos + 8) === 'IDAT') idatAt.push(pos);
      const fixCrc = (b: Buffer, chunkAt: number): void => {
        const length = b.readUInt32BE(chunkAt);
        b.writeUInt32BE(crc32(b.subarray(chunkAt + 4, chunkAt + 8 + length)), chunkAt + 8 + length);
      };
      const rand = lcg(12345);
      const kinds = new Map<string, number>();
      for (let i = 0; i < 160; i++) {
        const b = Buffer.from(base);
        const kind = ['byte', 'image data', 'truncate', 'header'][i % 4] as string;
        if (kind === 'byte') b.writeUInt8(rand(256), 8 + rand(b.length - 8));
        if (kind === 'image data') {
          const at = idatAt[rand(idatAt.length)] as number;
          b.writeUInt8(rand(256), at + 8 + rand(b.readUInt32BE(at)));
          fixCrc(b, at);
        }
        if (kind === 'header') {
          b.writeUInt32BE(1 + rand(80), 16 + 4 * rand(2));
          fixCrc(b, 8);
        }
        const input = kind === 'truncate' ? b.subarray(0, 8 + rand(b.length - 8)) : b;
        await native().decodeFast(input, 1e9); // must settle, whatever the bytes
        const got = await outcome(input);
        expect(got, `${kind} #${i}`).toBe(await withSharp(() => outcome(input)));
        const key = `${kind}: ${got.startsWith('ERR') ? 'error' : 'decoded'}`;
        kinds.set(key, (kinds.get(key) ?? 0) + 1);
      }
      expect(kinds.get('truncate: error')).toBeGreaterThan(0);
    });

    it('DINOV3_IMAGE_DECODER=sharp turns the fast path off; extract gives the same tokens either way', async () => {
      const { png } = makePng(96, 80, 3, { idats: 2 });
      expect(await withSharp(() => decodeFast(png, 1e9))).toBeUndefined();
      const model = await loadModel(tinyModel());
      try {
        const a = await model.extract(png);
        const b = await withSharp(() => model.extract(png));
        expect(Array.from(a.patches)).toEqual(Array.from(b.patches));
        a.dispose();
        b.dispose();
      } finally {
        await model.dispose();
      }
    });
  });

  describe.skipIf(!jpegStatus.available)('JPEG, with libturbojpeg', () => {
    const photo = join(__dirname, 'fixtures', 'conformance', 'images', 'coffee.png');

    it('decodes every chroma subsampling, progressive or not, odd sizes, restart markers, to sharp bytes', async () => {
      const made: Array<[string, Buffer]> = [];
      for (const [tag, w, h] of [['600x400', 600, 400], ['odd 451x299', 451, 299], ['1x1', 1, 1], ['17x3', 17, 3]] as const) {
        const base = sharp(photo).resize(w, h, { fit: 'fill' });
        made.push([`${tag} 4:2:0 q90`, await base.clone().jpeg({ quality: 90 }).toBuffer()]);
        made.push([`${tag} 4:4:4`, await base.clone().jpeg({ quality: 85, chromaSubsampling: '4:4:4' }).toBuffer()]);
        made.push([`${tag} progressive`, await base.clone().jpeg({ quality: 75, progressive: true }).toBuffer()]);
        made.push([`${tag} mozjpeg`, await base.clone().jpeg({ mozjpeg: true }).toBuffer()]);
      }
      // 4:2:2 and restart markers, written by ffmpeg's encoder when it is there
      const ffmpegJpeg = join(dir, 'restart.jpg');
      try {
        execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x90', '-frames:v', '1', '-pix_fmt', 'yuvj422p', '-huffman', 'default', ffmpegJpeg]);
        made.push(['ffmpeg 4:2:2', readFileSync(ffmpegJpeg)]);
      } catch {
        // no ffmpeg: the sharp-made cases above still cover the decoder
      }
      for (const [what, jpeg] of made) {
        const fast = await decodeFast(jpeg, 1e9);
        expect(fast, what).toBeDefined();
        await expectSharpResult(what, jpeg);
      }
      const file = join(dir, 'photo.jpg');
      writeFileSync(file, made[0]![1]);
      await expectSharpResult('a JPEG file', file);
      expect(await decodeFast(file, 1e9)).toBeDefined();
    });

    it('declines gray, CMYK and ICC-profile JPEGs; decodeImage gives sharp result for them', async () => {
      const base = sharp(photo).resize(64, 48);
      for (const [what, jpeg] of [
        ['gray', await base.clone().toColourspace('b-w').jpeg().toBuffer()],
        ['CMYK', await base.clone().toColourspace('cmyk').jpeg().toBuffer()],
        ['ICC profile', await base.clone().withIccProfile('p3').jpeg().toBuffer()],
      ] as const) {
        expect(await decodeFast(jpeg, 1e9), what).toBeUndefined();
        await expectSharpResult(what, jpeg);
      }
    });

    it('damaged and truncated JPEGs and the pixel limit: declined, and the outcome is sharp\'s; no crash on 120 mutations', async () => {
      const good = await sharp(photo).resize(80, 60).jpeg({ quality: 80 }).toBuffer();
      expect(await decodeFast(good, 80 * 60 - 1)).toBeUndefined();
      await expect(decodeImage(good, { limitInputPixels: 100 })).rejects.toMatchObject({ code: 'ERR_DINO_INVALID_IMAGE', message: /larger than the limit of 100 pixels/ });
      const rand = lcg(777);
      let declined = 0;
      for (let i = 0; i < 120; i++) {
        const b = Buffer.from(good);
        const input = i % 3 === 0 ? b.subarray(0, 4 + rand(b.length - 4)) : b;
        if (i % 3 !== 0) for (let k = 0; k <= i % 4; k++) b.writeUInt8(rand(256), 2 + rand(b.length - 2));
        if ((await decodeFast(input, 1e9)) === undefined) declined++;
        expect(await outcome(input), `mutation ${i}`).toBe(await withSharp(() => outcome(input)));
      }
      expect(declined).toBeGreaterThan(0);
    });
  });
});
