/**
 * A captured video frame: a lease on a buffer of the capture pipeline (or an image decoded in
 * memory). Release it when done — a source only has `maxLeases` buffers to hand out, and
 * running out is an error, never a silent reuse.
 * @module
 */
import type { NativeCaptureFormat, NativeFrame, NativeFrameMemory, NativeFramePlane } from '../../binding';
import { DinoError } from '../../errors';
import type { DeviceImage, DevicePixelFormat } from '../../image/device-image';
import type { RawImage } from '../../image/input';

export type FrameFormat = NativeCaptureFormat;
export type FrameMemory = NativeFrameMemory;

export class Frame {
  readonly width: number;
  readonly height: number;
  readonly format: FrameFormat;
  /** 'system' (bytes in `data`), 'nvmm' or 'cuda' (a CUDA device pointer in `devicePointer`). */
  readonly memory: FrameMemory;
  readonly pitch: number;
  readonly planes: readonly NativeFramePlane[];
  /** Presentation time in ms from the start of the stream (NaN when unknown). */
  readonly timestampMs: number;
  /** Index of the frame in the stream (gaps are frames dropped to stay current). */
  readonly sequence: number;
  /** File name of the image, for image and folder sources. */
  readonly name: string | undefined;
  readonly #native: NativeFrame | undefined;
  #data: Uint8Array | null;
  #released = false;

  /** @internal */
  constructor(init: { native?: NativeFrame; width: number; height: number; format: FrameFormat; pitch: number; data: Uint8Array | null; sequence: number; timestampMs: number; memory?: FrameMemory; planes?: readonly NativeFramePlane[]; name?: string }) {
    this.#native = init.native;
    this.width = init.width;
    this.height = init.height;
    this.format = init.format;
    this.memory = init.memory ?? 'system';
    this.pitch = init.pitch;
    this.planes = init.planes ?? [{ offset: 0, pitch: init.pitch, rows: init.height }];
    this.#data = init.data;
    this.sequence = init.sequence;
    this.name = init.name;
    this.timestampMs = init.timestampMs;
  }

  /** @internal */
  static fromNative(n: NativeFrame): Frame {
    return new Frame({
      native: n,
      width: n.width,
      height: n.height,
      format: n.format,
      memory: n.memory,
      pitch: n.pitch,
      planes: n.planes,
      data: n.data,
      sequence: n.sequence,
      timestampMs: n.pts >= 0 ? n.pts / 1e6 : Number.NaN,
    });
  }

  /** Pixels in system memory (null for device frames). Invalid after release(). */
  get data(): Uint8Array | null {
    if (this.#released) throw new DinoError('ERR_DINO_DISPOSED', 'This frame has been released');
    return this.#data;
  }

  /** CUDA device address of the pixels (NVMM/CUDA frames), valid until release(). */
  get devicePointer(): bigint | null {
    if (this.#released) throw new DinoError('ERR_DINO_DISPOSED', 'This frame has been released');
    return this.#native?.devicePointer ?? null;
  }

  get released(): boolean {
    return this.#released;
  }

  /**
   * True when the pixels are a buffer of the capture pipeline, lent until release() (zero copy);
   * false when they belong to this frame (decoded images, decoder-program frames) and stay
   * valid after release.
   */
  get borrowed(): boolean {
    return this.#native !== undefined;
  }

  /**
   * The frame as raw pixels for {@link Model.extract} (system-memory RGB(A)/BGR(A)/gray frames).
   * No copy: valid until release().
   */
  toRawImage(): RawImage {
    const data = this.data;
    if (!data) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', 'This frame is in device memory; use it with a TensorRT model');
    const format = ({ RGBA: 'rgba', RGBx: 'rgba', BGRA: 'bgra', BGRx: 'bgra', RGB: 'rgb', BGR: 'bgr', GRAY8: 'gray' } as const)[this.format as 'RGBA'];
    if (!format) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `Frames in ${this.format} cannot be used as raw RGB pixels`);
    return { data, width: this.width, height: this.height, format, rowBytes: this.pitch };
  }

  /**
   * The frame as a {@link DeviceImage} for {@link Model.extractDevice} (NVMM/CUDA frames: the
   * zero-copy path; the CUDA preprocessing kernel reads the camera's buffer in place). Valid until
   * release().
   */
  toDeviceImage(): DeviceImage {
    const pointer = this.devicePointer;
    if (pointer === null) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', 'This frame is in system memory; use toRawImage()');
    const format = ({ RGBA: 'rgba', RGBx: 'rgba', BGRA: 'bgra', BGRx: 'bgra', RGB: 'rgb', BGR: 'bgr', GRAY8: 'gray', NV12: 'nv12' } as Record<string, DevicePixelFormat>)[this.format];
    if (!format) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `Device frames in ${this.format} are not supported`);
    const uv = this.planes[1];
    return {
      devicePointer: pointer,
      width: this.width,
      height: this.height,
      pitch: this.pitch,
      format,
      ...(format === 'nv12' && uv ? { uvOffset: uv.offset, uvPitch: uv.pitch, fullRange: this.#native?.fullRange ?? false } : {}),
    };
  }

  /** Gives the buffer back to the source. Idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#data = null;
    this.#native?.release();
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
