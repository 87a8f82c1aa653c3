/**
 * Heatmap pictures checked by content: colours at known patches, the marker on the target patch,
 * picture size, the colour bar, and that an overlay changes the photo only where the map is drawn.
 */
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, renderHeatmap, toPng, type Heatmap, type Model, type RgbImage } from '../../lib';
import { colormapColor } from '../../lib/render/colormaps';
import { colormap } from '../../lib/render/colormaps';
import { colorbarLayout, formatTick } from '../../lib/render/colorbar';
import { MARKER_COLORS } from '../../lib/render/heatmap';
import { markerThickness, patchRect } from '../../lib/render/marker';
import { pixel, readPng, tempDir, testImage, tinyModel } from '../video/fixtures';

/** A 4x5 map whose values rise along the row-major order, target (1, 2). */
function syntheticMap(): Heatmap {
  const values = Float32Array.from({ length: 20 }, (_, i) => -0.5 + (1.5 * i) / 19);
  values[7] = 1;
  values[19] = 0.9;
  return { grid: { rows: 4, cols: 5 }, values, target: { row: 1, col: 2 }, min: -0.5, max: 1 };
}

const size = { width: 100, height: 80 };

function lutIndex(v: number, lo: number, hi: number): number {
  return Math.max(0, Math.min(255, Math.round(((v - lo) * 255) / (hi - lo))));
}

describe('renderHeatmap (synthetic map)', () => {
  it('fills each patch with its colormap colour in grid mode, at the requested size', async () => {
    const h = syntheticMap();
    const img = await renderHeatmap(size, h, { interpolation: 'nearest', marker: false });
    expect([img.width, img.height]).toEqual([100, 80]);
    expect(img.data).toHaveLength(100 * 80 * 3);
    for (let r = 0; r < 4; r++) {
      for (let c = 0; c < 5; c++) {
        const v = h.values[r * 5 + c] as number;
        expect(pixel(img, c * 20 + 10, r * 20 + 10)).toEqual(colormapColor('viridis', lutIndex(v, -0.5, 1)));
      }
    }
  });

  it('draws the marker on the target patch and the top colour inside it', async () => {
    const h = syntheticMap();
    const img = await renderHeatmap(size, h, { interpolation: 'nearest', colormap: 'magma' });
    const rect = patchRect({ row: 1, col: 2 }, h.grid, 100, 80);
    expect(rect).toEqual({ x0: 40, x1: 59, y0: 20, y1: 39 });
    const t = markerThickness(rect);
    const marker = [...MARKER_COLORS.magma];
    for (const [x, y] of [[40, 20], [59, 39], [50, 20], [40, 30], [59, 25], [50, 30], [rect.x0 + t, 29]]) expect(pixel(img, x as number, y as number)).toEqual(marker);
    // quadrants between the lines keep the heatmap colour: the target has the top value
    expect(pixel(img, 44, 24)).toEqual(colormapColor('magma', 255));
    expect(pixel(img, 55, 35)).toEqual(colormapColor('magma', 255));
    // a dark ring just outside the square
    expect(pixel(img, 39, 30)).toEqual([0, 0, 0]);
    expect(pixel(img, 50, 40)).toEqual([0, 0, 0]);
    // and nothing of the marker colour anywhere else
    let elsewhere = 0;
    for (let y = 0; y < 80; y++) for (let x = 0; x < 100; x++) {
      const inside = x >= 39 && x <= 60 && y >= 19 && y <= 40;
      if (!inside && pixel(img, x, y).every((v, i) => v === marker[i])) elsewhere++;
    }
    expect(elsewhere).toBe(0);
  });

  it('is smooth in bilinear mode: exact at patch centres, between neighbours elsewhere', async () => {
    const h = syntheticMap();
    h.target = undefined;
    const img = await renderHeatmap({ width: 50, height: 40 }, h, {}); // patches of 10x10: centres between pixels 4 and 5
    const lut = colormap('viridis');
    const nearestEntry = (rgb: [number, number, number]): number => {
      let best = 0;
      let bestD = Infinity;
      for (let i = 0; i < 256; i++) {
        const d = Math.abs((lut[3 * i] as number) - rgb[0]) + Math.abs((lut[3 * i + 1] as number) - rgb[1]) + Math.abs((lut[3 * i + 2] as number) - rgb[2]);
        if (d < bestD) [best, bestD] = [i, d];
      }
      return best;
    };
    // between patch (0,0) and (0,1) along the row the index rises monotonically
    const row = Array.from({ length: 11 }, (_, i) => nearestEntry(pixel(img, 4 + i, 4)));
    for (let i = 1; i < row.length; i++) expect(row[i]).toBeGreaterThanOrEqual(row[i - 1] as number);
    expect(row[0]).toBeLessThan(row[10] as number);
    const a = lutIndex(h.values[0] as number, -0.5, 1);
    const b = lutIndex(h.values[1] as number, -0.5, 1);
    expect(Math.abs((row[0] as number) - a)).toBeLessThanOrEqual(3);
    expect(Math.abs((row[10] as number) - b)).toBeLessThanOrEqual(3);
  });

  it('adds a colour bar with the map range, top colour at the top', async () => {
    const h = syntheticMap();
    const plain = await renderHeatmap(size, h, { colormap: 'jet' });
    const img = await renderHeatmap(size, h, { colormap: 'jet', colorbar: true });
    const L = colorbarLayout(80, [formatTick(1), formatTick(0.25), formatTick(-0.5)]);
    expect(img.height).toBe(80);
    expect(img.width).toBe(100 + L.width);
    const barX = 100 + L.barX + Math.floor(L.barWidth / 2);
    expect(pixel(img, barX, L.top)).toEqual(colormapColor('jet', 255));
    expect(pixel(img, barX, L.bottom)).toEqual(colormapColor('jet', 0));
    // tick marks in black, right of the bar
    expect(pixel(img, 100 + L.barX + L.barWidth + 1, L.top)).toEqual([0, 0, 0]);
    // the label column holds dark text pixels (fonts render here)
    let dark = 0;
    for (let y = 0; y < 80; y++) for (let x = 100 + L.textX; x < img.width; x++) if (pixel(img, x, y)[0] < 100) dark++;
    expect(dark).toBeGreaterThan(20);
    // the heatmap part is unchanged by the bar
    for (let y = 0; y < 80; y += 7) for (let x = 0; x < 100; x += 7) expect(pixel(img, x, y)).toEqual(pixel(plain, x, y));
  });

  it('renders several maps with one call', async () => {
    const a = syntheticMap();
    const b = { ...syntheticMap(), target: { row: 3, col: 4 } };
    const out = await renderHeatmap(size, [a, b], { interpolation: 'nearest' });
    expect(out).toHaveLength(2);
    expect(pixel(out[0]!, 40, 20)).toEqual([...MARKER_COLORS.viridis]);
    expect(pixel(out[1]!, 40, 20)).not.toEqual([...MARKER_COLORS.viridis]);
    expect(pixel(out[1]!, 80, 60)).toEqual([...MARKER_COLORS.viridis]);
  });

  it('validates its input with coded errors', async () => {
    const h = syntheticMap();
    await expect(renderHeatmap(size, { ...h, values: new Float32Array(3) })).rejects.toMatchObject({ code: 'ERR_DINO_SHAPE_MISMATCH' });
    await expect(renderHeatmap(size, h, { colormap: 'rainbow' as never })).rejects.toMatchObject({ code: 'ERR_DINO_INVALID_ARGUMENT' });
    await expect(renderHeatmap(size, h, { alpha: 2 })).rejects.toMatchObject({ code: 'ERR_DINO_INVALID_ARGUMENT' });
    await expect(renderHeatmap(size, h, { overlay: true })).rejects.toMatchObject({ code: 'ERR_DINO_INVALID_ARGUMENT' });
    await expect(renderHeatmap('/nonexistent/photo.png', h)).rejects.toMatchObject({ code: 'ERR_DINO_FILE_NOT_FOUND' });
    await expect(renderHeatmap(Buffer.from('not an image'), h)).rejects.toMatchObject({ code: 'ERR_DINO_INVALID_IMAGE' });
  });
});

describe('renderHeatmap with a model (PNG round trip)', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let model: Model;
  let image: string;
  beforeAll(async () => {
    tmp = await tempDir('heatmap');
    model = await loadModel(await tinyModel(tmp.dir));
    image = await testImage(join(tmp.dir, 'photo.png'), 160, 128);
  });
  afterAll(async () => {
    await model?.dispose();
    await tmp?.cleanup();
  });

  it('marks the target patch and gives it the top colour in the PNG', async () => {
    const f = await model.extract(image, { size: { height: 128, width: 160 } });
    expect(f.grid).toEqual({ rows: 8, cols: 10 });
    const h = await f.similarity({ row: 3, col: 6 });
    expect(h.max).toBeCloseTo(1, 5);
    const file = join(tmp.dir, 'heat.png');
    await toPng(await renderHeatmap(image, h, { interpolation: 'nearest' }), file);
    const png = await readPng(file);
    expect([png.width, png.height]).toEqual([160, 128]);
    // patch (3, 6) covers x 96..111, y 48..63 of the 160x128 photo
    expect(pixel(png, 96, 48)).toEqual([...MARKER_COLORS.viridis]);
    expect(pixel(png, 111, 63)).toEqual([...MARKER_COLORS.viridis]);
    expect(pixel(png, 100, 52)).toEqual(colormapColor('viridis', 255));
    // the least similar patch gets the bottom colour
    let lowest = 0;
    h.values.forEach((v, i) => {
      if (v < (h.values[lowest] as number)) lowest = i;
    });
    const r = Math.floor(lowest / 10);
    const c = lowest % 10;
    expect(pixel(png, c * 16 + 8, r * 16 + 8)).toEqual(colormapColor('viridis', 0));
  });

  it('overlays change the photo only where the map is drawn (threshold), by the blend formula', async () => {
    const f = await model.extract(image, { size: { height: 128, width: 160 } });
    const h = await f.similarity({ row: 2, col: 2 });
    const photo = await readPng(image);
    const threshold = 0.3;
    const img: RgbImage = await renderHeatmap(image, h, { overlay: true, alpha: 0.5, threshold, interpolation: 'nearest', marker: false });
    let inside = 0;
    let outside = 0;
    for (let r = 0; r < 8; r++) {
      for (let c = 0; c < 10; c++) {
        const v = h.values[r * 10 + c] as number;
        for (const [dx, dy] of [[3, 3], [12, 9]]) {
          const x = c * 16 + (dx as number);
          const y = r * 16 + (dy as number);
          const got = pixel(img, x, y);
          const p = pixel(photo, x, y);
          if (v < threshold) {
            expect(got).toEqual(p);
            outside++;
          } else {
            const col = colormapColor('viridis', lutIndex(v, h.min, h.max));
            got.forEach((g, i) => expect(Math.abs(g - ((p[i] as number) + (col[i] as number)) / 2)).toBeLessThanOrEqual(1));
            inside++;
          }
        }
      }
    }
    expect(inside).toBeGreaterThan(0);
    expect(outside).toBeGreaterThan(0);
  });
});
