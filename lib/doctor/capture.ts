/**
 * The capture path: a few frames from `test://` (GStreamer's test pattern) and, when present, the
 * CSI camera (`csi://0`, on a Jetson) and a V4L2 camera (`/dev/video0`), with the time to the
 * first frame and per frame.
 * @module
 */
import { existsSync } from 'node:fs';

import { isDinoError } from '../errors';
import { openSource } from '../video/sources/source';
import { notRun, runCheck, verdict, type CheckOutcome } from './check';
import type { CheckResult } from './types';

const FRAMES = 5;

async function captureFrames(uri: string): Promise<CheckOutcome> {
  const start = performance.now();
  let source;
  try {
    source = await openSource(uri, { width: 320, height: 240, numBuffers: FRAMES + 2 });
  } catch (err) {
    // No capture module and no decoder program: nothing here can read it.
    if (isDinoError(err, 'ERR_DINO_DECODER_MISSING')) return notRun(err.message);
    throw err;
  }
  try {
    const times: number[] = [];
    let last = performance.now();
    let firstMs = 0;
    for (let i = 0; i < FRAMES; i++) {
      const r = await source.capture({ timeoutMs: 10_000 });
      const now = performance.now();
      if (r.status !== 'ok' || !r.frame) return verdict(false, `${uri}: frame ${i + 1} of ${FRAMES}: ${r.status}`);
      const ok = r.frame.width > 0 && r.frame.height > 0;
      r.frame.release();
      if (!ok) return verdict(false, `${uri}: frame ${i + 1} has no pixels`);
      if (i === 0) firstMs = now - start;
      else times.push(now - last);
      last = now;
    }
    const perFrame = times.reduce((a, b) => a + b, 0) / Math.max(1, times.length);
    return verdict(true, `${FRAMES} frames via ${source.decoder}; first after ${firstMs.toFixed(1)} ms, then ${perFrame.toFixed(1)} ms per frame`, {
      decoder: source.decoder,
      firstFrameMs: Math.round(firstMs * 10) / 10,
      perFrameMs: Math.round(perFrame * 10) / 10,
    });
  } finally {
    await source.dispose();
  }
}

export async function captureChecks(isJetson: boolean): Promise<CheckResult[]> {
  return [
    await runCheck('capture.test', 'capture of test:// (GStreamer test pattern)', () => captureFrames('test://')),
    await runCheck('capture.csi', 'capture of the CSI camera csi://0', async () => (isJetson ? captureFrames('csi://0') : notRun('not a Jetson (no CSI camera stack)'))),
    await runCheck('capture.v4l2', 'capture of the V4L2 camera /dev/video0', async () => (existsSync('/dev/video0') ? captureFrames('v4l2:///dev/video0') : notRun('no /dev/video0'))),
  ];
}
