/**
 * examples/ as a user runs them: compiled with tsc together with the library (which type-checks
 * them against the public API), laid out like the installed package (dist/ + package.json, so
 * `import ... from 'dinov3-trt'` resolves through the package's own exports map), then run with
 * plain node against the tiny model.
 */
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { colormapColor } from '../lib/render/colormaps';
import { MARKER_COLORS } from '../lib/render/heatmap';
import { projectRoot } from './helpers/shared';
import { countFrames, hasFfmpeg, pixel, readPng, tempDir, testImage, testVideo, tinyModel } from './video/fixtures';

const run = promisify(execFile);

describe('examples/', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let pkg: string;
  let model: string;
  let image: string;
  beforeAll(async () => {
    tmp = await tempDir('examples');
    pkg = join(tmp.dir, 'pkg');
    await mkdir(pkg);
    // One tsc run type-checks lib + examples ('dinov3-trt' mapped to lib/index.ts) and emits both.
    const config = {
      extends: join(projectRoot, 'tsconfig.json'),
      compilerOptions: {
        noEmit: false,
        declaration: false,
        sourceMap: false,
        rootDir: projectRoot,
        outDir: pkg,
        typeRoots: [join(projectRoot, 'node_modules/@types')],
        paths: { 'dinov3-trt': [join(projectRoot, 'lib/index.ts')] },
      },
      include: [join(projectRoot, 'lib/**/*.ts'), join(projectRoot, 'lib/**/*.js'), join(projectRoot, 'examples/*.ts')],
    };
    await writeFile(join(tmp.dir, 'tsconfig.json'), JSON.stringify(config));
    const tsc = join(projectRoot, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', join(tmp.dir, 'tsconfig.json')]).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? String(err) }));
    expect(result.stdout).toBe('');
    // the installed-package layout: dist/ (compiled lib), package.json with its exports map, the addon, dependencies
    await symlink(join(pkg, 'lib'), join(pkg, 'dist'));
    await copyFile(join(projectRoot, 'package.json'), join(pkg, 'package.json'));
    await symlink(join(projectRoot, 'node_modules'), join(pkg, 'node_modules'));
    await symlink(join(projectRoot, 'build'), join(pkg, 'build'));
    model = await tinyModel(tmp.dir);
    image = await testImage(join(tmp.dir, 'photo.png'), 224, 224);
  }, 120_000);
  afterAll(async () => {
    await tmp?.cleanup();
  });

  it('heatmap.js draws the centre patch\'s heatmap over the photo', async () => {
    const out = join(tmp.dir, 'heat.png');
    const { stdout } = await run(process.execPath, [join(pkg, 'examples/heatmap.js'), model, image, out]);
    expect(stdout).toMatch(/patch \(7, 7\) of a 14x14 grid/);
    const png = await readPng(out);
    expect(png.height).toBe(224);
    expect(png.width).toBeGreaterThan(224); // colour bar
    expect(pixel(png, 112, 112)).toEqual([...MARKER_COLORS.inferno]); // the cross through patch (7, 7)
    // inside the marker: a colour from the top of the map, blended 0.6 over the photo (bilinear,
    // so a little below the target's own value of 1 off the patch centre)
    const photo = await readPng(image);
    const p = pixel(photo, 117, 117);
    const drawn = pixel(png, 117, 117).map((v, i) => (v - 0.4 * p[i]!) / 0.6);
    let best = 0;
    let bestDistance = Infinity;
    for (let e = 0; e < 256; e++) {
      const c = colormapColor('inferno', e);
      const d = Math.hypot(c[0] - drawn[0]!, c[1] - drawn[1]!, c[2] - drawn[2]!);
      if (d < bestDistance) [best, bestDistance] = [e, d];
    }
    expect(best).toBeGreaterThan(150);
    expect(bestDistance).toBeLessThan(6);
  });

  it.skipIf(!hasFfmpeg)('segment-video.js writes as many frames as it reads', async () => {
    const video = await testVideo(join(tmp.dir, 'clip.mp4'), 12, 160, 120);
    const out = join(tmp.dir, 'seg.mp4');
    const { stdout } = await run(process.execPath, [join(pkg, 'examples/segment-video.js'), model, video, out, '3']);
    expect(stdout).toMatch(/12 frames in [\d.]+ s/);
    expect(await countFrames(out)).toBe(12);
  });

  it('service-snippet.js answers PNGs, and coded errors as HTTP statuses', async () => {
    const server = spawn(process.execPath, [join(pkg, 'examples/service-snippet.js'), model, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        server.stdout.setEncoding('utf8');
        server.stdout.on('data', (s: string) => {
          const m = /listening on (\S+)/.exec(s);
          if (m) resolve(m[1] as string);
        });
        server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
      });
      const photo = await import('node:fs/promises').then((fs) => fs.readFile(image));
      const seg = await fetch(`${url}/segment?k=4`, { method: 'POST', body: photo });
      expect(seg.status).toBe(200);
      expect(seg.headers.get('content-type')).toBe('image/png');
      const png = await readPng(Buffer.from(await seg.arrayBuffer()));
      expect([png.width, png.height]).toEqual([224, 224]);
      const bad = await fetch(`${url}/segment?k=4`, { method: 'POST', body: 'not an image' });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ code: 'ERR_DINO_INVALID_IMAGE' });
      const tooMany = await fetch(`${url}/segment?k=500`, { method: 'POST', body: photo });
      expect(await tooMany.json()).toMatchObject({ code: 'ERR_DINO_INVALID_ARGUMENT' });
      const heat = await fetch(`${url}/heatmap?x=10&y=10`, { method: 'POST', body: photo });
      expect(heat.status).toBe(200);
    } finally {
      server.kill();
    }
  });
});
