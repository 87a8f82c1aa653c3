/**
 * `dinov3 match` end to end, in-process: the --raw pairs equal the mutual nearest neighbours
 * computed here, in float64, from the patch tokens `dinov3 extract` writes for the same two
 * photos; the picture is the two photos side by side with coloured lines.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readNpy } from '../lib';
import { main } from '../lib/cli/main';
import { conformanceCases, conformanceDir, conformanceModel } from './helpers/shared';
import { readPng, tempDir } from './video/fixtures';

const photos = (): [string, string] => [join(conformanceDir, 'images', 'astronaut.png'), join(conformanceDir, 'images', 'chelsea.png')];

async function cli(...argv: string[]): Promise<{ code: number; stdout: string }> {
  const lines: string[] = [];
  const code = await main(argv, (s) => lines.push(s), () => undefined);
  return { code, stdout: lines.join('\n') };
}

interface Raw {
  gridA: { rows: number; cols: number };
  gridB: { rows: number; cols: number };
  pairs: Array<{ a: [number, number]; b: [number, number]; similarity: number }>;
}

/** Mutual nearest neighbours in float64; `gap[i]`: margin of a's best over its second best (near-ties are not asserted). */
function mutual(a: Float32Array, b: Float32Array, dim: number): { pairs: Map<number, { j: number; s: number }>; tie: Set<number> } {
  const na = a.length / dim;
  const nb = b.length / dim;
  const unit = (x: Float32Array, n: number): Float64Array => {
    const out = new Float64Array(x.length);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += x[i * dim + d]! ** 2;
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let d = 0; d < dim; d++) out[i * dim + d] = x[i * dim + d]! * inv;
    }
    return out;
  };
  const ua = unit(a, na);
  const ub = unit(b, nb);
  const sim = new Float64Array(na * nb);
  for (let i = 0; i < na; i++) {
    for (let j = 0; j < nb; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += ua[i * dim + d]! * ub[j * dim + d]!;
      sim[i * nb + j] = s;
    }
  }
  const bestB = new Int32Array(na);
  const bestA = new Int32Array(nb);
  const tie = new Set<number>();
  const close = (x: number, y: number): boolean => Math.abs(x - y) < 1e-6;
  for (let i = 0; i < na; i++) for (let j = 1; j < nb; j++) if (sim[i * nb + j]! > sim[i * nb + bestB[i]!]!) bestB[i] = j;
  for (let j = 0; j < nb; j++) for (let i = 1; i < na; i++) if (sim[i * nb + j]! > sim[bestA[j]! * nb + j]!) bestA[j] = i;
  for (let i = 0; i < na; i++) for (let j = 0; j < nb; j++) if (j !== bestB[i] && close(sim[i * nb + j]!, sim[i * nb + bestB[i]!]!)) tie.add(i);
  for (let j = 0; j < nb; j++) for (let i = 0; i < na; i++) if (i !== bestA[j] && close(sim[i * nb + j]!, sim[bestA[j]! * nb + j]!)) tie.add(bestA[j]!);
  const pairs = new Map<number, { j: number; s: number }>();
  for (let i = 0; i < na; i++) if (bestA[bestB[i]!] === i) pairs.set(i, { j: bestB[i]!, s: sim[i * nb + bestB[i]!]! });
  return { pairs, tie };
}

describe('dinov3 match', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let model: string;
  const out = (name: string): string => join(tmp.dir, name);
  beforeAll(async () => {
    tmp = await tempDir('cli-match');
    model = conformanceModel(conformanceCases()[0]!);
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });

  it('--raw equals the mutual nearest neighbours of the patches dinov3 extract writes', async () => {
    const [imageA, imageB] = photos();
    const size = '224x320';
    const r = await cli('match', '--model', model, '--image', imageA, '--image-b', imageB, '--size', size, '--output', out('m.png'), '--raw', out('m.json'));
    expect(r.code).toBe(0);
    expect(await cli('extract', '--model', model, '--image', imageA, '--size', size, '--out', out('a'))).toMatchObject({ code: 0 });
    expect(await cli('extract', '--model', model, '--image', imageB, '--size', size, '--out', out('b'))).toMatchObject({ code: 0 });
    const pa = await readNpy(out('a/patches.npy'));
    const pb = await readNpy(out('b/patches.npy'));
    const dim = pa.shape[1]!;
    const raw = JSON.parse(await readFile(out('m.json'), 'utf8')) as Raw;
    expect(raw.gridA).toEqual({ rows: 14, cols: 20 });
    expect(raw.gridB).toEqual({ rows: 14, cols: 20 });
    const ref = mutual(pa.data as Float32Array, pb.data as Float32Array, dim);
    expect(ref.pairs.size).toBeGreaterThan(10);
    const got = new Map(raw.pairs.map((p) => [p.a[0] * raw.gridA.cols + p.a[1], p]));
    let compared = 0;
    for (const [i, e] of ref.pairs) {
      if (ref.tie.has(i)) continue;
      const p = got.get(i);
      expect(p, `mutual pair of patch ${i} missing`).toBeDefined();
      expect(p!.b[0] * raw.gridB.cols + p!.b[1]).toBe(e.j);
      expect(Math.abs(p!.similarity - e.s)).toBeLessThan(1e-5);
      compared++;
    }
    for (const [i] of got) if (!ref.tie.has(i)) expect(ref.pairs.has(i), `pair of patch ${i} is not mutual in the reference`).toBe(true);
    expect(compared).toBeGreaterThan(ref.pairs.size * 0.5);
    for (let n = 1; n < raw.pairs.length; n++) expect(raw.pairs[n]!.similarity).toBeLessThanOrEqual(raw.pairs[n - 1]!.similarity);
    // The picture: both photos at a common height, 8 white pixels apart.
    const png = await readPng(out('m.png'));
    const a = await readPng(imageA);
    const b = await readPng(imageB);
    const h = Math.max(a.height, b.height);
    expect(png.height).toBe(h);
    expect(png.width).toBe(Math.round((a.width * h) / a.height) + 8 + Math.round((b.width * h) / b.height));
  });

  it('--max-matches keeps the most similar pairs; missing --image-b is a usage error', async () => {
    const [imageA, imageB] = photos();
    const all = await cli('match', '--model', model, '--image', imageA, '--image-b', imageB, '--size', '224', '--output', out('all.png'), '--raw', out('all.json'));
    const five = await cli('match', '--model', model, '--image', imageA, '--image-b', imageB, '--size', '224', '--max-matches', '5', '--output', out('five.png'), '--raw', out('five.json'));
    expect(all.code).toBe(0);
    expect(five.code).toBe(0);
    const rawAll = JSON.parse(await readFile(out('all.json'), 'utf8')) as Raw;
    const rawFive = JSON.parse(await readFile(out('five.json'), 'utf8')) as Raw;
    expect(rawFive.pairs).toEqual(rawAll.pairs.slice(0, 5));
    expect((await cli('match', '--model', model, '--image', imageA, '--output', out('x.png'))).code).toBe(2);
  });
});
