/**
 * Positional byte sources for the protobuf reader: an in-memory buffer, or a file read through a
 * small window with positional reads, so that skipping a field costs nothing and only the bytes
 * actually decoded are ever read from disk.
 * @module
 */
import { open, type FileHandle } from 'node:fs/promises';
import { DinoError } from '../errors';

/**
 * Random-access bytes with a known size, exposed through one buffer that holds the absolute
 * range `[bufferStart, bufferEnd)`. {@link ByteSource.load} moves that range.
 */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Bytes fetched from the underlying storage so far (0 for a buffer). */
  readonly bytesRead: number;
  /** The bytes currently available (exactly the valid ones); index `i` holds absolute offset `bufferStart + i`. */
  readonly buffer: Buffer;
  /** Absolute offset of `buffer[0]`. */
  readonly bufferStart: number;
  /** Absolute offset one past the last byte of `buffer` (`bufferStart + buffer.length`). */
  readonly bufferEnd: number;
  /**
   * Makes `[position, position + length)` available in `buffer` (the caller has checked that
   * it lies inside `size`). Invalidates earlier views of `buffer`.
   */
  load(position: number, length: number): Promise<void>;
  /** Releases the underlying resource (idempotent). */
  close(): Promise<void>;
}

/** A {@link ByteSource} over bytes already in memory (no copies). */
export class MemorySource implements ByteSource {
  readonly size: number;
  /** Always 0: nothing is fetched from storage. */
  readonly bytesRead = 0;
  readonly buffer: Buffer;
  readonly bufferStart = 0;
  readonly bufferEnd: number;

  constructor(bytes: Uint8Array) {
    this.buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.size = bytes.byteLength;
    this.bufferEnd = bytes.byteLength;
  }

  load(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Default window of {@link FileSource}: 64 KiB. */
export const DEFAULT_WINDOW_BYTES = 64 * 1024;
/** First read after a seek: 4 KiB, doubling while reads stay sequential. */
const MIN_READ_BYTES = 4 * 1024;

/**
 * A {@link ByteSource} over an open file: keeps one window of up to `windowBytes` and refills it
 * with a positional read when a request falls outside it (keeping any overlap). After a seek the
 * read is small (4 KiB) and doubles while reading stays sequential, so skipping a large field
 * does not drag in a full window of the bytes behind it. Requests larger than the window get a
 * buffer of their own, dropped at the next request.
 */
export class FileSource implements ByteSource {
  buffer: Buffer;
  bufferStart = 0;
  bufferEnd = 0;
  private readonly window: Buffer;
  private readSize: number;
  private fetched = 0;
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
    windowBytes: number,
  ) {
    this.window = Buffer.alloc(windowBytes);
    this.buffer = this.window.subarray(0, 0);
    this.readSize = Math.min(MIN_READ_BYTES, windowBytes);
  }

  /** Opens `path` for reading. Errors from `fs` propagate unchanged (EISDIR for a directory). */
  static async open(path: string, windowBytes = DEFAULT_WINDOW_BYTES): Promise<FileSource> {
    const handle = await open(path, 'r');
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw Object.assign(new Error(`not a regular file: ${path}`), { code: stat.isDirectory() ? 'EISDIR' : 'EINVAL' });
      return new FileSource(handle, stat.size, Math.max(16, windowBytes));
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  get bytesRead(): number {
    return this.fetched;
  }

  async load(position: number, length: number): Promise<void> {
    if (position >= this.bufferStart && position + length <= this.bufferEnd) return;
    if (length > this.window.byteLength) {
      const own = Buffer.allocUnsafe(length);
      await this.readFully(own, 0, length, position);
      this.setBuffer(own, position);
      return;
    }
    const sequential = position >= this.bufferStart && position <= this.bufferEnd && this.bufferEnd > 0;
    this.readSize = sequential ? Math.min(this.window.byteLength, this.readSize * 2) : Math.min(MIN_READ_BYTES, this.window.byteLength);
    // Keep the part of the old window that the new one overlaps (a field straddling the edge).
    let kept = 0;
    if (this.buffer.buffer === this.window.buffer && position >= this.bufferStart && position < this.bufferEnd) {
      kept = this.bufferEnd - position;
      this.window.copyWithin(0, position - this.bufferStart, this.bufferEnd - this.bufferStart);
    }
    const want = Math.min(Math.max(this.readSize, length, kept), this.window.byteLength, this.size - position);
    this.setBuffer(this.window.subarray(0, kept), position);
    await this.readFully(this.window, kept, want - kept, position + kept);
    this.setBuffer(this.window.subarray(0, want), position);
  }

  private setBuffer(buffer: Buffer, start: number): void {
    this.buffer = buffer;
    this.bufferStart = start;
    this.bufferEnd = start + buffer.byteLength;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }

  private async readFully(target: Buffer, offset: number, length: number, position: number): Promise<void> {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(target, offset + done, length - done, position + done);
      if (bytesRead === 0) {
        // The file shrank while we were reading it.
        throw new DinoError(
          'ERR_DINO_INVALID_MODEL',
          `ONNX file is truncated: expected ${length - done} more bytes at offset ${position + done}`,
          { details: { offset: position + done, missing: length - done } },
        );
      }
      done += bytesRead;
      this.fetched += bytesRead;
    }
  }
}
