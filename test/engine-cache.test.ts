/**
 * The TensorRT engine cache and its decisions, on any machine: cache keys, sidecar validation
 * (missing, corrupt, disagreeing, truncated plan), the accuracy verdict, shape profiles, and the
 * backend choice where TensorRT is absent. These tests never produce or fake a TensorRT result;
 * the plans stored here are arbitrary bytes that exercise the file handling.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { buildEngine, capabilities, loadModel } from '../lib';
import { accuracyReport, compareRows } from '../lib/tensorrt/accuracy';
import { engineKey, onnxSha256, type EngineKeyFields } from '../lib/tensorrt/cache-key';
import { EngineCache, type EngineRecord } from '../lib/tensorrt/engine-cache';
import { checkInProfile, resolveProfile } from '../lib/tensorrt/profile';
import { rejected } from './helpers/errors';
import { tinyModel } from './helpers/models';

const fields: EngineKeyFields = {
  onnxSha256: 'a'.repeat(64),
  tensorrt: '10.3.0',
  cuda: '12.6',
  gpu: 'Orin',
  computeCapability: '8.7',
  precision: 'fp16',
  profile: { min: [1, 3, 224, 224], opt: [1, 3, 448, 448], max: [1, 3, 640, 640] },
  flags: { pinNormsFp32: false, workspaceMiB: 1024, optimizationLevel: null },
  library: 0,
};

function record(key: string, f: EngineKeyFields, passed = true): EngineRecord {
  return {
    format: 1,
    key,
    fields: f,
    onnxPath: '/models/m.onnx',
    precision: f.precision,
    accuracy: { passed, minCosine: passed ? 0.999 : 0.5, meanCosine: 0.999, maxAbsDiff: 0.01, nonFinite: 0, minRequired: 0.99, probeShape: [1, 3, 448, 448] },
    decision: passed ? 'fp16 passed' : 'fp16 failed',
    plan: undefined,
    builtAt: new Date(0).toISOString(),
    buildMs: 1,
    warnings: [],
  };
}

describe('engine cache keys', () => {
  it('are stable and change with every field', () => {
    const key = engineKey(fields);
    expect(engineKey({ ...fields })).toBe(key);
    const variants: EngineKeyFields[] = [
      { ...fields, onnxSha256: 'b'.repeat(64) },
      { ...fields, tensorrt: '8.6.2' },
      { ...fields, cuda: '12.2' },
      { ...fields, gpu: 'Xavier' },
      { ...fields, computeCapability: '7.2' },
      { ...fields, precision: 'fp32' },
      { ...fields, profile: { ...fields.profile, max: [2, 3, 640, 640] } },
      { ...fields, precision: 'bf16' },
      { ...fields, flags: { ...fields.flags, pinNormsFp32: true } },
      { ...fields, flags: { ...fields.flags, pinAttentionFp32: true } },
      { ...fields, flags: { ...fields.flags, workspaceMiB: 512 } },
      { ...fields, library: 1 },
    ];
    const keys = new Set(variants.map(engineKey));
    expect(keys.size).toBe(variants.length);
    expect(keys.has(key)).toBe(false);
  });

  it('hash the ONNX bytes (a changed model gets a new key)', async () => {
    const a = await onnxSha256(tinyModel({ depth: 1, seed: 1 }));
    const b = await onnxSha256(tinyModel({ depth: 1, seed: 2 }));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
    expect(await onnxSha256(tinyModel({ depth: 1, seed: 1 }))).toBe(a);
  });
});

describe('engine cache files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dinov3-engines-'));
  const cache = new EngineCache(dir);
  const key = engineKey(fields);
  const plan = Buffer.from('not a real plan: bytes to exercise the cache files');

  it('miss, then hit after store, with plan bytes checked', async () => {
    expect((await cache.lookup(key, fields)).status).toBe('miss');
    await cache.store(record(key, fields), plan);
    const hit = await cache.lookup(key, fields);
    expect(hit.status).toBe('hit');
    expect(hit.status === 'hit' && hit.plan?.equals(plan)).toBe(true);
    const sidecar = JSON.parse(readFileSync(cache.sidecarPath(key), 'utf8')) as EngineRecord;
    expect(sidecar.fields).toEqual(fields);
    expect(sidecar.plan?.bytes).toBe(plan.length);
  });

  it('a truncated plan is stale, not trusted', async () => {
    writeFileSync(cache.planPath(key), plan.subarray(0, 10));
    const r = await cache.lookup(key, fields);
    expect(r.status).toBe('stale');
    expect(r.status === 'stale' && r.reason).toMatch(/does not match the sidecar/);
  });

  it('a sidecar that disagrees or is corrupt is stale', async () => {
    await cache.store(record(key, fields), plan);
    expect((await cache.lookup(key, { ...fields, gpu: 'Other' })).status).toBe('stale');
    writeFileSync(cache.sidecarPath(key), '{ not json');
    const r = await cache.lookup(key, fields);
    expect(r.status === 'stale' && r.reason).toMatch(/not valid JSON/);
  });

  it('remembers a failed accuracy check without keeping the plan', async () => {
    const f32 = { ...fields, precision: 'fp32' as const };
    const k = engineKey(f32);
    await cache.store(record(k, f32, false), undefined);
    const r = await cache.lookup(k, f32);
    expect(r.status === 'hit' && r.plan).toBeUndefined();
    expect(r.status === 'hit' && r.record.accuracy.passed).toBe(false);
  });

  it('prunes engines of a model whose bytes changed', async () => {
    const k = engineKey(fields);
    await cache.store(record(k, fields), plan);
    expect(await cache.pruneReplaced('/models/m.onnx', 'c'.repeat(64))).toContain(k);
    expect((await cache.lookup(k, fields)).status).toBe('miss');
  });
});

describe('accuracy verdict', () => {
  it('passes equal outputs and fails NaN or drift', () => {
    const ref = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i));
    expect(accuracyReport([compareRows(ref.slice(), ref, 8)], 0.99, [1, 3, 32, 32]).passed).toBe(true);
    const nan = ref.slice();
    nan[3] = Number.NaN;
    const r1 = accuracyReport([compareRows(nan, ref, 8)], 0.99, [1, 3, 32, 32]);
    expect(r1.passed).toBe(false);
    expect(r1.reason).toMatch(/NaN/);
    const drift = ref.map((v, i) => (i < 8 ? -v : v));
    const r2 = accuracyReport([compareRows(drift, ref, 8)], 0.99, [1, 3, 32, 32]);
    expect(r2.passed).toBe(false);
    expect(r2.minCosine).toBeCloseTo(-1, 5);
  });
});

describe('engine shape profiles', () => {
  it('resolve sizes and batch, and reject bad ones', () => {
    expect(resolveProfile({ sizes: { min: 224, opt: '320x480', max: 640 }, batch: { min: 1, opt: 2, max: 4 } }, 16, undefined, undefined)).toEqual({
      min: [1, 3, 224, 224],
      opt: [2, 3, 320, 480],
      max: [4, 3, 640, 640],
    });
    expect(resolveProfile({}, 16, undefined, undefined).opt).toEqual([1, 3, 224, 224]);
    // batch N: rounds of fewer frames (a stalled stream) still fit
    expect(resolveProfile({ batch: 4 }, 16, undefined, undefined)).toEqual({ min: [1, 3, 224, 224], opt: [4, 3, 224, 224], max: [4, 3, 224, 224] });
    expect(resolveProfile({ batch: 2 }, 16, undefined, 2).min).toEqual([2, 3, 224, 224]);
    expect(() => resolveProfile({ batch: 3 }, 16, undefined, 2)).toThrow(/fixed to batch 2/);
    expect(() => resolveProfile({ sizes: 225 }, 16, undefined, undefined)).toThrow(expect.objectContaining({ code: 'ERR_DINO_SHAPE_MISMATCH' }));
    expect(() => resolveProfile({ sizes: { min: 448, opt: 224, max: 640 } }, 16, undefined, undefined)).toThrow(/min <= opt <= max/);
    expect(() => resolveProfile({ sizes: 448 }, 16, { height: 224, width: 224 }, undefined)).toThrow(/fixed to 224x224/);
    const p = resolveProfile({ sizes: { min: 224, opt: 224, max: 448 } }, 16, undefined, undefined);
    expect(() => checkInProfile([1, 3, 320, 320], p)).not.toThrow();
    expect(() => checkInProfile([1, 3, 640, 640], p)).toThrow(/outside this engine's profile/);
  });
});

describe.skipIf(capabilities().tensorrt.available)('without TensorRT', () => {
  it('buildEngine and backend tensorrt say why, backend auto falls back to ONNX Runtime', async () => {
    const model = tinyModel({ depth: 1 });
    const err = await rejected(buildEngine(model));
    expect(['ERR_DINO_TENSORRT_UNAVAILABLE', 'ERR_DINO_CUDA_UNAVAILABLE']).toContain(err.code);
    const err2 = await rejected(loadModel(model, { backend: 'tensorrt' }));
    expect(err2.code).toBe('ERR_DINO_TENSORRT_UNAVAILABLE');
    expect(err2.message).toMatch(/cannot run here/);
    await using m = await loadModel(model, { backend: 'auto' });
    expect(m.backend).toBe('onnxruntime');
    expect(m.info.fallbackReason).toMatch(/not available/);
  });
});
