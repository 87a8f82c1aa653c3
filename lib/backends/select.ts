/**
 * Chooses and creates the backend for a model: TensorRT where this build and machine have it
 * (engine built or taken from the cache), else ONNX Runtime — and says why when it falls back.
 * Internal: not part of the public API.
 * @module
 */
import { debuglog } from 'node:util';

import { native } from '../binding';
import { DinoError, isDinoError } from '../errors';
import type { LoadOptions } from '../options';
import type { GraphInfo } from '../model/graph-facts';
import { prepareEngine, type EngineInfo } from '../tensorrt/build-engine';
import type { Backend } from './backend';
import { OnnxRuntimeBackend } from './onnxruntime';
import { TensorRtBackend } from './tensorrt';

const log = debuglog('dinov3');

export interface BackendSelection {
  backend: Backend;
  /** The TensorRT engine in use. */
  engine?: EngineInfo;
  /** Why 'auto' did not pick TensorRT. */
  fallbackReason?: string;
}

function tensorrtUnavailable(): string | undefined {
  const caps = native().capabilities();
  if (!caps.cuda.available) return `CUDA is not available (${caps.cuda.reason ?? 'no device'})`;
  if (!caps.tensorrt.available) return `TensorRT is not available (${caps.tensorrt.reason ?? 'not built'})`;
  return undefined;
}

async function tensorrtBackend(modelPath: string, options: LoadOptions, graph: GraphInfo | undefined): Promise<BackendSelection> {
  // The plan bytes come with the engine: read once, checked against the sidecar, deserialised.
  const { info: engine, plan } = await prepareEngine(modelPath, options.tensorrt ?? {}, graph ? { graph } : {});
  try {
    return { backend: await TensorRtBackend.fromPlan(plan), engine };
  } catch (err) {
    if (!engine.fromCache || !isDinoError(err, 'ERR_DINO_ENGINE_CORRUPT')) throw err;
    process.emitWarning(`Cached TensorRT engine ${engine.planPath} failed to deserialize (${err.message}); rebuilding it`, {
      code: 'DINOV3_ENGINE_STALE',
    });
    const rebuilt = await prepareEngine(modelPath, { ...options.tensorrt, force: true }, graph ? { graph } : {});
    return { backend: await TensorRtBackend.fromPlan(rebuilt.plan), engine: rebuilt.info };
  }
}

/**
 * @param graph the model's graph facts when the caller has read them (a cached engine then needs
 *   no second pass over the ONNX)
 */
export async function createBackend(modelPath: string, options: LoadOptions, graph?: GraphInfo): Promise<BackendSelection> {
  const choice = options.backend ?? 'auto';
  if (choice !== 'auto' && choice !== 'onnxruntime' && choice !== 'tensorrt') {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `Unknown backend '${String(choice)}'; use 'auto', 'onnxruntime' or 'tensorrt'`);
  }
  const ort = async (): Promise<Backend> =>
    OnnxRuntimeBackend.create(modelPath, {
      ...(options.threads === undefined ? {} : { intraOpThreads: options.threads }),
      ...(options.sessions === undefined ? {} : { sessions: options.sessions }),
      ...(options.spinning === undefined ? {} : { spinning: options.spinning }),
      ...(options.interOpThreads === undefined ? {} : { interOpThreads: options.interOpThreads }),
      ...(options.executionMode === undefined ? {} : { executionMode: options.executionMode }),
    });
  if (choice === 'onnxruntime') return { backend: await ort() };
  const unavailable = tensorrtUnavailable();
  if (choice === 'tensorrt') {
    if (unavailable) throw new DinoError('ERR_DINO_TENSORRT_UNAVAILABLE', `The TensorRT backend cannot run here: ${unavailable}`);
    return tensorrtBackend(modelPath, options, graph);
  }
  if (unavailable) {
    log('backend auto: ONNX Runtime, because %s', unavailable);
    return { backend: await ort(), fallbackReason: unavailable };
  }
  try {
    return await tensorrtBackend(modelPath, options, graph);
  } catch (err) {
    if (isDinoError(err, 'ERR_DINO_ABORTED') || isDinoError(err, 'ERR_DINO_FILE_NOT_FOUND')) throw err;
    const reason = `TensorRT failed (${isDinoError(err) ? `${err.code}: ` : ''}${(err as Error).message})`;
    process.emitWarning(`dinov3-trt: using ONNX Runtime instead of TensorRT: ${reason}`, { code: 'DINOV3_BACKEND_FALLBACK' });
    return { backend: await ort(), fallbackReason: reason };
  }
}
