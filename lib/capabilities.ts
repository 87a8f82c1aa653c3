/**
 * What this build of dinov3-trt and this machine can do.
 * @module
 */
import { native, type NativeCudaDevice } from './binding';
import { fastDecoders } from './image/fast-decode';
import type { BackendName } from './backends/backend';

/** A native component: built into this package, and usable on this machine. */
export interface ComponentStatus {
  /** Built into this installation. */
  compiled: boolean;
  /** Loaded and usable here. */
  available: boolean;
  version?: string;
  /** Why it is not available. */
  reason?: string;
}

export interface Capabilities {
  /** Backends that can run a model here, best first. */
  backends: BackendName[];
  cuda: ComponentStatus & { devices: NativeCudaDevice[] };
  tensorrt: ComponentStatus;
  /** In-process GStreamer capture (camera and video sources). */
  gstreamer: ComponentStatus;
  /** Zero-copy Jetson NVMM camera frames. */
  nvmm: ComponentStatus;
  /** Threads the native CPU kernels use. */
  threads: number;
  /**
   * The image resize kernel preprocessing runs ('scalar', 'sse4.1', 'avx2' or 'neon': the CPU's
   * best, or DINOV3_RESIZE_KERNEL=scalar|auto|sse4.1|avx2|neon) and the kernels this CPU can run.
   * All of them give the same bytes, PIL's.
   */
  preprocess: { kernel: string; kernels: string[] };
  /**
   * The fast image decoders: 8-bit RGB/RGBA PNGs with the system's libdeflate, YCbCr JPEGs with
   * its libjpeg-turbo (libturbojpeg.so.0), decoded by the addon about 1.5x / 2x as fast as
   * through sharp (docs/BENCHMARKS.md). Each is available when its library loaded and
   * DINOV3_IMAGE_DECODER is not 'sharp'; other images always go through sharp.
   */
  decoders: { png: ComponentStatus; jpeg: ComponentStatus };
  /** Version of the native addon. */
  addonVersion: string;
}

function decoderStatus(kind: 'png' | 'jpeg'): ComponentStatus {
  const s = native().fastDecoders()[kind];
  if (!s.available) return { compiled: true, available: false, reason: `${s.reason ?? 'its library could not be loaded'}: these images are decoded by sharp` };
  if (!fastDecoders()[kind]) return { compiled: true, available: false, reason: 'DINOV3_IMAGE_DECODER=sharp: images are decoded by sharp' };
  return { compiled: true, available: true, ...(s.library ? { version: s.library } : {}) };
}

/**
 * Reports what this build and this machine have.
 * @example
 * ```ts
 * const caps = capabilities();
 * if (!caps.cuda.available) console.log('CPU only:', caps.cuda.reason);
 * ```
 */
export function capabilities(): Capabilities {
  const b = native();
  const c = b.capabilities();
  const backends: BackendName[] = [];
  if (c.tensorrt.available && c.cuda.available) backends.push('tensorrt');
  backends.push('onnxruntime');
  const cuda: Capabilities['cuda'] = { compiled: c.cuda.compiled, available: c.cuda.available, devices: c.cuda.devices };
  if (c.cuda.reason !== undefined) cuda.reason = c.cuda.reason;
  if (c.cuda.runtimeVersion) cuda.version = `${Math.floor(c.cuda.runtimeVersion / 1000)}.${(c.cuda.runtimeVersion % 1000) / 10}`;
  const capture = c.capture;
  // The capture module reports "GStreamer x.y.z with NVMM" when built with Jetson's nvbufsurface.
  const nvmmBuilt = capture.available && /with NVMM/.test(capture.version ?? '');
  const nvmm: ComponentStatus = nvmmBuilt
    ? { compiled: true, available: true }
    : {
        compiled: false,
        available: false,
        reason: capture.available
          ? 'the capture module was built without Jetson NVMM support (nvbufsurface.h and libnvbufsurface not found at build time)'
          : (capture.reason ?? 'the capture module is not built'),
      };
  return {
    backends,
    cuda,
    tensorrt: { ...c.tensorrt },
    gstreamer: { ...capture },
    nvmm,
    threads: c.threads,
    preprocess: { kernel: c.preprocess.kernel, kernels: [...c.preprocess.kernels] },
    decoders: { png: decoderStatus('png'), jpeg: decoderStatus('jpeg') },
    addonVersion: b.version,
  };
}
