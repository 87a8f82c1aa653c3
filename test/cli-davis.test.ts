/**
 * `dinov3 eval-davis` on a synthetic DAVIS-2017 folder (JPEGImages/480p, Annotations/480p,
 * ImageSets/2017/val.txt): two sequences, a still one and a camera pan whose annotations move
 * with the content. The report's J and F per object equal the measures recomputed here from the
 * predicted masks it writes (frames 1..n-2, as DAVIS scores them), the means are the means over
 * objects, and a still scene is tracked at the patch grid's resolution.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { boundaryF, objectMask, regionSimilarity } from '../lib/analysis/davis-metrics';
import { main } from '../lib/cli/main';
import { decodeLabelPng, writeLabelPng } from '../lib/io/label-png';
import type { DavisReport } from '../lib/pipeline/davis-eval';
import { conformanceCases, conformanceDir, conformanceModel } from './helpers/shared';
import { tempDir } from './video/fixtures';

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await main(argv, (s) => lines.push(s), (s) => errors.push(s));
  return { code, stdout: lines.join('\n'), stderr: errors.join('\n') };
}

const W = 192;
const H = 128;
const FRAMES = 5;

/** Two objects in photo coordinates (the 512x512 astronaut): the face (ellipse) and the flag corner. */
function label(px: number, py: number): number {
  if ((px - 250) ** 2 / 60 ** 2 + (py - 110) ** 2 / 75 ** 2 <= 1) return 1;
  if (px < 110 && py < 260) return 2;
  return 0;
}

describe('dinov3 eval-davis', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let davis: string;
  let model: string;
  beforeAll(async () => {
    tmp = await tempDir('cli-davis');
    davis = join(tmp.dir, 'DAVIS');
    model = conformanceModel(conformanceCases()[0]!);
    const photo = join(conformanceDir, 'images', 'astronaut.png');
    await mkdir(join(davis, 'ImageSets', '2017'), { recursive: true });
    await writeFile(join(davis, 'ImageSets', '2017', 'val.txt'), 'still\npan\n');
    for (const seq of ['still', 'pan']) {
      await mkdir(join(davis, 'JPEGImages', '480p', seq), { recursive: true });
      await mkdir(join(davis, 'Annotations', '480p', seq), { recursive: true });
      for (let t = 0; t < FRAMES; t++) {
        // A 384x256 window of the photo, scaled by 1/2 to W x H; the pan moves it 8 px right per frame.
        const left = 40 + (seq === 'pan' ? 8 * t : 0);
        const top = 20;
        const name = String(t).padStart(5, '0');
        await sharp(photo).extract({ left, top, width: 2 * W, height: 2 * H }).resize(W, H).jpeg({ quality: 95 }).toFile(join(davis, 'JPEGImages', '480p', seq, `${name}.jpg`));
        const labels = new Uint8Array(W * H);
        for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) labels[y * W + x] = label(left + 2 * x + 1, top + 2 * y + 1);
        await writeLabelPng(join(davis, 'Annotations', '480p', seq, `${name}.png`), { width: W, height: H, labels });
      }
    }
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });

  it('J and F per object equal the measures of the masks it writes; the means are over objects', async () => {
    const out = join(tmp.dir, 'results');
    const json = join(tmp.dir, 'report.json');
    const r = await cli('eval-davis', '--model', model, '--davis', davis, '--short-side', '256', '--top-k', '1', '--output', out, '--json', json);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/2 sequences, 4 objects: J [\d.]+ {2}F [\d.]+ {2}J&F [\d.]+/);
    const report = JSON.parse(await readFile(json, 'utf8')) as DavisReport;
    expect(report.sequences.map((s) => s.sequence)).toEqual(['still', 'pan']);
    const all: Array<{ J: number; F: number }> = [];
    for (const s of report.sequences) {
      expect(s.frames).toBe(FRAMES);
      expect(s.scored).toBe(FRAMES - 2);
      expect(s.objects.map((o) => o.object)).toEqual([1, 2]);
      for (const o of s.objects) {
        const js: number[] = [];
        const fs: number[] = [];
        for (let t = 1; t < FRAMES - 1; t++) {
          const name = `${String(t).padStart(5, '0')}.png`;
          const pred = decodeLabelPng(await readFile(join(out, s.sequence, name)));
          const gt = decodeLabelPng(await readFile(join(davis, 'Annotations', '480p', s.sequence, name)));
          js.push(regionSimilarity(objectMask(pred.labels, o.object), objectMask(gt.labels, o.object)));
          fs.push(boundaryF(objectMask(pred.labels, o.object), objectMask(gt.labels, o.object), W, H).f);
        }
        expect(o.J).toBeCloseTo(js.reduce((a, b) => a + b) / js.length, 12);
        expect(o.F).toBeCloseTo(fs.reduce((a, b) => a + b) / fs.length, 12);
        all.push(o);
      }
    }
    expect(report.J).toBeCloseTo(all.reduce((a, o) => a + o.J, 0) / all.length, 12);
    expect(report.F).toBeCloseTo(all.reduce((a, o) => a + o.F, 0) / all.length, 12);
    expect(report.JF).toBeCloseTo((report.J + report.F) / 2, 12);
    // Still frames with top-1: every patch finds itself, so the labels come back up to the patch
    // grid's resolution (the seeded test model's features are not trained: wider top-k blurs).
    for (const o of report.sequences[0]!.objects) expect(o.J).toBeGreaterThan(0.85);
    // The first predicted mask is the annotation itself.
    const first = decodeLabelPng(await readFile(join(out, 'pan', '00000.png')));
    expect(first.labels).toEqual(decodeLabelPng(await readFile(join(davis, 'Annotations', '480p', 'pan', '00000.png'))).labels);
  });

  it('--sequences picks sequences; a folder that is not DAVIS is a coded error', async () => {
    const r = await cli('eval-davis', '--model', model, '--davis', davis, '--sequences', 'pan', '--short-side', '128');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pan: 5 frames \(3 scored\)/m);
    expect(r.stdout).not.toMatch(/^still:/m);
    expect(r.stdout).toMatch(/1 sequences, 2 objects/);
    const bad = await cli('eval-davis', '--model', model, '--davis', join(tmp.dir, 'nothing'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/ERR_DINO_FILE_NOT_FOUND/);
  });
});
