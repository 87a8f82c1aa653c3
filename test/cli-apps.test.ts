/**
 * The `heatmap` and `segment` commands end to end, in-process through the CLI entry point:
 * pictures checked by content, video frame counts in = out, labels files, aliases, and coded
 * errors after which the process carries on.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { readNpy } from '../lib';
import { colormapColor } from '../lib/render/colormaps';
import { paletteColors } from '../lib/render/palettes';
import { main } from '../lib/cli/main';
import { MARKER_COLORS } from '../lib/render/heatmap';
import { countFrames, hasFfmpeg, noteNoFfmpeg, pixel, readPng, tempDir, testImage, testVideo, tinyModel } from './video/fixtures';

noteNoFfmpeg('segment video CLI tests');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(...argv: string[]): Promise<Result> {
  const lines: string[] = [];
  const errors: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    errors.push(String(chunk));
    return true;
  });
  try {
    const code = await main(argv, (s) => lines.push(s));
    return { code, stdout: lines.join('\n'), stderr: errors.join('') };
  } finally {
    spy.mockRestore();
  }
}

describe('dinov3 heatmap / segment', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let model: string;
  let image: string;
  let video: string;
  const out = (name: string): string => join(tmp.dir, name);
  beforeAll(async () => {
    tmp = await tempDir('cli-apps');
    model = await tinyModel(tmp.dir);
    image = await testImage(out('photo.png'), 160, 128);
    video = hasFfmpeg ? await testVideo(out('clip.mp4'), 40, 160, 120) : '';
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });

  it('heatmap: default target is the centre patch, marked, with the top colour', async () => {
    const r = await cli('heatmap', '--model', model, '--image', image, '--input_size', '128x160', '--grid', '--output', out('heat.png'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/target patch \(4, 5\)/);
    const png = await readPng(out('heat.png'));
    expect([png.width, png.height]).toEqual([160, 128]);
    // patch (4, 5): x 80..95, y 64..79
    expect(pixel(png, 80, 64)).toEqual([...MARKER_COLORS.viridis]);
    expect(pixel(png, 83, 67)).toEqual(colormapColor('viridis', 255));
  });

  it('heatmap: several targets -> one picture each, in order, and a [targets, rows, cols] .npy', async () => {
    const r = await cli(
      'heatmap', '--model', model, '--image', image, '--size', '128x160', '--patch', '1,2', '--point', '150,120',
      '--colormap', 'jet', '--overlay', '0.3', '--colorbar', '--output', out('multi.png'), '--raw', out('multi.npy'),
    );
    expect(r.code).toBe(0);
    const [a, b] = await Promise.all([readPng(out('multi-1.png')), readPng(out('multi-2.png'))]);
    expect(a.height).toBe(128);
    expect(a.width).toBeGreaterThan(160); // colour bar on the right
    const white = [...MARKER_COLORS.jet];
    expect(pixel(a, 32, 16)).toEqual(white); // patch (1, 2) corner
    expect(pixel(b, 32, 16)).not.toEqual(white);
    expect(pixel(b, 144, 112)).toEqual(white); // point (150, 120) -> patch (7, 9)
    const raw = await readNpy(out('multi.npy'));
    expect(raw.shape).toEqual([2, 8, 10]);
    expect(raw.data[1 * 10 + 2]).toBeCloseTo(1, 5);
    expect(raw.data[80 + 7 * 10 + 9]).toBeCloseTo(1, 5);
  });

  it('segment --image: mask colours are the palette colours of the labels written to --labels', async () => {
    const r = await cli(
      'segment', '--model', model, '--image', image, '--n_clusters', '4', '--input_size', '128x160', '--mask-only',
      '--output', out('seg.png'), '--labels', out('seg.npy'), '--patch_size', '16',
    );
    expect(r.code).toBe(0);
    const labels = await readNpy(out('seg.npy'));
    expect(labels.shape).toEqual([8, 10]);
    const png = await readPng(out('seg.png'));
    const jet = paletteColors('jet', 4);
    for (let i = 0; i < 80; i++) {
      const l = labels.data[i]!;
      expect(pixel(png, (i % 10) * 16 + 8, Math.floor(i / 10) * 16 + 8)).toEqual([jet[3 * l], jet[3 * l + 1], jet[3 * l + 2]]);
    }
  });

  it('segment --image --pca --side-by-side: photo left, PCA picture right', async () => {
    const r = await cli('segment', '--model', model, '--image', image, '--pca', '--side-by-side', '--size', '128x160', '--output', out('pca.png'));
    expect(r.code).toBe(0);
    const png = await readPng(out('pca.png'));
    expect([png.width, png.height]).toEqual([320, 128]);
    expect(pixel(png, 10, 10)).toEqual(pixel(await readPng(image), 10, 10));
  });

  it.skipIf(!hasFfmpeg)('segment --input video -> .mp4: frame count in = frame count out; timings printed', async () => {
    const r = await cli('segment', '--model', model, '--input', video, '--clusters', '4', '--size', '128', '--output', out('seg.mp4'), '--labels', out('video-labels.npy'));
    expect(r.code).toBe(0);
    expect(await countFrames(out('seg.mp4'))).toBe(40);
    expect(r.stdout).toMatch(/40 frames in [\d.]+ s: [\d.]+ fps/);
    expect(r.stdout).toMatch(/per frame \(stages overlap\): capture [\d.]+ ms, preprocess [\d.]+ ms, inference [\d.]+ ms, analysis [\d.]+ ms, render [\d.]+ ms, encode [\d.]+ ms/);
    const labels = await readNpy(out('video-labels.npy'));
    expect(labels.shape).toEqual([40, 8, 8]);
  });

  it.skipIf(!hasFfmpeg)('heatmap --input video: one map of the same point per frame, as PNG frames and as a video', async () => {
    const r = await cli('heatmap', '--model', model, '--input', video, '--point', '40,30', '--overlay', '--size', '128', '--max-frames', '6', '--output', `${out('heat-frames')}/`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/6 frames in [\d.]+ s/);
    const names = (await readdir(out('heat-frames'))).filter((n) => n.endsWith('.png')).sort();
    expect(names).toHaveLength(6);
    const first = await readPng(join(out('heat-frames'), names[0]!));
    expect([first.width, first.height]).toEqual([160, 120]);
    const v = await cli('heatmap', '--model', model, '--input', video, '--patch', '2,3', '--size', '128', '--output', out('heat.mp4'));
    expect(v.code, v.stderr).toBe(0);
    expect(await countFrames(out('heat.mp4'))).toBe(40);
    const both = await cli('heatmap', '--model', model, '--input', video, '--patch', '1,1', '--patch', '2,2', '--output', out('x.mp4'));
    expect(both.stderr).toMatch(/one target/);
  });

  it.skipIf(!hasFfmpeg)('segment --input video -> frames dir, then that dir -> another dir (names kept)', async () => {
    const r = await cli('segment', '--model', model, '--input', video, '--clusters', '3', '--size', '128', '--side-by-side', '--max-frames', '5', '--output', `${out('frames')}/`);
    expect(r.code).toBe(0);
    const files = (await readdir(out('frames'))).sort();
    expect(files).toEqual(['frame-000001.png', 'frame-000002.png', 'frame-000003.png', 'frame-000004.png', 'frame-000005.png']);
    expect((await readPng(join(out('frames'), files[0]!))).width).toBe(320);
    const r2 = await cli('segment', '--model', model, '--input', out('frames'), '--clusters', '3', '--size', '128', '--output', out('frames2'));
    expect(r2.code).toBe(0);
    expect((await readdir(out('frames2'))).sort()).toEqual(files);
  });

  it.skipIf(!hasFfmpeg)('segment with several --input: batched, one output per input in the --output folder, labels per input', async () => {
    const frames = `${out('few')}/`;
    expect((await cli('segment', '--model', model, '--input', video, '--clusters', '3', '--size', '128', '--max-frames', '4', '--output', frames)).code).toBe(0);
    const r = await cli('segment', '--model', model, '--input', video, '--input', out('few'), '--clusters', '3', '--size', '128', '--output', out('multi'), '--labels', out('multi-labels'));
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(out('multi'))).sort()).toEqual(['clip.mp4', 'few']);
    expect(await countFrames(join(out('multi'), 'clip.mp4'))).toBe(40);
    expect((await readdir(join(out('multi'), 'few'))).sort()).toEqual((await readdir(out('few'))).sort());
    expect((await readNpy(join(out('multi-labels'), 'clip.npy'))).shape).toEqual([40, 8, 8]);
    expect((await readNpy(join(out('multi-labels'), 'few.npy'))).shape).toEqual([4, 8, 8]);
    expect(r.stdout).toMatch(/2 inputs batched: 1\.\d\d frames per inference/);
    const bad = await cli('segment', '--model', model, '--input', video, '--input', video, '--clusters', '3', '--output', out('one.mp4'));
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/--output must be a directory/)]);
  });

  it('errors are coded, exit non-zero, and the process carries on', async () => {
    await mkdir(out('bin-empty'), { recursive: true });
    await writeFile(out('bad.mp4'), 'not a video');
    await writeFile(out('bad.png'), 'not an image either');
    const saved = process.env.PATH;
    process.env.PATH = out('bin-empty');
    let noDecoder: Result;
    try {
      noDecoder = await cli('segment', '--model', model, '--input', video || out('bad.mp4'), '--clusters', '3', '--output', out('x.mp4'));
    } finally {
      process.env.PATH = saved;
    }
    expect(noDecoder.code).toBe(1);
    expect(noDecoder.stderr).toMatch(/\[ERR_DINO_DECODER_MISSING\]/);
    const badVideo = await cli('segment', '--model', model, '--input', out('bad.mp4'), '--clusters', '3', '--output', out('y.mp4'));
    expect(badVideo.stderr).toMatch(hasFfmpeg ? /\[ERR_DINO_SOURCE\]/ : /\[ERR_DINO_DECODER_MISSING\]/);
    const tooMany = await cli('segment', '--model', model, '--image', image, '--clusters', '81', '--size', '128x160', '--output', out('z.png'));
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toMatch(/k = 81 is larger than the number of patches \(80\).*\[ERR_DINO_INVALID_ARGUMENT\]/);
    const badImage = await cli('heatmap', '--model', model, '--image', out('bad.png'), '--output', out('h.png'));
    expect(badImage.stderr).toMatch(/\[ERR_DINO_INVALID_IMAGE\]/);
    const noImage = await cli('heatmap', '--model', model, '--image', out('missing.png'), '--output', out('h.png'));
    expect(noImage.stderr).toMatch(/\[ERR_DINO_FILE_NOT_FOUND\]/);
    const wrongPatch = await cli('segment', '--model', model, '--image', image, '--clusters', '3', '--patch_size', '14', '--output', out('w.png'));
    expect(wrongPatch.stderr).toMatch(/\[ERR_DINO_SHAPE_MISMATCH\]/);
    const badColormap = await cli('heatmap', '--model', model, '--image', image, '--colormap', 'rainbow', '--output', out('h.png'));
    expect(badColormap.code).toBe(2);
    // still alive and working
    const ok = await cli('heatmap', '--model', model, '--image', image, '--size', '64', '--output', out('alive.png'));
    expect(ok.code).toBe(0);
  });
});
