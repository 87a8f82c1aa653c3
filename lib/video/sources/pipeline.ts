/**
 * GStreamer pipeline descriptions (gst-launch syntax) for each source kind, ending in an appsink
 * named "sink" that delivers RGBA frames in system memory — or, on Jetson with zero copy, RGBA
 * NvBufSurfaces in NVMM memory that the capture module maps into CUDA.
 * @internal
 * @module
 */
import { DinoError } from '../../errors';
import { integer, number as finite } from '../../validate';
import { SOURCE_DEFAULTS, type SourceOptions } from './options';
import type { ParsedUri } from './uri';

/** Quotes a property value for gst-launch syntax. */
export function gstQuote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function size(options: SourceOptions, w: number, h: number): { width: number; height: number } {
  return {
    width: integer(options.width ?? w, 'width', 16, 8192),
    height: integer(options.height ?? h, 'height', 16, 8192),
  };
}

function rate(options: SourceOptions): number {
  return finite(options.frameRate ?? SOURCE_DEFAULTS.frameRate, 'frameRate', 0.1, 1000);
}

function fraction(fps: number): string {
  return Number.isInteger(fps) ? `${fps}/1` : `${Math.round(fps * 1000)}/1000`;
}

/** The appsink: `sync` paces delivery by the pipeline clock (real-time playback of files). */
const sink = (sync: boolean): string => `appsink name=sink sync=${sync}`;
const rgbaSink = (sync: boolean): string => `video/x-raw,format=RGBA ! ${sink(sync)}`;

/** Builds the pipeline for a parsed URI; `nvmm` selects the zero-copy Jetson form. */
export function buildPipeline(src: ParsedUri, options: SourceOptions, nvmm: boolean): string {
  const realtime = options.live === true;
  const buffers = options.numBuffers === undefined ? '' : ` num-buffers=${integer(options.numBuffers, 'numBuffers', 1)}`;
  const scaled = (w?: number, h?: number): string =>
    w !== undefined || h !== undefined ? `videoscale ! video/x-raw,width=${integer(w, 'width', 16, 8192)},height=${integer(h, 'height', 16, 8192)} ! ` : '';
  switch (src.protocol) {
    case 'test': {
      const { width, height } = size(options, SOURCE_DEFAULTS.testWidth, SOURCE_DEFAULTS.testHeight);
      return `videotestsrc pattern=${src.location} is-live=${options.live ? 'true' : 'false'}${buffers} ! video/x-raw,format=RGBA,width=${width},height=${height},framerate=${fraction(rate(options))} ! ${sink(realtime)}`;
    }
    case 'file': {
      return `filesrc location=${gstQuote(src.location)} ! decodebin ! videoconvert ! ${scaled(options.width, options.height)}${rgbaSink(realtime)}`;
    }
    case 'v4l2': {
      const { width, height } = size(options, SOURCE_DEFAULTS.cameraWidth, SOURCE_DEFAULTS.cameraHeight);
      return `v4l2src device=${gstQuote(src.location)}${buffers} ! video/x-raw,width=${width},height=${height},framerate=${fraction(rate(options))} ! videoconvert ! ${rgbaSink(false)}`;
    }
    case 'rtsp': {
      const latency = integer(options.latency ?? SOURCE_DEFAULTS.latency, 'latency', 0, 60_000);
      return `rtspsrc location=${gstQuote(src.location)} latency=${latency} ! decodebin ! videoconvert ! ${scaled(options.width, options.height)}${rgbaSink(false)}`;
    }
    case 'csi': {
      const { width, height } = size(options, SOURCE_DEFAULTS.cameraWidth, SOURCE_DEFAULTS.cameraHeight);
      const flip = integer(options.flipMethod ?? SOURCE_DEFAULTS.flipMethod, 'flipMethod', 0, 7);
      const camera = `nvarguscamerasrc sensor-id=${src.location}${buffers} ! video/x-raw(memory:NVMM),width=${width},height=${height},framerate=${fraction(rate(options))},format=NV12 ! nvvidconv flip-method=${flip}`;
      // nvvidconv writes pitch-linear RGBA surfaces; in NVMM they map to CUDA without a CPU copy.
      return nvmm ? `${camera} ! video/x-raw(memory:NVMM),format=RGBA ! ${sink(false)}` : `${camera} ! ${rgbaSink(false)}`;
    }
    default:
      throw new DinoError('ERR_DINO_INTERNAL', `no pipeline for ${String((src as ParsedUri).protocol)}`);
  }
}
