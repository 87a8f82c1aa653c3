/**
 * Options shared by every command that loads a model: the flags, their help and their parsing.
 * Internal: not part of the public API.
 * @module
 */
import type { BackendChoice, LoadOptions } from '../options';
import { oneOf } from '../validate';
import { int, str, type Options, type Parsed } from './args';

/** The flags. */
export const MODEL_FLAGS: Options = {
  backend: { type: 'string' },
  threads: { type: 'string' },
  sessions: { type: 'string' },
};

/** Their help, appended to the usage of the commands that take them. */
export const MODEL_OPTIONS_HELP = `Model options:
  --backend auto|onnxruntime|tensorrt  auto (default): TensorRT where this build and machine
                                       have it, else ONNX Runtime (CPU)
  --threads N                          ONNX Runtime threads per session (default: all cores,
                                       divided among the sessions)
  --sessions N                         ONNX Runtime sessions side by side (default 1); for video
                                       on a CPU with few cores, 2 give more frames per second`;

/** The load options the flags give; `streams` > 1 builds TensorRT engines for batches of that many. */
export function loadOptions(p: Parsed, streams = 1): LoadOptions {
  const o: LoadOptions = streams > 1 ? { tensorrt: { batch: streams } } : {};
  const backend = str(p, 'backend');
  if (backend !== undefined) o.backend = oneOf(backend, '--backend', ['auto', 'onnxruntime', 'tensorrt'] as const) as BackendChoice;
  const threads = int(p, 'threads');
  if (threads !== undefined) o.threads = threads;
  const sessions = int(p, 'sessions');
  if (sessions !== undefined) o.sessions = sessions;
  return o;
}
