/**
 * Video source URIs, in jetson-utils' grammar:
 *
 *   csi://0                    MIPI CSI camera (Jetson, nvarguscamerasrc sensor-id)
 *   v4l2:///dev/video0         V4L2 camera (USB webcams)
 *   rtsp://[user:pass@]host[:port]/path
 *   file:///path/video.mp4     a video file, an image, or a directory of images
 *   test://[pattern]           GStreamer videotestsrc (smpte, ball, snow, ...), for demos and tests
 *
 * Bare shorthands are normalised: `0` -> csi://0, `/dev/video0` -> v4l2:///dev/video0, any other
 * path -> file://<absolute path>.
 * @module
 */
import { resolve } from 'node:path';

import { DinoError } from '../../errors';

/** The URI kinds; 'caller' is a source of frames handed in by the caller (an async iterable), which has no URI. */
export type SourceProtocol = 'csi' | 'v4l2' | 'rtsp' | 'file' | 'test' | 'caller';

export interface ParsedUri {
  protocol: SourceProtocol;
  /** Normalised URI (what `source.uri` reports). */
  uri: string;
  /** csi: sensor id; v4l2: device path; file: absolute path; rtsp: the whole URL; test: pattern. */
  location: string;
}

/** videotestsrc patterns accepted by test:// (GStreamer's names). */
export const TEST_PATTERNS = [
  'smpte', 'snow', 'black', 'white', 'red', 'green', 'blue', 'checkers-1', 'checkers-2', 'checkers-4', 'checkers-8',
  'circular', 'blink', 'smpte75', 'zone-plate', 'gamut', 'chroma-zone-plate', 'solid-color', 'ball', 'smpte100', 'bar',
  'pinwheel', 'spokes', 'gradient', 'colors',
] as const;

function bad(uri: string, why: string): never {
  throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `Invalid video source '${uri}': ${why}`);
}

/** Parses and normalises a source URI or shorthand. */
export function parseSourceUri(input: string): ParsedUri {
  if (typeof input !== 'string' || input.trim().length === 0) bad(String(input), 'expected a URI such as csi://0, v4l2:///dev/video0, file://video.mp4 or test://');
  const text = input.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(text);
  if (!scheme) {
    if (/^\d+$/.test(text)) return { protocol: 'csi', uri: `csi://${Number(text)}`, location: String(Number(text)) };
    if (/^\/dev\/video\d+$/.test(text)) return { protocol: 'v4l2', uri: `v4l2://${text}`, location: text };
    const abs = resolve(text);
    return { protocol: 'file', uri: `file://${abs}`, location: abs };
  }
  const protocol = (scheme[1] as string).toLowerCase();
  const rest = scheme[2] as string;
  switch (protocol) {
    case 'csi': {
      if (!/^\d+$/.test(rest)) bad(text, 'csi:// takes a sensor number, e.g. csi://0');
      return { protocol: 'csi', uri: `csi://${Number(rest)}`, location: String(Number(rest)) };
    }
    case 'v4l2': {
      const device = rest.startsWith('/') ? rest : `/dev/${rest}`;
      if (!/^\/dev\/[\w-]+$/.test(device)) bad(text, 'v4l2:// takes a device path, e.g. v4l2:///dev/video0');
      return { protocol: 'v4l2', uri: `v4l2://${device}`, location: device };
    }
    case 'rtsp':
    case 'rtsps': {
      if (rest.length === 0 || /\s/.test(rest)) bad(text, 'rtsp:// needs a host');
      return { protocol: 'rtsp', uri: text, location: text };
    }
    case 'file': {
      if (rest.length === 0) bad(text, 'file:// needs a path');
      const abs = resolve(decodeURIComponent(rest));
      return { protocol: 'file', uri: `file://${abs}`, location: abs };
    }
    case 'test': {
      const pattern = rest.replace(/\/+$/, '') || 'smpte';
      if (!(TEST_PATTERNS as readonly string[]).includes(pattern)) bad(text, `unknown test pattern '${pattern}'; one of ${TEST_PATTERNS.join(', ')}`);
      return { protocol: 'test', uri: `test://${pattern}`, location: pattern };
    }
    default:
      return bad(text, `unknown protocol '${protocol}://'; use csi://, v4l2://, rtsp://, file:// or test://`);
  }
}
