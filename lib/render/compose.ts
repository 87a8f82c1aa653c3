/**
 * Putting pictures side by side.
 * Internal: not part of the public API.
 * @module
 */
import { DinoError } from '../errors';
import type { Rgb, RgbImage } from './types';

/** Images of equal height next to each other, left to right, `gap` pixels of `background` apart. */
export function sideBySide(images: readonly RgbImage[], gap = 0, background: Rgb = [255, 255, 255]): RgbImage {
  const height = images[0]?.height ?? 0;
  if (images.some((i) => i.height !== height)) {
    throw new DinoError('ERR_DINO_SHAPE_MISMATCH', `Pictures put side by side must have the same height: ${images.map((i) => i.height).join(', ')}`);
  }
  const width = images.reduce((w, i) => w + i.width, 0) + gap * Math.max(0, images.length - 1);
  const data = new Uint8Array(width * height * 3);
  if (gap > 0) {
    for (let p = 0; p < width * height; p++) data.set(background, p * 3);
  }
  let x = 0;
  for (const img of images) {
    for (let y = 0; y < height; y++) {
      data.set(img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3), (y * width + x) * 3);
    }
    x += img.width + gap;
  }
  return { data, width, height };
}
