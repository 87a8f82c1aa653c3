/**
 * The precision ladder's decisions, with injected candidate results: which precisions are tried
 * on which TensorRT/GPU, which one is accepted, and what is recorded for each. The accuracy
 * reports here are computed from made-up output arrays to drive the decision logic; none of
 * them is, or claims to be, a TensorRT result (those come from test/tensorrt.test.ts on a
 * machine with TensorRT).
 */
import { describe, expect, it } from 'vitest';

import { isDinoError, DinoError } from '../lib/errors';
import { accuracyReport, compareRows, type AccuracyReport } from '../lib/tensorrt/accuracy';
import { describeLadder, planLadder, runLadder, type EnginePrecision } from '../lib/tensorrt/ladder';
import { prepareEngine } from '../lib/tensorrt/build-engine';
import { rejected } from './helpers/errors';
import { tinyModel } from './helpers/models';

const orin = { tensorrt: '10.3.0', computeCapability: '8.7' };

/** An accuracy report of outputs that differ from the reference as asked. */
function report(kind: 'exact' | 'nan' | 'drift'): AccuracyReport {
  const ref = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 0.7) + 0.1);
  const got = ref.map((v, i) => (kind === 'nan' && i === 9 ? Number.NaN : kind === 'drift' && i % 8 === 0 ? v + 0.5 : v));
  return accuracyReport([compareRows(got, ref, 8)], 0.999, [1, 3, 224, 224]);
}

describe('ladder plan', () => {
  it('TensorRT 10 on Orin: bf16, then fp16, then fp32', () => {
    expect(planLadder('best', orin, false)).toEqual({ candidates: ['bf16', 'fp16', 'fp32'], skipped: [] });
  });

  it('TensorRT 8.x: bf16 skipped with the reason', () => {
    const p = planLadder('best', { tensorrt: '8.6.2', computeCapability: '8.7' }, false);
    expect(p.candidates).toEqual(['fp16', 'fp32']);
    expect(p.skipped).toEqual([{ precision: 'bf16', outcome: 'skipped', reason: expect.stringMatching(/TensorRT 10 or newer; this is TensorRT 8\.6\.2/) }]);
  });

  it('a GPU older than Ampere: bf16 skipped', () => {
    const p = planLadder('best', { tensorrt: '10.3.0', computeCapability: '7.2' }, false);
    expect(p.candidates).toEqual(['fp16', 'fp32']);
    expect(p.skipped[0]?.reason).toMatch(/compute capability 8\.0 or newer .* 7\.2/);
  });

  it('TensorRT 11: the ONNX precision only, the rest skipped as strongly typed', () => {
    const p = planLadder('best', { tensorrt: '11.1.0', computeCapability: '8.7' }, false);
    expect(p.candidates).toEqual(['fp32']);
    expect(p.skipped.map((s) => s.precision)).toEqual(['bf16', 'fp16']);
    expect(planLadder('best', { tensorrt: '11.1.0', computeCapability: '8.7' }, true).candidates).toEqual(['fp16']);
    const err = (() => {
      try {
        planLadder('fp16', { tensorrt: '11.1.0', computeCapability: '8.7' }, false);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isDinoError(err, 'ERR_DINO_ENGINE_BUILD') && err.message).toMatch(/--dtype fp16/);
  });

  it('explicit bf16: accepted on TensorRT 10, a clear error before', () => {
    expect(planLadder('bf16', orin, false).candidates).toEqual(['bf16']);
    expect(() => planLadder('bf16', { tensorrt: '8.5.2', computeCapability: '8.7' }, false)).toThrow(/bf16 TensorRT engine: bf16 needs TensorRT 10 or newer; this is TensorRT 8\.5\.2/);
    expect(planLadder('fp16', orin, false).candidates).toEqual(['fp16']);
  });
});

describe('ladder decision', () => {
  it('accepts the first candidate without NaN and above the cosine bar, recording why the others lost', async () => {
    const tried: EnginePrecision[] = [];
    const given: Record<EnginePrecision, AccuracyReport> = { bf16: report('nan'), fp16: report('drift'), fp32: report('exact') };
    const out = await runLadder(planLadder('best', orin, false), async (p, earlier) => {
      expect(earlier.map((r) => r.precision)).toEqual(tried);
      tried.push(p);
      return { accuracy: given[p], fromCache: false };
    });
    expect(tried).toEqual(['bf16', 'fp16', 'fp32']);
    expect(out.accepted?.precision).toBe('fp32');
    expect(out.results.map((r) => [r.precision, r.outcome])).toEqual([
      ['bf16', 'rejected'],
      ['fp16', 'rejected'],
      ['fp32', 'accepted'],
    ]);
    expect(out.results[0]?.reason).toMatch(/NaN\/Infinity/);
    expect(out.results[1]?.reason).toMatch(/cosine similarity to ONNX Runtime fell to 0\.9\d+ \(< 0\.999\)/);
    expect(describeLadder(out.results)).toMatch(/^bf16 rejected: .*; fp16 rejected: .*; fp32 accepted: no NaN\/Infinity, min per-token cosine 1\.00000/);
  });

  it('stops at the first accepted candidate (bf16 on Orin)', async () => {
    const tried: EnginePrecision[] = [];
    const out = await runLadder(planLadder('best', orin, false), async (p) => {
      tried.push(p);
      return { accuracy: report('exact'), fromCache: p === 'bf16' };
    });
    expect(tried).toEqual(['bf16']);
    expect(out.results).toEqual([expect.objectContaining({ precision: 'bf16', outcome: 'accepted', fromCache: true, reason: expect.stringMatching(/remembered by the engine cache/) })]);
  });

  it('a candidate TensorRT cannot build is recorded as failed and the next one tried', async () => {
    const out = await runLadder(planLadder('best', orin, false), async (p) => {
      if (p === 'bf16') throw new DinoError('ERR_DINO_ENGINE_BUILD', 'no bf16 tactic for layer X\nmore log');
      return { accuracy: report('exact'), fromCache: false };
    });
    expect(out.results[0]).toEqual({ precision: 'bf16', outcome: 'failed', reason: 'TensorRT could not build it: no bf16 tactic for layer X' });
    expect(out.accepted?.precision).toBe('fp16');
  });

  it('other errors end the ladder; a last candidate that cannot build throws; nothing passing is no winner', async () => {
    const aborted = runLadder(planLadder('best', orin, false), async () => {
      throw new DinoError('ERR_DINO_ABORTED', 'stopped');
    });
    expect((await rejected(aborted)).code).toBe('ERR_DINO_ABORTED');
    const lastFails = runLadder(planLadder('fp32', orin, false), async () => {
      throw new DinoError('ERR_DINO_ENGINE_BUILD', 'out of tactics');
    });
    expect((await rejected(lastFails)).message).toBe('out of tactics');
    const none = await runLadder(planLadder('best', { tensorrt: '8.6.2', computeCapability: '8.7' }, false), async () => ({ accuracy: report('nan'), fromCache: false }));
    expect(none.accepted).toBeUndefined();
    expect(none.results.map((r) => r.outcome)).toEqual(['skipped', 'rejected', 'rejected']);
  });
});

describe('precision option', () => {
  it("'bf16' is a valid precision; TensorRT 8.x refuses it with a clear error before building", async () => {
    const env = { tensorrt: '8.6.2', cuda: '11.4', gpu: 'given, not detected', computeCapability: '8.7' };
    const err = await rejected(prepareEngine(tinyModel({ depth: 1 }), { precision: 'bf16', cacheDir: '/nonexistent-dinov3-cache' }, { env }));
    expect(err.code).toBe('ERR_DINO_ENGINE_BUILD');
    expect(err.message).toMatch(/bf16 needs TensorRT 10 or newer; this is TensorRT 8\.6\.2/);
    const bad = await rejected(prepareEngine(tinyModel({ depth: 1 }), { precision: 'int8' as never }, { env }));
    expect(bad.code).toBe('ERR_DINO_INVALID_ARGUMENT');
  });
});
