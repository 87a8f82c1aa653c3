/**
 * A directory of images as a frame sequence (sorted by name, numbers in names compared as
 * numbers), decoded one at a time.
 * @module
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';

import { DinoError } from '../errors';
import { decodeImage } from '../image/input';
import { toRgb } from '../render/base-image';
import { string } from '../validate';
import type { VideoFrame } from './decoder';

/** File extensions read from an image directory. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff', '.bmp', '.gif', '.avif'];

/** A frame of an image directory, with the file it came from. */
export interface ImageDirFrame extends VideoFrame {
  /** File name inside the directory. */
  name: string;
}

/** The images of a directory, in order, as frames. */
export interface ImageDirReader extends AsyncIterable<ImageDirFrame> {
  readonly dir: string;
  /** File names, in the order they are read. */
  readonly files: readonly string[];
}

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

/**
 * Lists the images of a directory (not recursive).
 * @example
 * ```ts
 * for await (const frame of await openImageDir('frames/')) console.log(frame.name, frame.width);
 * ```
 * @throws DinoError ERR_DINO_FILE_NOT_FOUND for a missing directory, ERR_DINO_INVALID_IMAGE
 *   when it holds no images (and, while iterating, for an undecodable one).
 */
export async function openImageDir(dir: string, signal?: AbortSignal): Promise<ImageDirReader> {
  string(dir, 'dir');
  const files = await listImageDir(dir);
  return {
    dir,
    files,
    async *[Symbol.asyncIterator](): AsyncGenerator<ImageDirFrame> {
      for (let index = 0; index < files.length; index++) {
        if (signal?.aborted) throw new DinoError('ERR_DINO_ABORTED', `Reading ${dir} was aborted`, { cause: signal.reason });
        const name = files[index] as string;
        const rgb = await toRgb(await decodeImage(join(dir, name)));
        yield { ...rgb, format: 'rgb', index, name };
      }
    },
  };
}
