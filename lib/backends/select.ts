/**
 * Chooses and creates the backend for a model.
 * @internal
 * @module
 */
import { DinoError } from '../errors';
import type { LoadOptions } from '../options';
import type { Backend } from './backend';
import { OnnxRuntimeBackend } from './onnxruntime';

export async function createBackend(modelPath: string, options: LoadOptions): Promise<Backend> {
  const choice = options.backend ?? 'auto';
  if (choice === 'tensorrt') {
    throw new DinoError('ERR_DINO_NO_BACKEND', 'The TensorRT backend is not available in this build');
  }
  if (choice !== 'auto' && choice !== 'onnxruntime') {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `Unknown backend '${String(choice)}'; use 'auto', 'onnxruntime' or 'tensorrt'`);
  }
  return OnnxRuntimeBackend.create(modelPath, options.threads === undefined ? {} : { intraOpThreads: options.threads });
}
