/**
 * Warm loads: a model whose TensorRT engine is cached is prepared from the graph facts (one pass
 * of the streaming inspector), without an ONNX Runtime session, without hashing the ONNX while
 * its size and mtime match the sidecar's record, and with one read of the plan. Runs on every
 * machine: the cached plan is arbitrary bytes (it is never deserialised here) and the machine
 * facts of the key are given, not read from TensorRT — nothing here claims a TensorRT result.
 */
import { copyFileSync, mkdtempSync, readFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it, vi } from 'vitest';

const counts = vi.hoisted(() => ({ inspect: 0, sha: 0, planReads: 0 }));

vi.mock('../lib/onnx/inspect', async (importOriginal) => {
  const real = await importOriginal<typeof import('../lib/onnx/inspect')>();
  return {
    ...real,
    inspectOnnx: (...args: Parameters<typeof real.inspectOnnx>) => {
      counts.inspect++;
      return real.inspectOnnx(...args);
    },
  };
});
vi.mock('../lib/tensorrt/cache-key', async (importOriginal) => {
  const real = await importOriginal<typeof import('../lib/tensorrt/cache-key')>();
  return {
    ...real,
    onnxSha256: (...args: Parameters<typeof real.onnxSha256>) => {
      counts.sha++;
      return real.onnxSha256(...args);
    },
  };
});
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const readFile = ((...args: Parameters<typeof real.readFile>) => {
    if (String(args[0]).endsWith('.engine')) counts.planReads++;
    return real.readFile(...args);
  }) as typeof real.readFile;
  return { ...real, readFile, default: { ...real, readFile } };
});

import { OnnxRuntimeBackend } from '../lib/backends/onnxruntime';
import { detectContract } from '../lib/model/contract';
import { readGraphFacts } from '../lib/model/graph-facts';
import { candidateFields, prepareEngine, type Environment } from '../lib/tensorrt/build-engine';
import { engineKey, onnxSha256 } from '../lib/tensorrt/cache-key';
import { EngineCache, type EngineRecord } from '../lib/tensorrt/engine-cache';
import { resolveProfile } from '../lib/tensorrt/profile';
import { tinyModel } from './helpers/models';

const env: Environment = { tensorrt: '10.3.0', cuda: '12.6', gpu: 'Orin (given, not detected)', computeCapability: '8.7' };

function reset(): void {
  counts.inspect = 0;
  counts.sha = 0;
  counts.planReads = 0;
}

describe('warm load of a cached engine', () => {
  const ortCreate = vi.spyOn(OnnxRuntimeBackend, 'create');
  afterEach(() => ortCreate.mockClear());

  it('inspects once, starts no ONNX Runtime session, hashes only when size/mtime changed, reads the plan once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dinov3-warm-'));
    const onnx = join(dir, 'model.onnx');
    copyFileSync(tinyModel({ depth: 1, seed: 3 }), onnx);
    const cacheDir = join(dir, 'engines');
    const options = { precision: 'fp32' as const, cacheDir };

    // An engine cached earlier (by another process): its sidecar has no stamp yet.
    const facts = await readGraphFacts(onnx);
    const contract = detectContract(facts.inputs, facts.outputs, facts);
    const profile = resolveProfile({}, contract.patchSize, contract.fixedSize, contract.fixedBatch);
    const fields = candidateFields(await onnxSha256(onnx), env, 'fp32', profile, options);
    const key = engineKey(fields);
    const plan = Buffer.from('arbitrary bytes standing for a serialized plan (never deserialised here)');
    const record: EngineRecord = {
      format: 1,
      key,
      fields,
      onnxPath: onnx,
      precision: 'fp32',
      accuracy: { passed: true, minCosine: 1, meanCosine: 1, maxAbsDiff: 0, nonFinite: 0, minRequired: 0.99, probeShape: profile.opt },
      decision: 'fp32 passed the accuracy check',
      plan: undefined,
      builtAt: new Date(0).toISOString(),
      buildMs: 1,
      warnings: [],
    };
    await new EngineCache(cacheDir).store(record, plan);

    // First load: no stamp in the sidecar, so the ONNX is hashed once and the stamp recorded.
    reset();
    const first = await prepareEngine(onnx, options, { env });
    expect(first.info.fromCache).toBe(true);
    expect(first.info.key).toBe(key);
    expect(first.plan.equals(plan)).toBe(true);
    expect(counts).toEqual({ inspect: 1, sha: 1, planReads: 1 });
    expect(ortCreate).not.toHaveBeenCalled();
    const sidecar = JSON.parse(readFileSync(join(cacheDir, `${key}.json`), 'utf8')) as EngineRecord;
    expect(sidecar.onnxStamp?.files[0]?.path).toBe(onnx);

    // Second load: size and mtime match the sidecar: no hashing at all.
    reset();
    const second = await prepareEngine(onnx, options, { env });
    expect(second.info.key).toBe(key);
    expect(counts).toEqual({ inspect: 1, sha: 0, planReads: 1 });

    // With the loader's graph facts: not even the inspector runs again.
    reset();
    await prepareEngine(onnx, options, { env, graph: facts });
    expect(counts).toEqual({ inspect: 0, sha: 0, planReads: 1 });

    // A touched file (same bytes, new mtime) is hashed again, still hits, and is restamped.
    utimesSync(onnx, new Date(), new Date(Date.now() + 5000));
    reset();
    const touched = await prepareEngine(onnx, options, { env, graph: facts });
    expect(touched.info.fromCache).toBe(true);
    expect(counts).toEqual({ inspect: 0, sha: 1, planReads: 1 });
    reset();
    await prepareEngine(onnx, options, { env, graph: facts });
    expect(counts.sha).toBe(0);
    expect(ortCreate).not.toHaveBeenCalled();
  });

  it("precision 'best' from the cache: the ladder replays remembered rejections without building or starting ONNX Runtime", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dinov3-warm-ladder-'));
    const onnx = join(dir, 'model.onnx');
    copyFileSync(tinyModel({ depth: 1, seed: 4 }), onnx);
    const cacheDir = join(dir, 'engines');
    const cache = new EngineCache(cacheDir);
    const facts = await readGraphFacts(onnx);
    const contract = detectContract(facts.inputs, facts.outputs, facts);
    const profile = resolveProfile({}, contract.patchSize, contract.fixedSize, contract.fixedBatch);
    const sha = await onnxSha256(onnx);
    const store = async (precision: 'bf16' | 'fp16' | 'fp32', passed: boolean, reason?: string): Promise<string> => {
      const fields = candidateFields(sha, env, precision, profile, { cacheDir });
      const key = engineKey(fields);
      await cache.store(
        {
          format: 1,
          key,
          fields,
          onnxPath: onnx,
          precision,
          accuracy: { passed, minCosine: passed ? 1 : 0.2, meanCosine: 1, maxAbsDiff: 0, nonFinite: 0, minRequired: 0.999, probeShape: profile.opt, ...(reason ? { reason } : {}) },
          decision: '',
          plan: undefined,
          builtAt: new Date(0).toISOString(),
          buildMs: 1,
          warnings: [],
        },
        passed ? Buffer.from(`arbitrary ${precision} plan bytes`) : undefined,
      );
      return key;
    };
    await store('bf16', false, 'remembered: NaN');
    await store('fp16', false, 'remembered: low cosine');
    const fp32 = await store('fp32', true);
    reset();
    const got = await prepareEngine(onnx, { precision: 'best', cacheDir }, { env, graph: facts });
    expect(got.info.key).toBe(fp32);
    expect(got.info.precision).toBe('fp32');
    expect(got.info.candidates.map((c) => [c.precision, c.outcome, c.fromCache])).toEqual([
      ['bf16', 'rejected', true],
      ['fp16', 'rejected', true],
      ['fp32', 'accepted', true],
    ]);
    expect(got.info.decision).toMatch(/^bf16 rejected: remembered: NaN \(remembered by the engine cache\); fp16 rejected: remembered: low cosine/);
    expect(counts.planReads).toBe(1); // rejected candidates keep no plan
    expect(ortCreate).not.toHaveBeenCalled();
  });

  it('a cached engine is judged at the bar asked for now (kept at 0.99, refused at 0.999) without rebuilding', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dinov3-warm-bar-'));
    const onnx = join(dir, 'model.onnx');
    copyFileSync(tinyModel({ depth: 1, seed: 6 }), onnx);
    const cacheDir = join(dir, 'engines');
    const facts = await readGraphFacts(onnx);
    const contract = detectContract(facts.inputs, facts.outputs, facts);
    const profile = resolveProfile({}, contract.patchSize, contract.fixedSize, contract.fixedBatch);
    const fields = candidateFields(await onnxSha256(onnx), env, 'fp16', profile, { cacheDir });
    const key = engineKey(fields);
    await new EngineCache(cacheDir).store(
      {
        format: 1,
        key,
        fields,
        onnxPath: onnx,
        precision: 'fp16',
        accuracy: { passed: true, minCosine: 0.995, meanCosine: 0.998, maxAbsDiff: 0.1, nonFinite: 0, minRequired: 0.99, probeShape: profile.opt },
        decision: '',
        plan: undefined,
        builtAt: new Date(0).toISOString(),
        buildMs: 1,
        warnings: [],
      },
      Buffer.from('arbitrary fp16 plan bytes'),
    );
    const kept = await prepareEngine(onnx, { precision: 'fp16', cacheDir, minCosine: 0.99 }, { env, graph: facts });
    expect(kept.info).toMatchObject({ key, precision: 'fp16', fromCache: true });
    const refused = prepareEngine(onnx, { precision: 'fp16', cacheDir }, { env, graph: facts });
    await expect(refused).rejects.toMatchObject({ code: 'ERR_DINO_PRECISION', message: expect.stringMatching(/fp16 rejected: per-token cosine similarity to ONNX Runtime fell to 0\.9950 \(< 0\.999\) \(remembered by the engine cache\)/) });
    expect(ortCreate).not.toHaveBeenCalled();
  });
});
