/**
 * Writing frames as numbered PNG files into a directory.
 * @module
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { DinoError } from '../errors';
import { toPng } from '../render/png';
import type { RgbImage } from '../render/types';
import { string } from '../validate';
import type { FrameSink } from './sink';

/** Name of the PNG of frame `index` (0-based): frame-000001.png for the first. */
export function frameFileName(index: number): string {
  return `frame-${String(index + 1).padStart(6, '0')}.png`;
}

/**
 * A sink writing `dir/frame-000001.png`, `dir/frame-000002.png`, ... (or the names given to
 * `write`). The directory is created.
 * @example
 * ```ts
 * const out = await openFrameWriter('frames/');
 * await out.write(picture);       // frames/frame-000001.png
 * await out.close();
 * ```
 */
export async function openFrameWriter(dir: string): Promise<FrameSink> {
  string(dir, 'dir');
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new DinoError('ERR_DINO_FILE_NOT_FOUND', `Cannot create the output directory ${dir}`, { cause: err });
  }
  let written = 0;
  return {
    kind: 'frames',
    target: dir,
    encoder: 'png',
    get written() {
      return written;
    },
    async write(frame: RgbImage, name?: string): Promise<void> {
      await toPng(frame, join(dir, name ?? frameFileName(written)));
      written++;
    },
    async close(): Promise<void> {},
    async abort(): Promise<void> {},
  };
}
