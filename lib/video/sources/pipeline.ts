/**
 * GStreamer pipeline descriptions (gst-launch syntax) for each source kind, ending in an appsink
 * named "sink" that delivers packed RGB frames in system memory (RGBA from a Jetson CSI camera) —
 * or, on Jetson with zero copy, RGBA NvBufSurfaces in NVMM memory that the capture module maps
 * into CUDA.
 * Internal: not part of the public API.
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

/** The capture size: the options' width and height, else the given defaults. */
export function size(options: SourceOptions, w: number, h: number): { width: number; height: number } {
  return {
    width: integer(options.width ?? w, 'width', 16, 8192),
    height: integer(options.height ?? h, 'height', 16, 8192),
  };
}

/** The frame rate asked of cameras and test sources. */
export function rate(options: SourceOptions): number {
  return finite(options.frameRate ?? SOURCE_DEFAULTS.frameRate, 'frameRate', 0.1, 1000);
}

function fraction(fps: number): string {
  return Number.isInteger(fps) ? `${fps}/1` : `${Math.round(fps * 1000)}/1000`;
}

/**
 * Where the pipeline ends: 'appsink' (the capture module: frames in memory, or NVMM surfaces) or
 * 'fdsink' (gst-launch-1.0 writing the frames to file descriptor 3, the program path).
 */
export type PipelineSink = 'appsink' | 'fdsink';

/**
 * The pipeline for a parsed URI as gst-launch-1.0 arguments, one element property per token
 * (values unquoted: gst-launch escapes each argument itself). `nvmm` selects the zero-copy Jetson
 * form (appsink only).
 */
export function pipelineTokens(src: ParsedUri, options: SourceOptions, nvmm: boolean, sinkKind: PipelineSink = 'appsink'): string[] {
  const realtime = options.live === true;
  // Packed RGB, which inference and rendering read as it is. nvvidconv (csi://) cannot write
  // 24-bit RGB: the capture module takes its RGBA, a program's pipe gets it through videoconvert.
  const format = src.protocol === 'csi' && sinkKind === 'appsink' ? 'RGBA' : 'RGB';
  const sink = (sync: boolean): string[] => (sinkKind === 'appsink' ? ['appsink', 'name=sink', `sync=${sync}`] : ['fdsink', 'fd=3', `sync=${sync}`]);
  // One caps filter after videoconvert (gst-launch reads two in a row as an element name): the
  // format, and the size when the options ask for one (videoscale before it).
  const converted = (sync: boolean, scale = false): string[] => {
    const sized = scale && (options.width !== undefined || options.height !== undefined);
    const dims = sized ? `,width=${integer(options.width, 'width', 16, 8192)},height=${integer(options.height, 'height', 16, 8192)}` : '';
    return [...(sized ? ['videoscale', '!'] : []), `video/x-raw,format=${format}${dims}`, '!', ...sink(sync)];
  };
  const buffers = options.numBuffers === undefined ? [] : [`num-buffers=${integer(options.numBuffers, 'numBuffers', 1)}`];
  switch (src.protocol) {
    case 'test': {
      const { width, height } = size(options, SOURCE_DEFAULTS.testWidth, SOURCE_DEFAULTS.testHeight);
      return ['videotestsrc', `pattern=${src.location}`, `is-live=${options.live ? 'true' : 'false'}`, ...buffers, '!',
        `video/x-raw,format=${format},width=${width},height=${height},framerate=${fraction(rate(options))}`, '!', ...sink(realtime)];
    }
    case 'file':
      return ['filesrc', `location=${src.location}`, '!', 'decodebin', '!', 'videoconvert', '!', ...converted(realtime, true)];
    case 'v4l2': {
      const { width, height } = size(options, SOURCE_DEFAULTS.cameraWidth, SOURCE_DEFAULTS.cameraHeight);
      return ['v4l2src', `device=${src.location}`, ...buffers, '!', `video/x-raw,width=${width},height=${height},framerate=${fraction(rate(options))}`, '!', 'videoconvert', '!', ...converted(false)];
    }
    case 'rtsp': {
      const latency = integer(options.latency ?? SOURCE_DEFAULTS.latency, 'latency', 0, 60_000);
      return ['rtspsrc', `location=${src.location}`, `latency=${latency}`, '!', 'decodebin', '!', 'videoconvert', '!', ...converted(false, true)];
    }
    case 'csi': {
      const { width, height } = size(options, SOURCE_DEFAULTS.cameraWidth, SOURCE_DEFAULTS.cameraHeight);
      const flip = integer(options.flipMethod ?? SOURCE_DEFAULTS.flipMethod, 'flipMethod', 0, 7);
      const camera = ['nvarguscamerasrc', `sensor-id=${src.location}`, ...buffers, '!', `video/x-raw(memory:NVMM),width=${width},height=${height},framerate=${fraction(rate(options))},format=NV12`, '!', 'nvvidconv', `flip-method=${flip}`];
      if (nvmm && sinkKind !== 'appsink') throw new DinoError('ERR_DINO_INTERNAL', 'NVMM frames need the appsink');
      // nvvidconv writes pitch-linear RGBA surfaces; in NVMM they map to CUDA without a CPU copy.
      if (nvmm) return [...camera, '!', 'video/x-raw(memory:NVMM),format=RGBA', '!', ...sink(false)];
      return sinkKind === 'appsink' ? [...camera, '!', ...converted(false)] : [...camera, '!', 'video/x-raw,format=RGBA', '!', 'videoconvert', '!', ...converted(false)];
    }
    default:
      throw new DinoError('ERR_DINO_INTERNAL', `no pipeline for ${String((src as ParsedUri).protocol)}`);
  }
}

/** Builds the pipeline description (gst-launch syntax) for a parsed URI; `nvmm` selects the zero-copy Jetson form. */
export function buildPipeline(src: ParsedUri, options: SourceOptions, nvmm: boolean, sinkKind: PipelineSink = 'appsink'): string {
  return pipelineTokens(src, options, nvmm, sinkKind)
    .map((t) => (/^(location|device)=/.test(t) ? `${t.slice(0, t.indexOf('=') + 1)}${gstQuote(t.slice(t.indexOf('=') + 1))}` : t))
    .join(' ');
}
