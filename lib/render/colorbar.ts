/**
 * A colour bar panel for the right of a heatmap: the colormap as a vertical gradient (highest
 * value at the top), tick marks at the top, middle and bottom, and their values as text.
 * Text is drawn with sharp's SVG renderer (librsvg + fontconfig); where no font is installed the
 * ticks still show the scale.
 * Internal: not part of the public API.
 * @module
 */
import sharp from 'sharp';

import type { RgbImage } from './types';

/** Geometry of a colour bar panel for a picture of height `height` (exported for tests). */
export interface ColorbarLayout {
  width: number;
  barX: number;
  barWidth: number;
  top: number;
  bottom: number;
  tickLength: number;
  fontSize: number;
  textX: number;
}

/** Formats a colour bar value: two decimals, or exponent notation for very large/small values. */
export function formatTick(v: number): string {
  if (v !== 0 && (Math.abs(v) >= 1e4 || Math.abs(v) < 1e-2)) return v.toExponential(1);
  return v.toFixed(2);
}

export function colorbarLayout(height: number, labels: readonly string[]): ColorbarLayout {
  const fontSize = Math.max(9, Math.min(28, Math.round(height * 0.045)));
  const margin = Math.max(Math.ceil(fontSize * 0.7), Math.round(height * 0.05));
  const barX = Math.max(6, Math.round(fontSize * 0.6));
  const barWidth = Math.max(8, Math.round(fontSize * 1.2));
  const tickLength = Math.max(3, Math.round(fontSize * 0.4));
  const textX = barX + barWidth + tickLength + Math.max(2, Math.round(fontSize * 0.25));
  const chars = Math.max(...labels.map((l) => l.length));
  const width = textX + Math.ceil(chars * fontSize * 0.62) + barX;
  return { width, barX, barWidth, top: margin, bottom: Math.max(margin + 1, height - 1 - margin), tickLength, fontSize, textX };
}

/** Renders the panel: `height` rows, the gradient of `lut` from `max` (top) down to `min`. */
export async function renderColorbar(lut: Uint8Array, min: number, max: number, height: number): Promise<RgbImage> {
  const values = [max, (min + max) / 2, min];
  const labels = values.map(formatTick);
  const L = colorbarLayout(height, labels);
  const width = L.width;
  const data = new Uint8Array(width * height * 3).fill(255);
  const span = L.bottom - L.top;
  const set = (x: number, y: number, r: number, g: number, b: number): void => {
    const i = (y * width + x) * 3;
    data[i] = r;
    data[i + 1] = g;
    data[i + 2] = b;
  };
  for (let y = L.top; y <= L.bottom; y++) {
    const e = Math.round(((L.bottom - y) / span) * 255) * 3;
    for (let x = L.barX; x < L.barX + L.barWidth; x++) set(x, y, lut[e] as number, lut[e + 1] as number, lut[e + 2] as number);
  }
  for (let x = L.barX - 1; x <= L.barX + L.barWidth; x++) {
    set(x, L.top - 1, 0, 0, 0);
    set(x, L.bottom + 1, 0, 0, 0);
  }
  for (let y = L.top - 1; y <= L.bottom + 1; y++) {
    set(L.barX - 1, y, 0, 0, 0);
    set(L.barX + L.barWidth, y, 0, 0, 0);
  }
  const ticks = [L.top, Math.round((L.top + L.bottom) / 2), L.bottom];
  for (const y of ticks) {
    for (let x = L.barX + L.barWidth; x < L.barX + L.barWidth + L.tickLength; x++) set(x, y, 0, 0, 0);
  }
  const text = ticks
    .map((y, i) => `<text x="${L.textX}" y="${y}" dominant-baseline="central" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="${L.fontSize}" fill="#000">${labels[i] as string}</text>`)
    .join('');
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${text}</svg>`);
  const out = await sharp(data, { raw: { width, height, channels: 3 } })
    .composite([{ input: svg, top: 0, left: 0 }])
    .removeAlpha()
    .raw()
    .toBuffer();
  return { data: new Uint8Array(out.buffer, out.byteOffset, out.byteLength), width, height };
}
