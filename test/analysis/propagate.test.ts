/**
 * Label propagation against an independent NumPy implementation of the DINOv3 notebook's
 * algorithm (test/fixtures/propagate_reference.py) on the conformance tokens: a 10-frame
 * sequence made of the three 320x480 conformance images (shifted along the grid, blended), two
 * objects on the first frame; every frame's soft labels within 1e-5, with the default settings
 * and with a short context ring (wrapping), a square neighbourhood and no neighbourhood.
 * Plus the helpers: grid sampling of masks, one-hot, the min-max arg-max, pixel upsampling.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { Features, readNpy, writeNpy } from '../../lib';
import { hardLabels, LabelPropagator, labelsOnGrid, labelsToPixels, oneHot, type PropagationOptions } from '../../lib/analysis/propagate';
import { conformanceCases, projectRoot, readF32 } from '../helpers/shared';

const python = '/usr/bin/python3';
const hasNumpy = existsSync(python) && spawnSync(python, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
if (!hasNumpy) console.warn('propagate.test: /usr/bin/python3 with numpy not found; the NumPy comparison fails');

const ROWS = 20;
const COLS = 30;

/**
 * Ten frames of [ROWS*COLS, dim] patch tokens: frame t is the astronaut tokens shifted t columns
 * (wrapping), blended with the chelsea or coffee tokens at weight 0.06 t, so that no token of
 * one frame repeats exactly in another (exact duplicates make float ties of the top-k).
 */
function sequence(): { frames: Float32Array[]; dim: number } {
  const cases = conformanceCases().filter((c) => c.grid[0] === ROWS && c.grid[1] === COLS);
  expect(cases.length).toBe(3);
  const dim = cases[0]!.dim;
  const images = cases.map((c) => readF32(c, 'last_hidden_state.f32').slice((1 + c.registers) * dim));
  const frames: Float32Array[] = [];
  for (let t = 0; t < 10; t++) {
    const base = images[0]!;
    const other = images[1 + (t % 2)]!;
    const w = 0.06 * t;
    const f = new Float32Array(ROWS * COLS * dim);
    for (let r = 0; r < ROWS; r++) {
      for (let c = 0; c < COLS; c++) {
        const from = (r * COLS + ((c + t) % COLS)) * dim;
        const at = (r * COLS + c) * dim;
        for (let d = 0; d < dim; d++) f[at + d] = (1 - w) * base[from + d]! + w * other[at + d]!;
      }
    }
    frames.push(f);
  }
  return { frames, dim };
}

function firstLabels(): Int32Array {
  const l = new Int32Array(ROWS * COLS);
  for (let r = 0; r < ROWS; r++) {
    for (let c = 0; c < COLS; c++) {
      if (r >= 4 && r < 12 && c >= 6 && c < 15) l[r * COLS + c] = 1;
      else if ((r - 15) ** 2 + (c - 22) ** 2 <= 9) l[r * COLS + c] = 2;
    }
  }
  return l;
}

async function compare(options: PropagationOptions & { circle: boolean }): Promise<{ worst: number; ties: number }> {
  const { frames, dim } = sequence();
  const labels = 3;
  const first = oneHot(firstLabels(), labels);
  const propagator = new LabelPropagator({ rows: ROWS, cols: COLS }, dim, labels, { ...options, neighbourhood: options.circle ? 'circle' : 'square' });
  await propagator.start(Features.fromPatches(frames[0]!, { rows: ROWS, cols: COLS }, dim), first);
  const ours: Float32Array[] = [];
  for (const f of frames.slice(1)) ours.push(await propagator.step(Features.fromPatches(f, { rows: ROWS, cols: COLS }, dim)));

  const dir = await mkdtemp(join(tmpdir(), 'propagate-'));
  try {
    const all = new Float32Array(frames.length * ROWS * COLS * dim);
    frames.forEach((f, i) => all.set(f, i * f.length));
    await writeNpy(join(dir, 'frames.npy'), all, [frames.length, ROWS, COLS, dim]);
    await writeNpy(join(dir, 'first.npy'), first, [ROWS * COLS, labels]);
    const o = propagator.options;
    await writeFile(join(dir, 'options.json'), JSON.stringify({ contextFrames: o.contextFrames, topK: o.topK, temperature: o.temperature, radius: o.radius, circle: o.circle }));
    const run = spawnSync(python, [join(projectRoot, 'test', 'fixtures', 'propagate_reference.py'), dir], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const ref = (await readNpy(join(dir, 'probs.npy'))).data as Float64Array;
    const ties = (await readNpy(join(dir, 'ties.npy'))).data as Uint8Array;
    let worst = 0;
    const n = ROWS * COLS;
    ours.forEach((p, t) => {
      expect(p.length).toBe(n * labels);
      for (let i = 0; i < n * labels; i++) {
        // A near-tie at the k-th score (< 1e-6 apart, seen in float64) has no float32-stable top-k set.
        if (ties[t * n + Math.floor(i / labels)]) continue;
        worst = Math.max(worst, Math.abs(p[i]! - ref[t * n * labels + i]!));
      }
    });
    return { worst, ties: ties.reduce((s, v) => s + v, 0) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('label propagation', () => {
  it('defaults (context 7, top-5, temperature 0.2, circle of radius 12): soft labels within 1e-5 of NumPy', async () => {
    const r = await compare({ circle: true });
    expect(r.ties).toBeLessThanOrEqual(2);
    expect(r.worst).toBeLessThanOrEqual(1e-5);
  });

  it('a context ring of 2 (wraps), top-3, square window of 4, temperature 0.1: within 1e-5', async () => {
    const r = await compare({ contextFrames: 2, topK: 3, radius: 4, temperature: 0.1, circle: false });
    expect(r.ties).toBeLessThanOrEqual(2);
    expect(r.worst).toBeLessThanOrEqual(1e-5);
  });

  it('no neighbourhood limit and no recent frames (first frame only): within 1e-5', async () => {
    const r = await compare({ contextFrames: 0, radius: 0, circle: true });
    expect(r.ties).toBeLessThanOrEqual(2);
    expect(r.worst).toBeLessThanOrEqual(1e-5);
  });

  it('a frame identical to the first gets the first frame labels back', async () => {
    const { frames, dim } = sequence();
    const grid = { rows: ROWS, cols: COLS };
    const p = new LabelPropagator(grid, dim, 3);
    const labels = firstLabels();
    await p.start(Features.fromPatches(frames[0]!, grid, dim), oneHot(labels, 3));
    const probs = await p.step(Features.fromPatches(frames[0]!, grid, dim));
    const hard = hardLabels(probs, 3);
    let same = 0;
    for (let i = 0; i < labels.length; i++) same += hard[i] === labels[i] ? 1 : 0;
    expect(same / labels.length).toBeGreaterThan(0.9);
  });

  it('helpers: centre sampling, one-hot, min-max arg-max, nearest upsampling; shape errors are coded', async () => {
    // 4x6 pixels onto a 2x3 grid: the centre pixels (1, 1), (1, 3), (1, 5), (3, ...) decide.
    const px = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 5, 0, 6]);
    expect([...labelsOnGrid(px, 6, 4, { rows: 2, cols: 3 })]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...oneHot(Int32Array.from([2, 0]), 3)]).toEqual([0, 0, 1, 1, 0, 0]);
    // Label 1 is never large in absolute terms but is, after its min-max rescale, at patch 1.
    const probs = Float32Array.from([0.9, 0.1, 0.6, 0.3, 0.95, 0.05]);
    expect([...hardLabels(probs, 2)]).toEqual([0, 1, 0]);
    expect([...labelsToPixels(Int32Array.from([1, 2, 3, 4]), { rows: 2, cols: 2 }, 4, 2)]).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    const p = new LabelPropagator({ rows: 2, cols: 2 }, 4, 2);
    await expect(p.step(Features.fromPatches(new Float32Array(16), { rows: 2, cols: 2 }, 4))).rejects.toMatchObject({ code: 'ERR_DINO_INVALID_ARGUMENT' });
    await p.start(Features.fromPatches(new Float32Array(16).fill(1), { rows: 2, cols: 2 }, 4), new Float32Array(8));
    await expect(p.step(Features.fromPatches(new Float32Array(12), { rows: 1, cols: 3 }, 4))).rejects.toMatchObject({ code: 'ERR_DINO_SHAPE_MISMATCH' });
    // Steps run in order: a second one while the first runs is refused, the first still completes.
    const frame = Features.fromPatches(new Float32Array(16).fill(2), { rows: 2, cols: 2 }, 4);
    const first = p.step(frame);
    await expect(p.step(frame)).rejects.toMatchObject({ code: 'ERR_DINO_INVALID_ARGUMENT' });
    expect((await first).length).toBe(8);
  });
});
