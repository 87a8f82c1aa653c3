/**
 * Which video codec the installed encoder offers: H.264 (libx264 / x264enc) when present, else
 * MPEG-4 part 2 (ffmpeg's built-in mpeg4 / GStreamer's avenc_mpeg4).
 * Internal: not part of the public API.
 * @module
 */
import { spawnChild } from './child';
import { findProgram } from './programs';

const cache = new Map<string, Promise<string>>();

async function output(program: string, args: readonly string[]): Promise<{ code: number; text: string }> {
  const child = spawnChild(program, args, ['ignore', 'pipe', 'pipe']);
  let text = '';
  child.proc.stdout?.setEncoding('utf8');
  child.proc.stdout?.on('data', (s: string) => {
    text += s;
  });
  const code = await child.exited;
  return { code, text };
}

/** The ffmpeg encoder to use: 'libx264' if this ffmpeg has it, else 'mpeg4'. */
export function ffmpegVideoCodec(ffmpeg: string): Promise<string> {
  let p = cache.get(ffmpeg);
  if (!p) {
    p = output(ffmpeg, ['-hide_banner', '-encoders']).then(({ text }) => (/^\s*V\S*\s+libx264\s/m.test(text) ? 'libx264' : 'mpeg4'));
    cache.set(ffmpeg, p);
  }
  return p;
}

/**
 * The GStreamer encoder and muxer to use: H.264 in MP4 when x264enc (plugins-ugly) is installed;
 * else VP8 in WebM for a .webm name; else Motion JPEG in a QuickTime container (GStreamer 1.22's
 * avenc_mpeg4 writes frames without timestamps, so it is not used).
 */
export async function gstreamerVideoChain(path: string): Promise<{ encoder: string[]; muxer: string; codec: string }> {
  if (/\.webm$/i.test(path)) return { encoder: ['vp8enc', 'deadline=1'], muxer: 'webmmux', codec: 'vp8' };
  const inspect = findProgram('gst-inspect-1.0');
  const key = `gst:${inspect ?? ''}`;
  let p = cache.get(key);
  if (!p) {
    p = inspect ? output(inspect, ['--exists', 'x264enc']).then(({ code }) => (code === 0 ? 'x264enc' : 'jpegenc')) : Promise.resolve('jpegenc');
    cache.set(key, p);
  }
  const element = await p;
  return element === 'x264enc'
    ? { encoder: ['x264enc', 'speed-preset=veryfast'], muxer: 'mp4mux', codec: 'h264' }
    : { encoder: ['jpegenc', 'quality=90'], muxer: 'qtmux', codec: 'mjpeg' };
}
