/**
 * Writing rendered pictures as PNG.
 * @module
 */
import { writeFile } from 'node:fs/promises';

import sharp from 'sharp';

import { DinoError } from '../errors';
import { integer, invalid, isObject, optional, string } from '../validate';
import type { RgbImage } from './types';

/**
 * Encodes an {@link RgbImage} as PNG; with `path`, also writes the file.
 * @example
 * ```ts
 * const png = await toPng(picture);          // Buffer
 * await toPng(picture, 'out/heatmap.png');   // written to disk
 * ```
 * @throws DinoError ERR_DINO_INVALID_ARGUMENT for an image whose data does not fit its size,
 *   ERR_DINO_FILE_NOT_FOUND when the file cannot be written.
 */
export async function toPng(image: RgbImage, path?: string): Promise<Buffer> {
  if (!isObject(image) || !(image.data instanceof Uint8Array)) invalid('image', 'an RgbImage { data, width, height }', image);
  const width = integer(image.width, 'image.width', 1, 65535);
  const height = integer(image.height, 'image.height', 1, 65535);
  if (image.data.length !== width * height * 3) invalid('image.data', `${width * height * 3} bytes (${width}x${height} RGB)`, image.data);
  const file = optional(path, (p) => string(p, 'path'));
  const png = await sharp(image.data, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 6 }).toBuffer();
  if (file !== undefined) {
    try {
      await writeFile(file, png);
    } catch (err) {
      throw new DinoError('ERR_DINO_FILE_NOT_FOUND', `Cannot write ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  return png;
}
