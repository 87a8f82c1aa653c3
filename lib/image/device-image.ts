/**
 * Images already in CUDA memory: a device pointer from the caller's own CUDA code, GStreamer
 * CUDA memory, or a Jetson NVMM camera frame mapped to CUDA. They are preprocessed on the GPU in
 * place (no host copy).
 * @module
 */
import { NativePixelFormat } from '../binding';
import { DinoError } from '../errors';
import { integer, invalid, isObject, oneOf } from '../validate';

/** Pixel layouts a {@link DeviceImage} can have. */
export type DevicePixelFormat = 'rgb' | 'rgba' | 'bgr' | 'bgra' | 'gray' | 'nv12';

/** An image in CUDA device memory (or memory the GPU can address, e.g. Jetson NVMM mapped to CUDA). */
export interface DeviceImage {
  /** CUDA device address of the first pixel (of the Y plane for NV12). */
  devicePointer: bigint;
  width: number;
  height: number;
  /** Bytes between rows (of the Y plane for NV12). */
  pitch: number;
  format: DevicePixelFormat;
  /** NV12: byte offset of the interleaved UV plane from devicePointer. Default pitch * height. */
  uvOffset?: number;
  /** NV12: bytes between UV rows. Default pitch. */
  uvPitch?: number;
  /** NV12: full-range (0-255) samples instead of limited-range video levels. Default false. */
  fullRange?: boolean;
}

const FORMATS: Record<DevicePixelFormat, NativePixelFormat> = {
  rgb: NativePixelFormat.RGB,
  rgba: NativePixelFormat.RGBA,
  bgr: NativePixelFormat.BGR,
  bgra: NativePixelFormat.BGRA,
  gray: NativePixelFormat.Gray,
  nv12: NativePixelFormat.NV12,
};
const CHANNELS: Record<DevicePixelFormat, number> = { rgb: 3, rgba: 4, bgr: 3, bgra: 4, gray: 1, nv12: 1 };

export function isDeviceImage(value: unknown): value is DeviceImage {
  return isObject(value) && typeof value.devicePointer === 'bigint';
}

export interface CheckedDeviceImage extends DeviceImage {
  nativeFormat: NativePixelFormat;
  /** Bytes the image spans from devicePointer. */
  bytes: number;
}

export function checkDeviceImage(img: DeviceImage): CheckedDeviceImage {
  if (!isDeviceImage(img)) invalid('image', '{ devicePointer: bigint, width, height, pitch, format }', img);
  if (img.devicePointer <= 0n) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', 'devicePointer must be a non-zero device address');
  const format = oneOf(img.format, 'format', Object.keys(FORMATS) as DevicePixelFormat[]);
  const width = integer(img.width, 'width', 1, 65535);
  const height = integer(img.height, 'height', 1, 65535);
  const pitch = integer(img.pitch, 'pitch', width * CHANNELS[format]);
  let bytes = pitch * height;
  if (format === 'nv12') {
    const uvOffset = integer(img.uvOffset ?? pitch * height, 'uvOffset', 0);
    const uvPitch = integer(img.uvPitch ?? pitch, 'uvPitch', width + (width % 2));
    bytes = Math.max(bytes, uvOffset + uvPitch * Math.ceil(height / 2));
  }
  return { ...img, format, width, height, pitch, nativeFormat: FORMATS[format], bytes };
}
