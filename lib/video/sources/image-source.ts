/**
 * One image, or the images of a folder (the library's one folder reader: numeric name order), as
 * frames decoded in process.
 * Internal: not part of the public API.
 * @module
 */
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';

import { DinoError } from '../../errors';
import { decodeImage } from '../../image/input';
import { isImageFile, listImageDir } from '../image-dir';
import { Frame } from './frame';
import type { ParsedUri } from './uri';
import { timeoutArg, VideoSource, type CaptureResult, type SourceStats } from './video-source';

/** The image files `path` stands for: a folder's images in order, one image, or undefined for another kind of file. */
export async function imageFiles(path: string): Promise<string[] | undefined> {
  const s = await stat(path).catch(() => undefined);
  if (!s) throw new DinoError('ERR_DINO_FILE_NOT_FOUND', `No such file or folder: ${path}`);
  if (s.isDirectory()) return (await listImageDir(path)).map((n) => join(path, n));
  return isImageFile(path) ? [path] : undefined;
}

export class ImageSource extends VideoSource {
  readonly decoder = 'images' as const;
  readonly #files: string[];
  #next = 0;
  #delivered = 0;
  #disposed = false;

  constructor(parsed: ParsedUri, files: string[]) {
    super(parsed, { width: undefined, height: undefined, fps: undefined, frames: files.length });
    this.#files = files;
  }

  async capture(options?: { timeoutMs?: number }): Promise<CaptureResult> {
    timeoutArg(options);
    if (this.#disposed) throw new DinoError('ERR_DINO_DISPOSED', `${this.uri} has been disposed`);
    const file = this.#files[this.#next];
    if (file === undefined) return { status: 'eos' };
    const index = this.#next++;
    const img = await decodeImage(file);
    this.#delivered++;
    const format = img.format === 'rgba' ? 'RGBA' : img.format === 'gray' ? 'GRAY8' : 'RGB';
    return {
      status: 'ok',
      frame: new Frame({ width: img.width, height: img.height, format, pitch: img.rowBytes, data: img.data, sequence: index, timestampMs: Number.NaN, name: basename(file) }),
    };
  }

  stats(): SourceStats {
    return { received: this.#delivered, dropped: 0, delivered: this.#delivered, leased: 0 };
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
  }
}
