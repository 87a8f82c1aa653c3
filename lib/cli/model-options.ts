/**
 * Options shared by every command that loads a model.
 * @internal
 * @module
 */
import type { BackendChoice, LoadOptions } from '../options';
import { oneOf } from '../validate';
import { int, str, type Parsed } from './args';

export function loadOptions(p: Parsed): LoadOptions {
  const o: LoadOptions = {};
  const backend = str(p, 'backend');
  if (backend !== undefined) o.backend = oneOf(backend, '--backend', ['auto', 'onnxruntime', 'tensorrt'] as const) as BackendChoice;
  const threads = int(p, 'threads');
  if (threads !== undefined) o.threads = threads;
  return o;
}
