/**
 * `dinov3 track` end to end, in-process: an image folder tracked from a first-frame mask (grey PNG)
 * and from a click; one picture and one label PNG per frame, frame 0's labels are the mask, a
 * static scene keeps its labels; and the label PNG reader on hand-built palette PNGs (every
 * filter type, 4- and 8-bit indices) and colour masks.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { main } from '../lib/cli/main';
import { decodeLabelPng, writeLabelPng } from '../lib/io/label-png';
import { conformanceCases, conformanceDir, conformanceModel } from './helpers/shared';
import { tempDir } from './video/fixtures';

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await main(argv, (s) => lines.push(s), (s) => errors.push(s));
  return { code, stdout: lines.join('\n'), stderr: errors.join('\n') };
}

/** A PNG with the given IHDR fields and raw (unfiltered) rows, each row filtered with `filters[y % n]`. */
function png(width: number, height: number, depth: number, colorType: number, rows: Uint8Array[], filters: number[]): Buffer {
  const chunk = (type: string, body: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(body.length, 0);
    head.write(type, 4, 'latin1');
    return Buffer.concat([head, body, Buffer.alloc(4)]); // CRC not checked by the reader
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = depth;
  ihdr[9] = colorType;
  const bpp = Math.max(1, (depth * (colorType === 2 ? 3 : 1)) / 8);
  const filtered: number[] = [];
  rows.forEach((row, y) => {
    const f = filters[y % filters.length]!;
    filtered.push(f);
    const prev = y > 0 ? rows[y - 1]! : new Uint8Array(row.length);
    for (let x = 0; x < row.length; x++) {
      const a = x >= bpp ? row[x - bpp]! : 0;
      const b = prev[x]!;
      const c = x >= bpp ? prev[x - bpp]! : 0;
      const p = a + b - c;
      const pr = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, pr][f]!;
      filtered.push((row[x]! - predictor) & 0xff);
    }
  });
  const plte = chunk('PLTE', Buffer.from(Array.from({ length: 48 }, (_, i) => (i * 37) % 256)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(colorType === 3 ? [plte] : []),
    chunk('IDAT', deflateSync(Buffer.from(filtered))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('label PNGs', () => {
  it('palette indices are read as such, through every row filter, at 8 and 4 bits', () => {
    const width = 7;
    const height = 10;
    const labels = Uint8Array.from({ length: width * height }, (_, i) => (i * 5 + (i >> 3)) % 13);
    const rows8 = Array.from({ length: height }, (_, y) => labels.subarray(y * width, (y + 1) * width));
    expect([...decodeLabelPng(png(width, height, 8, 3, rows8, [0, 1, 2, 3, 4])).labels]).toEqual([...labels]);
    const rows4 = rows8.map((r) => Uint8Array.from({ length: Math.ceil(width / 2) }, (_, i) => (r[2 * i]! << 4) | (r[2 * i + 1] ?? 0)));
    const four = decodeLabelPng(png(width, height, 4, 3, rows4, [4, 3, 2, 1, 0]));
    expect(four.width).toBe(width);
    expect([...four.labels]).toEqual([...labels]);
  });

  it('colour masks: one object per colour (black = 0), grey stored as RGB keeps its values; not-a-PNG is coded', () => {
    const colours = [[0, 0, 0], [200, 10, 10], [10, 200, 10]];
    const ids = [0, 1, 1, 2, 0, 2];
    const rgb = Uint8Array.from(ids.flatMap((i) => colours[i]!));
    expect([...decodeLabelPng(png(3, 2, 8, 2, [rgb.subarray(0, 9), rgb.subarray(9)], [1, 4])).labels]).toEqual(ids);
    const grey = Uint8Array.from([3, 3, 3, 0, 0, 0, 7, 7, 7]);
    expect([...decodeLabelPng(png(3, 1, 8, 2, [grey], [0])).labels]).toEqual([3, 0, 7]);
    expect(() => decodeLabelPng(Buffer.from('nope'))).toThrow(expect.objectContaining({ code: 'ERR_DINO_INVALID_IMAGE' }));
  });
});

describe('dinov3 track', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let model: string;
  const out = (name: string): string => join(tmp.dir, name);
  const W = 200;
  const H = 150;
  beforeAll(async () => {
    tmp = await tempDir('cli-track');
    model = conformanceModel(conformanceCases()[0]!);
    const photo = join(conformanceDir, 'images', 'astronaut.png');
    await mkdir(out('moving'));
    await mkdir(out('still'));
    // A camera pan: 400x300 windows of the photo moving right and down, scaled to W x H.
    for (let t = 0; t < 6; t++) {
      await sharp(photo).extract({ left: 20 + 6 * t, top: 10 + 3 * t, width: 400, height: 300 }).resize(W, H).toFile(out(`moving/${String(t).padStart(5, '0')}.png`));
    }
    const still = await sharp(photo).resize(W, H).png().toBuffer();
    for (let t = 0; t < 4; t++) await writeFile(out(`still/${t}.png`), still);
    const mask = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if ((x - 100) ** 2 / 35 ** 2 + (y - 55) ** 2 / 40 ** 2 <= 1) mask[y * W + x] = 1;
        else if (x > 150 && y > 75) mask[y * W + x] = 2;
      }
    }
    await writeLabelPng(out('first.png'), { width: W, height: H, labels: mask });
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });

  it('--mask: one picture and one label PNG per frame; frame 0 is the mask; only its objects appear', async () => {
    const r = await cli('track', '--model', model, '--input', out('moving'), '--mask', out('first.png'), '--short-side', '160', '--output', out('track/'), '--labels', out('labels'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/tracked 2 object\(s\)/);
    expect(r.stdout).toMatch(/grid 10x14/); // 200x150 -> short side 160, 213.3 rounded up to 224
    expect((await readdir(out('track'))).sort()).toHaveLength(6);
    const names = (await readdir(out('labels'))).sort();
    expect(names).toEqual(['00000.png', '00001.png', '00002.png', '00003.png', '00004.png', '00005.png']);
    const first = decodeLabelPng(await readFile(out('labels/00000.png')));
    const mask = decodeLabelPng(await readFile(out('first.png')));
    expect(first.labels).toEqual(mask.labels);
    for (const n of names.slice(1)) {
      const l = decodeLabelPng(await readFile(out(`labels/${n}`)));
      expect([l.width, l.height]).toEqual([W, H]);
      const seen = new Set(l.labels);
      expect([...seen].every((v) => v <= 2)).toBe(true);
      expect(seen.has(1)).toBe(true);
    }
  });

  it('a static scene keeps the first frame labels (at patch resolution)', async () => {
    const r = await cli('track', '--model', model, '--input', out('still'), '--mask', out('first.png'), '--size', '160x208', '--output', out('still-out/'), '--labels', out('still-labels'));
    expect(r.code).toBe(0);
    const names = (await readdir(out('still-labels'))).sort();
    expect(names).toHaveLength(4);
    const first = decodeLabelPng(await readFile(out(`still-labels/${names[1]}`)));
    const last = decodeLabelPng(await readFile(out(`still-labels/${names[3]}`)));
    const mask = decodeLabelPng(await readFile(out('first.png')));
    for (const l of [first, last]) {
      let same = 0;
      for (let i = 0; i < mask.labels.length; i++) same += l.labels[i] === mask.labels[i] ? 1 : 0;
      expect(same / mask.labels.length).toBeGreaterThan(0.85);
    }
  });

  it('--point: the clicked pixel belongs to the object; neither or both of --mask/--point is a usage error', async () => {
    const r = await cli('track', '--model', model, '--input', out('still'), '--point', '100,55', '--threshold', '0.6', '--size', '160x208', '--output', out('point/'), '--labels', out('point-labels'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/tracked 1 object\(s\)/);
    const l = decodeLabelPng(await readFile(out('point-labels/0.png')));
    expect(l.labels[55 * W + 100]).toBe(1);
    expect((await cli('track', '--model', model, '--input', out('still'), '--output', out('x/'))).code).toBe(2);
    expect((await cli('track', '--model', model, '--input', out('still'), '--mask', out('first.png'), '--point', '1,1', '--output', out('x/'))).code).toBe(2);
  });
});
