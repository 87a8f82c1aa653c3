/**
 * TensorRT backend, end to end. Runs automatically wherever this build has TensorRT and a CUDA
 * device (a Jetson, an x86 box with TensorRT) and skips with a message elsewhere. Nothing here
 * is simulated: every number comes from a real engine.
 *
 * The conformance model has LayerNormalization and the RoPE `If` node, which TensorRT 8.5 and
 * 10.3 cannot parse; the tests use a copy fixed by tools/export-onnx.py --fix-onnx --opset 16
 * (same weights) when Python with `onnx` is available (test/helpers/trt-onnx.ts).
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildEngine, capabilities, Features, isDinoError, loadModel, type Model } from '../lib';
import { rejected } from './helpers/errors';
import { cosine } from './helpers/math';
import { tinyModel } from './helpers/models';
import { conformanceCases, readF32 } from './helpers/shared';
import { conformanceOnnxForTensorRT } from './helpers/trt-onnx';

const caps = capabilities();
const available = caps.tensorrt.available && caps.cuda.available;
if (!available) console.warn(`SKIPPED TensorRT tests: ${caps.tensorrt.available ? caps.cuda.reason : caps.tensorrt.reason}`);

const cacheDir = mkdtempSync(join(tmpdir(), 'dinov3-trt-cache-'));
const cases = conformanceCases();

describe.skipIf(!available)('TensorRT backend', () => {
  let onnx: string;
  beforeAll(() => {
    const fixed = conformanceOnnxForTensorRT(cacheDir);
    if (!fixed.rewritten) console.warn(`TensorRT tests use the original conformance ONNX: the opset-16 rewrite failed (${fixed.why})`);
    onnx = fixed.path;
  });

  it('fp32 engine reproduces the reference tokens within 1e-3', async () => {
    for (const c of cases.filter((x) => x.h === 224 && x.w === 224)) {
      await using model = await loadModel(onnx, { backend: 'tensorrt', tensorrt: { precision: 'fp32', sizes: 224, cacheDir } });
      expect(model.backend).toBe('tensorrt');
      const [f] = await model.extractTensor(readF32(c, 'input.f32'), [1, 3, 224, 224]);
      expect(f!.location).toBe('cuda');
      const host = await f!.toHost();
      const ref = readF32(c, 'last_hidden_state.f32');
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs((host.tokens[i] as number) - (ref[i] as number)));
      expect(worst, c.tag).toBeLessThanOrEqual(1e-3);
    }
  }, 600_000);

  it('fp16 engine: every token of every 224 case has cosine >= 0.99 to the reference tokens', async (ctx) => {
    let model: Model;
    try {
      model = await loadModel(onnx, { backend: 'tensorrt', tensorrt: { precision: 'fp16', sizes: 224, cacheDir } });
    } catch (err) {
      // TensorRT 11 is strongly typed: an fp32 ONNX gives no fp16 engine (C++ suite: known_issue()).
      if (isDinoError(err) && /--dtype fp16/.test(err.message)) ctx.skip(`this TensorRT builds no fp16 engine from an fp32 ONNX: ${err.message}`);
      throw err;
    }
    try {
      for (const c of cases.filter((x) => x.h === 224 && x.w === 224)) {
        const [f] = await model.extractTensor(readF32(c, 'input.f32'), [1, 3, 224, 224]);
        const host = await f!.toHost();
        const ref = readF32(c, 'last_hidden_state.f32');
        expect(host.tokens.length).toBe(ref.length);
        let worst = 1;
        for (let t = 0; t < c.tokens; t++) {
          const a = host.tokens.subarray(t * c.dim, (t + 1) * c.dim);
          expect(a.every(Number.isFinite), `${c.tag} token ${t}`).toBe(true);
          worst = Math.min(worst, cosine(a, ref.subarray(t * c.dim, (t + 1) * c.dim)));
        }
        console.log(`${c.tag}: fp16 min token cosine to the reference ${worst.toFixed(5)}`);
        expect(worst, c.tag).toBeGreaterThanOrEqual(0.99);
        f!.dispose();
      }
    } finally {
      await model.dispose();
    }
  }, 600_000);

  it('precision best records why it chose what it chose', async () => {
    const info = await buildEngine(onnx, { precision: 'best', sizes: 224, cacheDir });
    expect(info.accuracy.passed).toBe(true);
    // The ladder: every candidate before the accepted one was skipped, rejected or failed, with a reason.
    expect(info.candidates.at(-1)).toMatchObject({ precision: info.precision, outcome: 'accepted' });
    for (const c of info.candidates.slice(0, -1)) expect(['skipped', 'rejected', 'failed']).toContain(c.outcome);
    for (const c of info.candidates) expect(c.reason.length).toBeGreaterThan(0);
    expect(info.accuracy.probe).toBe('the conformance photo');
    expect(info.decision).toMatch(new RegExp(`${info.precision} accepted`));
    console.log(`best precision: ${info.precision} — ${info.decision}`);
  }, 600_000);

  it('caches engines: hit, ONNX changed, corrupt plan, tampered sidecar', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dinov3-trt-hit-'));
    const model = join(dir, 'model.onnx');
    copyFileSync(tinyModel({ opset: 16, depth: 1, seed: 1 }), model);
    const first = await buildEngine(model, { precision: 'fp32', sizes: 224, cacheDir: dir });
    expect(first.fromCache).toBe(false);
    const second = await buildEngine(model, { precision: 'fp32', sizes: 224, cacheDir: dir });
    expect(second.fromCache).toBe(true);
    expect(second.key).toBe(first.key);

    copyFileSync(tinyModel({ opset: 16, depth: 1, seed: 2 }), model); // the model changed
    const changed = await buildEngine(model, { precision: 'fp32', sizes: 224, cacheDir: dir });
    expect(changed.fromCache).toBe(false);
    expect(changed.key).not.toBe(first.key);
    expect(existsSync(first.planPath)).toBe(false); // the old engine was pruned

    truncateSync(changed.planPath, 100); // corrupt plan: rebuilt with a warning
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    const rebuilt = await buildEngine(model, { precision: 'fp32', sizes: 224, cacheDir: dir });
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    expect(rebuilt.fromCache).toBe(false);
    expect(warnings.join('\n')).toMatch(/not trusted/);

    writeFileSync(rebuilt.sidecarPath, '{"format": 1, "key": "x"}'); // tampered sidecar
    expect((await buildEngine(model, { precision: 'fp32', sizes: 224, cacheDir: dir })).fromCache).toBe(false);
    expect(readdirSync(dir).filter((n) => n.endsWith('.engine'))).toHaveLength(1);
  }, 900_000);

  describe('dynamic sizes', () => {
    let model: Model;
    beforeAll(async () => {
      model = await loadModel(tinyModel({ opset: 16, depth: 1 }), { backend: 'tensorrt', tensorrt: { precision: 'fp32', sizes: { min: 224, opt: 224, max: 448 }, cacheDir } });
    }, 600_000);
    afterAll(async () => {
      await model?.dispose();
    });

    it('inside the profile: features on the GPU, analysis on the GPU agrees with the CPU', async () => {
      const px = new Uint8Array(300 * 200 * 3).map((_, i) => (i * 31) % 256);
      const f = await model.extract({ data: px, width: 300, height: 200, format: 'rgb' }, { size: '320x448' });
      expect(f.location).toBe('cuda');
      expect(f.grid).toEqual({ rows: 20, cols: 28 });
      const host = await f.toHost();
      const cpu = Features.fromPatches(host.patches.slice(), host.grid, host.dim);
      const [g, c] = [await f.kmeans({ k: 4, seed: 3 }), await cpu.kmeans({ k: 4, seed: 3 })];
      expect(Math.abs(g.inertia - c.inertia) / c.inertia).toBeLessThan(1e-3);
      const [hs, hc] = [await f.similarity({ row: 5, col: 5 }), await cpu.similarity({ row: 5, col: 5 })];
      for (let i = 0; i < hc.values.length; i++) expect(Math.abs((hs.values[i] as number) - (hc.values[i] as number))).toBeLessThan(1e-4);
      f.dispose();
    });

    it('outside the profile: a clear error', async () => {
      const err = await rejected(model.extract({ data: new Uint8Array(64 * 64 * 3), width: 64, height: 64, format: 'rgb' }, { size: 640 }));
      expect(err.code).toBe('ERR_DINO_SHAPE_MISMATCH');
      expect(err.message).toMatch(/outside this engine's profile/);
    });

    it('dispose while running waits for the run', async () => {
      const m = await loadModel(tinyModel({ opset: 16, depth: 1 }), { backend: 'tensorrt', tensorrt: { precision: 'fp32', sizes: { min: 224, opt: 224, max: 448 }, cacheDir } });
      const px = { data: new Uint8Array(224 * 224 * 3), width: 224, height: 224, format: 'rgb' as const };
      const running = m.extract(px);
      const disposing = m.dispose();
      const settled = await Promise.allSettled([running, disposing]);
      expect(settled[1]!.status).toBe('fulfilled');
      if (settled[0]!.status === 'rejected') expect(isDinoError(settled[0].reason, 'ERR_DINO_DISPOSED')).toBe(true);
      expect((await rejected(m.extract(px))).code).toBe('ERR_DINO_DISPOSED');
    });
  });
});
