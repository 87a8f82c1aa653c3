/**
 * buildEngine(): a TensorRT engine for a DINOv3 ONNX model, from the cache when a valid one
 * exists, else built on this machine, checked against ONNX Runtime, and cached.
 * @module
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { debuglog } from 'node:util';

import { native, packageRoot, type NativeTrtBuildResult, type NativeTrtPrecision } from '../binding';
import { DinoError, toDinoError } from '../errors';
import { OnnxRuntimeBackend } from '../backends/onnxruntime';
import { detectContract } from '../model/contract';
import { readGraphFacts, type GraphInfo } from '../model/graph-facts';
import { readPreprocessorConfig } from '../model/preprocessor-config';
import { IMAGENET_MEAN, IMAGENET_STD } from '../options';
import { cancelBridge } from '../util/cancel';
import { integer, invalid, isObject, number, oneOf, signalArg, throwIfAborted } from '../validate';
import { rejudge, type AccuracyReport } from './accuracy';
import { checkEngine, hostOutputs, probeInput, type HostOutput, type Probe } from './engine-check';
import { engineKey, onnxSha256, onnxStamp, type EngineKeyFields } from './cache-key';
import { EngineCache, type EngineRecord } from './engine-cache';
import { describeLadder, planLadder, runLadder, type CandidateResult, type EnginePrecision, type Evaluated } from './ladder';
import { ENGINE_DEFAULTS, type BuildEngineOptions } from './options';
import { resolveProfile, type Profile } from './profile';

const log = debuglog('dinov3');
const LIBRARY_MAJOR = 0;

/** A built (or cached) engine. */
export interface EngineInfo {
  onnxPath: string;
  planPath: string;
  sidecarPath: string;
  key: string;
  precision: EnginePrecision;
  /** The accuracy check of the engine in use (against ONNX Runtime fp32, on the conformance photo). */
  accuracy: AccuracyReport;
  /** Why this precision, one clause per candidate: e.g. "bf16 skipped: ...; fp16 rejected: ...; fp32 accepted: ...". */
  decision: string;
  /** Every candidate precision of the ladder, in order: accepted, rejected (and why), failed or skipped. */
  candidates: CandidateResult[];
  fromCache: boolean;
  buildMs: number;
  tensorrt: string;
  profile: Profile;
}

/** Default engine cache directory: DINOV3_ENGINE_CACHE, else the package's engines/ folder. */
export function defaultCacheDir(): string {
  return resolvePath(process.env.DINOV3_ENGINE_CACHE ?? join(packageRoot, 'engines'));
}

function warn(message: string): void {
  process.emitWarning(message, { code: 'DINOV3_ENGINE_STALE' });
}

/** The machine an engine is built for (part of its cache key). Internal. */
export interface Environment {
  tensorrt: string;
  cuda: string;
  gpu: string;
  computeCapability: string;
}

function environment(): Environment {
  const b = native();
  let trt: ReturnType<typeof b.trtInfo>;
  try {
    trt = b.trtInfo();
  } catch (err) {
    throw toDinoError(err, 'ERR_DINO_TENSORRT_UNAVAILABLE');
  }
  const caps = b.capabilities();
  const device = caps.cuda.devices[0];
  if (!caps.cuda.available || !device) {
    throw new DinoError('ERR_DINO_CUDA_UNAVAILABLE', `TensorRT needs a CUDA device: ${caps.cuda.reason ?? 'none found'}`);
  }
  const rt = caps.cuda.runtimeVersion ?? 0;
  return { tensorrt: trt.runtimeVersion, cuda: `${Math.floor(rt / 1000)}.${(rt % 1000) / 10}`, gpu: device.name, computeCapability: device.computeCapability };
}

/** The cache-key fields of one candidate engine. Internal (exported for tests). */
export function candidateFields(sha: string, env: Environment, candidate: NativeTrtPrecision, profile: Profile, options: BuildEngineOptions): EngineKeyFields {
  const trtMajor = Number(env.tensorrt.split('.')[0]);
  const pin = candidate === 'fp16' && trtMajor < 11;
  return {
    onnxSha256: sha,
    ...env,
    precision: candidate,
    profile,
    flags: { pinNormsFp32: pin, pinAttentionFp32: pin, workspaceMiB: options.workspaceMiB ?? ENGINE_DEFAULTS.workspaceMiB, optimizationLevel: options.optimizationLevel ?? null },
    library: LIBRARY_MAJOR,
  };
}

function validate(options: BuildEngineOptions): void {
  if (!isObject(options as unknown)) invalid('options', 'an options object', options);
  if (options.precision !== undefined) oneOf(options.precision, 'precision', ['fp32', 'fp16', 'bf16', 'best'] as const);
  if (options.workspaceMiB !== undefined) integer(options.workspaceMiB, 'workspaceMiB', 16, 1 << 20);
  if (options.optimizationLevel !== undefined) integer(options.optimizationLevel, 'optimizationLevel', 0, 5);
  if (options.minCosine !== undefined) number(options.minCosine, 'minCosine', -1, 1);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') invalid('onProgress', 'a function', options.onProgress);
  signalArg(options.signal, 'signal');
}

/**
 * Builds (or loads from the cache) a TensorRT engine for a DINOv3 ONNX model.
 *
 * The cache key covers the ONNX bytes, TensorRT, CUDA, GPU, precision, shape profile, builder
 * flags and this library's major version; a cached plan that fails to load or disagrees with its
 * sidecar is rebuilt with a warning. With precision 'best' the ladder tries bf16 (TensorRT 10),
 * fp16 with LayerNorm and attention pinned to fp32, then fp32, and keeps the first whose outputs
 * on the conformance photo have no NaN/Infinity and a per-token cosine similarity to ONNX Runtime
 * fp32 of at least `minCosine`; the sidecar and {@link EngineInfo.candidates} record every
 * candidate and why it was accepted, rejected, failed or skipped.
 *
 * @example
 * ```ts
 * const engine = await buildEngine('dinov3-vits16.onnx', { precision: 'best', sizes: { min: 224, opt: 448, max: 640 } });
 * console.log(engine.precision, engine.candidates, engine.planPath);
 * ```
 * @throws DinoError ERR_DINO_TENSORRT_UNAVAILABLE, ERR_DINO_UNSUPPORTED_OP, ERR_DINO_ENGINE_BUILD, ERR_DINO_PRECISION, ERR_DINO_ABORTED
 */
export async function buildEngine(onnxPath: string, options: BuildEngineOptions = {}): Promise<EngineInfo> {
  return (await prepareEngine(onnxPath, options)).info;
}

/** What {@link prepareEngine} knows already (the loader has read the graph) or is told (tests). */
export interface PrepareContext {
  /** The graph facts, when the caller has read them (the ONNX is then not inspected again). */
  graph?: GraphInfo;
  /** The machine (TensorRT, CUDA, GPU); read from the addon when absent. */
  env?: Environment;
}

/** An engine and its plan bytes (read once and checked against the sidecar). */
export interface PreparedEngine {
  info: EngineInfo;
  plan: Buffer;
}

/**
 * {@link buildEngine}, returning the plan bytes too. A cached engine costs one read of its
 * sidecar(s) and plan: the contract comes from the graph facts (no ONNX Runtime session), and the
 * ONNX is hashed only when its size or mtime differ from what a sidecar recorded.
 * Internal: not part of the public API.
 */
export async function prepareEngine(onnxPath: string, options: BuildEngineOptions = {}, context: PrepareContext = {}): Promise<PreparedEngine> {
  if (typeof onnxPath !== 'string' || onnxPath.length === 0) invalid('onnxPath', 'the path of an ONNX file', onnxPath);
  validate(options);
  const abs = resolvePath(onnxPath);
  try {
    if (!(await stat(abs)).isFile()) throw new Error('not a file');
  } catch (err) {
    throw new DinoError('ERR_DINO_FILE_NOT_FOUND', `Model file not found: ${abs}`, { cause: err });
  }
  const signal = options.signal;
  const progress = options.onProgress ?? (() => undefined);
  const env = context.env ?? environment();
  const facts = context.graph ?? (await readGraphFacts(abs));
  // The ONNX Runtime reference session is started only when an engine must be built.
  let reference: OnnxRuntimeBackend | undefined;
  try {
    const contract = detectContract(facts.inputs, facts.outputs, facts);
    const profile = resolveProfile(options, contract.patchSize, contract.fixedSize, contract.fixedBatch);
    const cache = new EngineCache(resolvePath(options.cacheDir ?? defaultCacheDir()));
    const precision = options.precision ?? ENGINE_DEFAULTS.precision;
    const minCosine = options.minCosine ?? ENGINE_DEFAULTS.minCosine;
    const workspaceMiB = options.workspaceMiB ?? ENGINE_DEFAULTS.workspaceMiB;
    const stamp = await onnxStamp(facts.files);
    let sha = options.force ? undefined : await cache.knownSha(abs, stamp);
    const hashed = sha === undefined;
    if (sha === undefined) {
      progress({ phase: 'hash', step: 0, steps: 1, message: `hashing ${abs}` });
      sha = await onnxSha256(abs, facts.files);
      const pruned = await cache.pruneReplaced(abs, sha);
      if (pruned.length > 0) log('removed %d engine(s) built from an earlier version of %s', pruned.length, abs);
    }

    let probe: Probe | undefined;
    let expected: Record<string, HostOutput> | undefined;
    const timingPath = cache.timingCachePath(env.tensorrt, env.gpu);
    const plan = planLadder(precision, env, contract.inputType === 'float16');

    interface Evaluation extends Evaluated {
      info: EngineInfo;
      plan: Buffer | undefined;
    }
    const evaluate = async (candidate: EnginePrecision, earlier: readonly CandidateResult[]): Promise<Evaluation> => {
      throwIfAborted(signal, 'The engine build');
      const fields = candidateFields(sha, env, candidate, profile, options);
      const key = engineKey(fields);
      const infoOf = (p: { precision: EnginePrecision; accuracy: AccuracyReport; fromCache: boolean; buildMs: number; candidates: CandidateResult[] }): EngineInfo => ({
        onnxPath: abs,
        planPath: cache.planPath(key),
        sidecarPath: cache.sidecarPath(key),
        key,
        precision: p.precision,
        accuracy: p.accuracy,
        decision: describeLadder(p.candidates),
        candidates: p.candidates,
        fromCache: p.fromCache,
        buildMs: p.buildMs,
        tensorrt: env.tensorrt,
        profile,
      });
      if (!options.force) {
        const hit = await cache.lookup(key, fields);
        if (hit.status === 'stale') {
          warn(`Cached TensorRT engine ${cache.planPath(key)} is not trusted (${hit.reason}); rebuilding it`);
        } else if (hit.status === 'hit') {
          if (hashed) await cache.restamp(hit.record, stamp);
          // Judged at today's bar: a plan kept under a lower bar may be rejected now; a candidate
          // rejected under a higher bar that passes this one kept no plan, so it is rebuilt below.
          const accuracy = rejudge(hit.record.accuracy, minCosine);
          if (!(accuracy.passed && !hit.plan)) {
            // Deserialising is the final check of a cached plan (the caller does it); here we only hand it out.
            if (accuracy.passed) progress({ phase: 'cache', step: 1, steps: 1, message: `using cached engine ${cache.planPath(key)}` });
            const info = infoOf({ precision: hit.record.precision, accuracy, fromCache: true, buildMs: hit.record.buildMs, candidates: hit.record.candidates ?? [] });
            return { accuracy, fromCache: true, info, plan: accuracy.passed ? hit.plan : undefined };
          }
        }
      }

      // Build.
      const start = performance.now();
      const cancel = cancelBridge(signal);
      const pin = fields.flags.pinNormsFp32;
      let built: NativeTrtBuildResult;
      try {
        built = await native().trtBuildEngine(
          abs,
          {
            precision: candidate,
            pinNormsFp32: pin,
            pinAttentionFp32: pin,
            minShape: profile.min,
            optShape: profile.opt,
            maxShape: profile.max,
            inputName: contract.inputName,
            workspaceBytes: workspaceMiB * 1024 * 1024,
            ...(options.optimizationLevel === undefined ? {} : { optimizationLevel: options.optimizationLevel }),
            ...(existsSync(timingPath) ? { timingCache: await cache.readTimingCache(timingPath) } : {}),
          },
          (e) => {
            if (e.type === 'log') {
              if (e.severity === 'warning' || e.severity === 'error') log('TensorRT %s: %s', e.severity, e.message);
              return;
            }
            progress({ phase: e.phase ?? 'build', step: e.type === 'phase-finish' ? (e.steps ?? 1) : (e.step ?? 0), steps: e.steps ?? 0, message: `${candidate}: ${e.phase ?? ''}` });
          },
          cancel.token,
        );
      } catch (err) {
        throw toDinoError(err, 'ERR_DINO_ENGINE_BUILD', undefined, `Building the ${candidate} TensorRT engine failed`);
      } finally {
        cancel.dispose();
      }
      const buildMs = performance.now() - start;
      await cache.writeTimingCache(timingPath, built.timingCache);

      // Accuracy check against ONNX Runtime fp32 on the same ONNX, on a real photo.
      progress({ phase: 'check', step: 0, steps: 1, message: `${candidate}: comparing with ONNX Runtime` });
      reference ??= await OnnxRuntimeBackend.create(abs);
      if (!probe) {
        const config = await readPreprocessorConfig(abs);
        probe = await probeInput(contract, profile, config.mean ?? IMAGENET_MEAN, config.std ?? IMAGENET_STD);
      }
      expected ??= await hostOutputs(reference, contract, probe.tensor);
      const accuracy = await checkEngine(built.plan, contract, probe, expected, minCosine);
      const own: CandidateResult = accuracy.passed
        ? { precision: candidate, outcome: 'accepted', reason: `no NaN/Infinity, min per-token cosine ${accuracy.minCosine.toFixed(5)} >= ${minCosine}`, accuracy }
        : { precision: candidate, outcome: 'rejected', reason: accuracy.reason ?? 'failed the accuracy check', accuracy };
      const record: EngineRecord = {
        format: 1,
        key,
        fields,
        onnxPath: abs,
        onnxStamp: stamp,
        precision: built.precision,
        accuracy,
        decision: describeLadder([...earlier, own]),
        candidates: [...earlier, own],
        plan: undefined,
        builtAt: new Date().toISOString(),
        buildMs,
        warnings: built.log.filter((l) => l.severity === 'warning').map((l) => l.message).slice(0, 50),
      };
      await cache.store(record, accuracy.passed ? built.plan : undefined);
      if (accuracy.passed) progress({ phase: 'cache', step: 1, steps: 1, message: `stored ${cache.planPath(key)}` });
      else log('%s rejected: %s', candidate, accuracy.reason);
      const info = infoOf({ precision: built.precision, accuracy, fromCache: false, buildMs, candidates: [...earlier, own] });
      return { accuracy, fromCache: false, info, plan: accuracy.passed ? built.plan : undefined };
    };

    const outcome = await runLadder(plan, evaluate);
    if (outcome.accepted && outcome.accepted.evaluation.plan) {
      const { info, plan: bytes } = outcome.accepted.evaluation;
      // This load's ladder (a cached winner also lists what this load skipped or rejected).
      info.candidates = outcome.results;
      info.decision = describeLadder(outcome.results);
      return { info, plan: bytes };
    }
    throw new DinoError(
      'ERR_DINO_PRECISION',
      `No TensorRT ${env.tensorrt} engine for ${abs} passed the accuracy check against ONNX Runtime: ${describeLadder(outcome.results)}. ` +
        'See docs/JETSON.md for the DINOv3 bugs of this TensorRT version; the ONNX Runtime backend still works.',
      { details: { candidates: outcome.results } },
    );
  } finally {
    await reference?.dispose();
  }
}
