/**
 * The files of a submission: the images of a folder (recursively), where each one's features go
 * (`<out>/<relative path without extension>.cls.npy`, `.patches.npy`, and `.json`, written last,
 * which marks the image finished), and reading those markers back for a resumed run.
 * Internal: not part of the public API.
 * @module
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, extname, join, relative, sep } from 'node:path';

import { DinoError } from '../errors';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.bmp', '.heic']);

/** Image files under `dir`, as paths relative to it with '/' separators, sorted. */
export async function listImages(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (err) {
    throw new DinoError('ERR_DINO_FILE_NOT_FOUND', `Input folder not found or not readable: ${dir}`, { cause: err });
  }
  return entries
    .filter((e) => e.isFile() && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase()))
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

/** Output paths of one image. */
export interface OutputPaths {
  cls: string;
  patches: string;
  marker: string;
}

export function outputPaths(out: string, image: string): OutputPaths {
  const base = join(out, image.slice(0, image.length - extname(image).length));
  return { cls: `${base}.cls.npy`, patches: `${base}.patches.npy`, marker: `${base}.json` };
}

/** Writes a file whole or not at all (a temporary file renamed into place). */
export async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, data);
  await rename(temp, path);
}

/** The marker of a finished image, when it exists and names job `id`. */
export async function readMarker<T extends { id: string }>(path: string, id: string): Promise<T | undefined> {
  try {
    const marker = JSON.parse(await readFile(path, 'utf8')) as T;
    return marker.id === id ? marker : undefined;
  } catch {
    return undefined;
  }
}
