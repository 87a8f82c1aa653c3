/**
 * The precision ladder of `precision: 'best'`: which engine precisions to try on this machine,
 * in which order, and which one to accept. bf16 first (TensorRT 10.x, compute capability 8.0+:
 * fp32's exponent range, so DINOv3's attention logits cannot overflow), then fp16 with
 * LayerNorm and attention pinned to fp32, then fp32. The first candidate whose outputs on a real
 * photo have no NaN/Infinity and reach the per-token cosine bar against ONNX Runtime fp32 wins;
 * every candidate's result and the reason it was rejected or skipped are recorded.
 *
 * Pure decision logic: building and measuring a candidate is the caller's `evaluate`.
 * Internal: not part of the public API.
 * @module
 */
import { DinoError, isDinoError } from '../errors';
import type { AccuracyReport } from './accuracy';
import type { Precision } from './options';

/** Precision of a built engine. */
export type EnginePrecision = 'fp32' | 'fp16' | 'bf16';

/** What happened to one candidate precision. */
export interface CandidateResult {
  precision: EnginePrecision;
  /**
   * 'accepted': passed the accuracy check (the engine in use); 'rejected': built but failed the
   * check (NaN/Infinity or cosine below the bar); 'failed': TensorRT could not build it;
   * 'skipped': not possible on this machine or TensorRT version.
   */
  outcome: 'accepted' | 'rejected' | 'failed' | 'skipped';
  /** Why, in words (always set). */
  reason: string;
  /** The accuracy check, for accepted and rejected candidates. */
  accuracy?: AccuracyReport;
  /** The result came from the engine cache (an earlier build on this machine). */
  fromCache?: boolean;
}

/** The machine facts the ladder depends on. */
export interface LadderMachine {
  /** TensorRT version, e.g. "10.3.0". */
  tensorrt: string;
  /** CUDA compute capability, e.g. "8.7". */
  computeCapability: string;
}

/** Candidates to evaluate, in order, and those skipped with their reasons. */
export interface LadderPlan {
  candidates: EnginePrecision[];
  skipped: CandidateResult[];
}

const major = (version: string): number => Number(version.split('.')[0]);

/** Why bf16 cannot be built here, or undefined when it can. */
export function bf16Unavailable(machine: LadderMachine): string | undefined {
  const trt = major(machine.tensorrt);
  if (trt < 10) return `bf16 needs TensorRT 10 or newer; this is TensorRT ${machine.tensorrt}`;
  if (trt >= 11) return `TensorRT ${machine.tensorrt} builds strongly typed networks: bf16 needs a bf16 ONNX export`;
  const cc = Number(machine.computeCapability);
  if (!(cc >= 8)) return `bf16 needs a GPU of compute capability 8.0 or newer (Ampere, Orin); this one is ${machine.computeCapability}`;
  return undefined;
}

/**
 * The candidates for a requested precision.
 * @throws DinoError ERR_DINO_ENGINE_BUILD when an explicit precision cannot be built here
 */
export function planLadder(precision: Precision, machine: LadderMachine, onnxIsFp16: boolean): LadderPlan {
  const trt = major(machine.tensorrt);
  if (precision === 'bf16') {
    const why = bf16Unavailable(machine);
    if (why) throw new DinoError('ERR_DINO_ENGINE_BUILD', `Cannot build a bf16 TensorRT engine: ${why}. Use precision 'fp16', 'fp32' or 'best'.`);
    return { candidates: ['bf16'], skipped: [] };
  }
  if (trt >= 11) {
    // Strongly typed: the engine runs in the ONNX's own precision.
    const own: EnginePrecision = onnxIsFp16 ? 'fp16' : 'fp32';
    if (precision !== 'best' && precision !== own) {
      throw new DinoError(
        'ERR_DINO_ENGINE_BUILD',
        `TensorRT ${machine.tensorrt} builds strongly typed engines: the precision follows the ONNX (${own}). ` +
          `For ${precision}, export the model in that dtype: python tools/export-onnx.py --dtype ${precision}`,
      );
    }
    const strongly = `TensorRT ${machine.tensorrt} builds strongly typed engines in the ONNX's precision (${own})`;
    const others = (['bf16', 'fp16', 'fp32'] as const).filter((p) => p !== own);
    return { candidates: [own], skipped: precision === 'best' ? others.map((p) => ({ precision: p, outcome: 'skipped', reason: strongly })) : [] };
  }
  if (precision !== 'best') return { candidates: [precision], skipped: [] };
  const why = bf16Unavailable(machine);
  return why
    ? { candidates: ['fp16', 'fp32'], skipped: [{ precision: 'bf16', outcome: 'skipped', reason: why }] }
    : { candidates: ['bf16', 'fp16', 'fp32'], skipped: [] };
}

/** One candidate evaluated: its accuracy check (built now or remembered by the cache). */
export interface Evaluated {
  accuracy: AccuracyReport;
  fromCache: boolean;
}

/** The ladder's outcome: the accepted candidate's evaluation (if any) and every result. */
export interface LadderOutcome<T extends Evaluated> {
  accepted: { precision: EnginePrecision; evaluation: T } | undefined;
  results: CandidateResult[];
}

/**
 * Evaluates the candidates in order and accepts the first that passes its accuracy check. A
 * candidate TensorRT cannot build (ERR_DINO_ENGINE_BUILD) is recorded as failed and the next one
 * tried; any other error (aborted, unsupported op, out of memory) ends the ladder. When the last
 * candidate fails to build, its error is thrown.
 */
export async function runLadder<T extends Evaluated>(
  plan: LadderPlan,
  evaluate: (precision: EnginePrecision, earlier: readonly CandidateResult[]) => Promise<T>,
): Promise<LadderOutcome<T>> {
  const results: CandidateResult[] = [...plan.skipped];
  for (const [i, precision] of plan.candidates.entries()) {
    let evaluation: T;
    try {
      evaluation = await evaluate(precision, [...results]);
    } catch (err) {
      const last = i === plan.candidates.length - 1;
      if (last || !isDinoError(err, 'ERR_DINO_ENGINE_BUILD')) throw err;
      results.push({ precision, outcome: 'failed', reason: `TensorRT could not build it: ${(err as Error).message.split('\n')[0]}` });
      continue;
    }
    const a = evaluation.accuracy;
    const cached = evaluation.fromCache ? ' (remembered by the engine cache)' : '';
    if (a.passed) {
      results.push({
        precision,
        outcome: 'accepted',
        reason: `no NaN/Infinity, min per-token cosine ${a.minCosine.toFixed(5)} >= ${a.minRequired}${cached}`,
        accuracy: a,
        fromCache: evaluation.fromCache,
      });
      return { accepted: { precision, evaluation }, results };
    }
    results.push({ precision, outcome: 'rejected', reason: `${a.reason ?? 'failed the accuracy check'}${cached}`, accuracy: a, fromCache: evaluation.fromCache });
  }
  return { accepted: undefined, results };
}

/** One line per candidate, e.g. "bf16 skipped: ...; fp16 rejected: ...; fp32 accepted: ...". */
export function describeLadder(results: readonly CandidateResult[]): string {
  return results.map((r) => `${r.precision} ${r.outcome}: ${r.reason}`).join('; ');
}
