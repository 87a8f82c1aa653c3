/**
 * The library's one folder reader: the images of a directory in reading order (names sorted
 * with numbers compared as numbers), for every source and pipeline.
 * @module
 */
import { readdir, stat } from 'node:fs/promises';
import { extname } from 'node:path';

import { DinoError } from '../errors';

/** File extensions read from an image directory. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff', '.bmp', '.gif', '.avif'];

const collator = new Intl.Collator('en', { numeric: true });

/** True for a file name with one of {@link IMAGE_EXTENSIONS}. */
export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(extname(name).toLowerCase());
}

/**
 * The images of a directory in reading order: names sorted with numbers compared as numbers
 * (frame2 before frame10). The one folder reader of the library (segment, live, sources).
 * @throws DinoError ERR_DINO_FILE_NOT_FOUND for a missing or unreadable directory,
 *   ERR_DINO_INVALID_IMAGE when it holds no images.
 */
export async function listImageDir(dir: string): Promise<string[]> {
  let names: string[];
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
    names = await readdir(dir);
  } catch (err) {
    throw new DinoError('ERR_DINO_FILE_NOT_FOUND', `Image directory not found or not readable: ${dir}`, { cause: err });
  }
  const files = names.filter(isImageFile).sort(collator.compare);
  if (files.length === 0) throw new DinoError('ERR_DINO_INVALID_IMAGE', `No images (${IMAGE_EXTENSIONS.join(', ')}) in ${dir}`);
  return files;
}
