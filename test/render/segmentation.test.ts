/**
 * Segmentation and PCA pictures checked by content: every patch shows its label's palette colour
 * (alone, or blended 0.6/0.4 over the photo), hidden labels leave the photo untouched, side by
 * side puts the photo on the left.
 */
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, renderPca, renderSegmentation, toPng, type LabelGrid, type Model } from '../../lib';
import { paletteColors } from '../../lib/render/palettes';
import { pixel, readPng, tempDir, testImage, tinyModel } from '../video/fixtures';

const grid = { rows: 3, cols: 4 };
const labels: LabelGrid = { grid, labels: Int32Array.from([0, 0, 1, 1, 2, 2, 1, 3, 3, 3, -1, 0]), k: 4 };

function colourOf(palette: Uint8Array, label: number): [number, number, number] {
  return [palette[3 * label] as number, palette[3 * label + 1] as number, palette[3 * label + 2] as number];
}

describe('renderSegmentation', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let photoPath: string;
  let photo: Awaited<ReturnType<typeof readPng>>;
  beforeAll(async () => {
    tmp = await tempDir('segment-render');
    photoPath = await testImage(join(tmp.dir, 'photo.png'), 120, 90);
    photo = await readPng(photoPath);
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });

  it('mask mode: each patch block is its label colour (nearest), unlabelled patches black', async () => {
    const img = await renderSegmentation({ width: 120, height: 90 }, labels, { mode: 'mask' });
    const jet = paletteColors('jet', 4);
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 4; c++) {
        const l = labels.labels[r * 4 + c] as number;
        const expected = l < 0 ? [0, 0, 0] : colourOf(jet, l);
        for (const [x, y] of [[c * 30, r * 30], [c * 30 + 29, r * 30 + 29], [c * 30 + 15, r * 30 + 15]]) expect(pixel(img, x as number, y as number)).toEqual(expected);
      }
    }
  });

  it('overlay blends 0.6 photo / 0.4 colour by default, and leaves unlabelled patches as the photo', async () => {
    const img = await renderSegmentation(photoPath, labels, { palette: 'qualitative' });
    const q = paletteColors('qualitative', 4);
    for (let y = 0; y < 90; y += 4) {
      for (let x = 0; x < 120; x += 4) {
        const l = labels.labels[Math.floor(y / 30) * 4 + Math.floor(x / 30)] as number;
        const p = pixel(photo, x, y);
        const got = pixel(img, x, y);
        if (l < 0) expect(got).toEqual(p);
        else got.forEach((g, i) => expect(Math.abs(g - (0.6 * (p[i] as number) + 0.4 * (colourOf(q, l)[i] as number)))).toBeLessThanOrEqual(1));
      }
    }
  });

  it('`show` colours only the chosen labels: the photo is unchanged everywhere else', async () => {
    const img = await renderSegmentation(photoPath, labels, { show: [3], alpha: 0.7 });
    let changed = 0;
    for (let y = 0; y < 90; y++) {
      for (let x = 0; x < 120; x++) {
        const l = labels.labels[Math.floor(y / 30) * 4 + Math.floor(x / 30)];
        const same = pixel(img, x, y).every((v, i) => v === pixel(photo, x, y)[i]);
        if (l !== 3) expect(same).toBe(true);
        else if (!same) changed++;
      }
    }
    expect(changed).toBeGreaterThan(3 * 30 * 30 * 0.9);
  });

  it('side by side: photo on the left, render on the right, as a PNG', async () => {
    const file = join(tmp.dir, 'sbs.png');
    await toPng(await renderSegmentation(photoPath, labels, { sideBySide: true, mode: 'mask' }), file);
    const png = await readPng(file);
    expect([png.width, png.height]).toEqual([240, 90]);
    expect(pixel(png, 10, 10)).toEqual(pixel(photo, 10, 10));
    expect(pixel(png, 119, 89)).toEqual(pixel(photo, 119, 89));
    expect(pixel(png, 120 + 10, 10)).toEqual(colourOf(paletteColors('jet', 4), 0));
  });

  it('rejects labels that do not fit', async () => {
    await expect(renderSegmentation({ width: 10, height: 10 }, { grid, labels: new Int32Array(5) })).rejects.toMatchObject({ code: 'ERR_DINO_SHAPE_MISMATCH' });
    await expect(renderSegmentation({ width: 10, height: 10 }, { ...labels, k: 2 })).rejects.toMatchObject({ code: 'ERR_DINO_INVALID_ARGUMENT' });
    await expect(renderSegmentation({ width: 10, height: 10 }, labels)).rejects.toMatchObject({ code: 'ERR_DINO_INVALID_ARGUMENT' });
  });
});

describe('renderSegmentation and renderPca with a model', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let model: Model;
  let image: string;
  beforeAll(async () => {
    tmp = await tempDir('segment-model');
    model = await loadModel(await tinyModel(tmp.dir));
    image = await testImage(join(tmp.dir, 'photo.png'), 160, 128);
  });
  afterAll(async () => {
    await model?.dispose();
    await tmp?.cleanup();
  });

  it('k-means labels of a real extraction show as their palette colours in the PNG', async () => {
    const f = await model.extract(image, { size: { height: 128, width: 160 } });
    const km = await f.kmeans({ k: 4, seed: 1 });
    const file = join(tmp.dir, 'seg.png');
    await toPng(await renderSegmentation(image, km, { mode: 'mask' }), file);
    const png = await readPng(file);
    const jet = paletteColors('jet', 4);
    for (let r = 0; r < 8; r++) for (let c = 0; c < 10; c++) expect(pixel(png, c * 16 + 7, r * 16 + 9)).toEqual(colourOf(jet, km.labels[r * 10 + c] as number));
  });

  it('PCA pictures put each patch\'s three component bytes in its block', async () => {
    const f = await model.extract(image, { size: { height: 128, width: 160 } });
    const pca = await f.pca(3);
    const img = await renderPca(image, pca, {});
    expect([img.width, img.height]).toEqual([160, 128]);
    for (let i = 0; i < 80; i += 7) {
      const r = Math.floor(i / 10);
      const c = i % 10;
      expect(pixel(img, c * 16 + 8, r * 16 + 8)).toEqual([...pca.bytes.subarray(i * 3, i * 3 + 3)]);
    }
    await expect(renderPca(image, { ...pca, components: 2 })).rejects.toMatchObject({ code: 'ERR_DINO_INVALID_ARGUMENT' });
  });
});
