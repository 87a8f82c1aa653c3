/**
 * The dinov3 CLI: info, extract (image and tensor input), kmeans, make-test-model; outputs
 * checked by content (NumPy files readable, shapes, inertia printed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';

import { readNpy } from '../lib';
import { main } from '../lib/cli/main';
import { tinyModel } from './helpers/models';
import { conformanceCases, conformanceDir, projectRoot, readF32 } from './helpers/shared';

const tmp = mkdtempSync(join(tmpdir(), 'dinov3-cli-'));

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('dinov3 CLI', () => {
  let model: string;
  let image: string;
  beforeAll(async () => {
    model = tinyModel({ depth: 1, dim: 32, heads: 2 });
    image = join(tmp, 'img.png');
    const px = Buffer.alloc(90 * 60 * 3);
    for (let i = 0; i < px.length; i++) px[i] = (i * 7) % 251;
    await sharp(px, { raw: { width: 90, height: 60, channels: 3 } }).png().toFile(image);
  });

  it('info prints the contract; --json is machine-readable', async () => {
    const text = await cli('info', '--model', model);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/patch size\s+16/);
    expect(text.out).toMatch(/registers\s+4/);
    expect(text.out).toMatch(/backends\s+.*onnxruntime/);
    const json = await cli('info', '--model', model, '--json');
    const parsed = JSON.parse(json.out) as { model: { dim: number }; capabilities: { backends: string[] } };
    expect(parsed.model.dim).toBe(32);
    expect(parsed.capabilities.backends).toContain('onnxruntime');
  });

  it('extract writes cls/registers/patches .npy and meta.json', async () => {
    const dir = join(tmp, 'feats');
    const r = await cli('extract', '--model', model, '--image', image, '--input_size', '64x96', '--out', dir);
    expect(r.code, r.err).toBe(0);
    const patches = await readNpy(join(dir, 'patches.npy'));
    expect(patches.shape).toEqual([24, 32]);
    expect((await readNpy(join(dir, 'cls.npy'))).shape).toEqual([32]);
    expect((await readNpy(join(dir, 'registers.npy'))).shape).toEqual([4, 32]);
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Record<string, unknown>;
    expect(meta).toMatchObject({ grid: { rows: 4, cols: 6 }, dim: 32, registers: 4, patchSize: 16, inputSize: { height: 64, width: 96 }, backend: 'onnxruntime' });
    const raw = await cli('extract', '--model', model, '--image', image, '--out', join(tmp, 'raw'), '--format', 'f32');
    expect(raw.code).toBe(0);
    expect(readFileSync(join(tmp, 'raw', 'patches.f32')).length).toBe(196 * 32 * 4);
  });

  it('kmeans clusters a .npy matrix and prints the inertia', async () => {
    const dir = join(tmp, 'feats2');
    await cli('extract', '--model', model, '--image', image, '--out', dir);
    const labelsPath = join(tmp, 'labels.npy');
    const r = await cli('kmeans', '--features', join(dir, 'patches.npy'), '--n_clusters', '3', '--restarts', '2', '--seed', '1', '--out', labelsPath);
    expect(r.code, r.err).toBe(0);
    const inertia = Number(/inertia ([\d.e+-]+)/.exec(r.out)?.[1]);
    expect(inertia).toBeGreaterThan(0);
    const labels = await readNpy(labelsPath);
    expect(labels.shape).toEqual([196]);
    expect(new Set(labels.data).size).toBe(3);
  });

  it('usage errors exit 2 with a message', async () => {
    const r = await cli('kmeans', '--features', 'x.npy');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--clusters is required/);
    expect((await cli('nonsense')).code).toBe(2);
    expect((await cli('extract', '--model', model, '--out', tmp)).err).toMatch(/exactly one of --image or --input-tensor/);
  });

  it('demo (the main job) writes the heatmap, segmentation and PCA pictures', async () => {
    const dir = join(tmp, 'demo');
    const r = await cli('demo', '--out', dir, '--clusters', '3');
    expect(r.code, r.err).toBe(0);
    const seg = await sharp(join(dir, 'segmentation.png')).metadata();
    expect([seg.width, seg.height]).toEqual([1280, 480]); // photo and clusters side by side
    expect((await sharp(join(dir, 'pca.png')).metadata()).width).toBe(640);
    expect((await sharp(join(dir, 'heatmap.png')).metadata()).width).toBeGreaterThan(640); // with the colour bar
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { generatedModel: boolean; kmeans: { k: number } };
    expect(summary).toMatchObject({ generatedModel: true, kmeans: { k: 3 } });
    expect((await readNpy(join(dir, 'patches.npy'))).shape).toEqual([196, 96]);
  });

  it('make-test-model writes a loadable model', async () => {
    const path = join(tmp, 'made.onnx');
    const r = await cli('make-test-model', '--out', path, '--dim', '16', '--heads', '1', '--depth', '1');
    expect(r.code, r.err).toBe(0);
    expect((await cli('info', '--model', path)).out).toMatch(/dim\s+16/);
  });

  it('extract --input-tensor reproduces the reference tokens', async () => {
    const c = conformanceCases()[0]!;
    const dir = join(tmp, 'conf');
    const r = await cli('extract', '--model', join(conformanceDir, c.model, 'model.onnx'), '--input-tensor', join(conformanceDir, c.model, c.files['input.f32']!), '--input-shape', `1x3x${c.h}x${c.w}`, '--out', dir);
    expect(r.code, r.err).toBe(0);
    const patches = (await readNpy(join(dir, 'patches.npy'))).data as Float32Array;
    const ref = readF32(c, 'last_hidden_state.f32').subarray((1 + c.registers) * c.dim);
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs((patches[i] as number) - (ref[i] as number)));
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  it.skipIf(!existsSync(join(projectRoot, 'dist', 'cli', 'main.js')))('the built bin runs as a process', () => {
    const r = spawnSync(process.execPath, [join(projectRoot, 'dist', 'cli', 'main.js'), 'info', '--capabilities'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/cuda\s+/);
  });
});
