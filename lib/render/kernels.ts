/**
 * The native rendering kernels (native/core/overlay.h, field_render.h, color.h) — the one render
 * module that calls the addon; the renderers build their arguments and call these.
 * Internal: not part of the public API.
 * @module
 */
import { native, NativePixelFormat, type NativeFieldRender, type NativeLabelOverlay } from '../binding';

/** Upsamples a per-patch field to image size and colours it (optionally over a photo). */
export function fieldKernel(options: NativeFieldRender): Promise<Uint8Array> {
  return native().renderField(options);
}

/** Colours each pixel with its patch's label (optionally over a photo). */
export function labelOverlayKernel(options: NativeLabelOverlay): Promise<Uint8Array> {
  return native().overlayLabels(options);
}

/** Any pixel format at any pitch to packed RGB. */
export function packedRgbKernel(pixels: Uint8Array, width: number, height: number, rowBytes: number, format: NativePixelFormat): Promise<Uint8Array> {
  return native().toRgb(pixels, width, height, rowBytes, format);
}

/** Packed RGB resized with the PIL-exact bilinear filter. */
export function resizeRgbKernel(image: { data: Uint8Array; width: number; height: number }, width: number, height: number): Promise<Uint8Array> {
  return native().resizeRgb(image.data, image.width, image.height, image.width * 3, NativePixelFormat.RGB, width, height);
}
