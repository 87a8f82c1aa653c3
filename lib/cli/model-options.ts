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
  spinning: { type: 'string' },
  'inter-op-threads': { type: 'string' },
  'execution-mode': { type: 'string' },
};

/** Their help, appended to the usage of the commands that take them. */
export const MODEL_OPTIONS_HELP = `Model options:
  --backend auto|onnxruntime|tensorrt  auto (default): TensorRT where this build and machine
                                       have it, else ONNX Runtime (CPU)
  --threads N                          ONNX Runtime threads per session (default: all cores,
                                       divided among the sessions)
  --sessions N                         ONNX Runtime sessions side by side (default 1); for video
                                       on a CPU with few cores, 2 give more frames per second
  --spinning on|off                    ONNX Runtime threads busy-wait between operators (default
                                       off: faster whenever other work shares the cores)
  --execution-mode sequential|parallel ONNX Runtime execution mode (default sequential)
  --inter-op-threads N                 ONNX Runtime threads for parallel mode (default: its own)`;

/** The load options the flags give; `streams` > 1 builds TensorRT engines for batches of that many. */
export function loadOptions(p: Parsed, streams = 1): LoadOptions {
  const o: LoadOptions = streams > 1 ? { tensorrt: { batch: streams } } : {};
  const backend = str(p, 'backend');
  if (backend !== undefined) o.backend = oneOf(backend, '--backend', ['auto', 'onnxruntime', 'tensorrt'] as const) as BackendChoice;
  const threads = int(p, 'threads');
  if (threads !== undefined) o.threads = threads;
  const sessions = int(p, 'sessions');
  if (sessions !== undefined) o.sessions = sessions;
  const spinning = str(p, 'spinning');
  if (spinning !== undefined) o.spinning = oneOf(spinning, '--spinning', ['on', 'off'] as const) === 'on';
  const mode = str(p, 'execution-mode');
  if (mode !== undefined) o.executionMode = oneOf(mode, '--execution-mode', ['sequential', 'parallel'] as const);
  const interOp = int(p, 'inter-op-threads');
  if (interOp !== undefined) o.interOpThreads = interOp;
  return o;
}
