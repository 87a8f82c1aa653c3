/**
 * Errors raised by dinov3-trt. Every error is a {@link DinoError} with a stable `code` from
 * {@link ErrorCode}, so callers can branch on the code rather than on message text.
 * @module
 */

/** Every error code this library raises, with what it means. */
export const ERROR_CODES = {
  ERR_DINO_INVALID_ARGUMENT: 'An argument or option has the wrong type or an out-of-range value.',
  ERR_DINO_FILE_NOT_FOUND: 'A file given by path does not exist or cannot be read.',
  ERR_DINO_INVALID_IMAGE: 'Input that should be an image could not be decoded (empty, truncated or not an image).',
  ERR_DINO_INVALID_MODEL: 'The ONNX file is not a usable DINOv3 model (corrupt, truncated, or the wrong inputs/outputs).',
  ERR_DINO_SHAPE_MISMATCH: 'Sizes do not fit together (input size not a multiple of the patch size, feature dims differ, ...).',
  ERR_DINO_INVALID_FEATURES: 'Feature values contain NaN or Infinity.',
  ERR_DINO_BACKEND: 'The inference backend failed while running the model.',
  ERR_DINO_NO_BACKEND: 'The requested backend is not available on this machine or in this build.',
  ERR_DINO_CUDA: 'A CUDA call failed.',
  ERR_DINO_CUDA_UNAVAILABLE: 'CUDA is not available: no driver, no device, or the addon was built without CUDA.',
  ERR_DINO_CUDA_OOM: 'The GPU ran out of memory.',
  ERR_DINO_OUT_OF_MEMORY: 'The host ran out of memory.',
  ERR_DINO_TENSORRT_UNAVAILABLE: 'TensorRT is not available: not installed, or the addon was built without it.',
  ERR_DINO_ENGINE_BUILD: 'Building a TensorRT engine failed.',
  ERR_DINO_ENGINE_CORRUPT: 'A cached TensorRT engine could not be deserialized.',
  ERR_DINO_ENGINE_STALE: 'A cached TensorRT engine does not match the model, TensorRT version, GPU or options.',
  ERR_DINO_UNSUPPORTED_OP: 'The model uses an operator this TensorRT version cannot parse.',
  ERR_DINO_PRECISION: 'An engine failed the accuracy check against ONNX Runtime at the requested precision.',
  ERR_DINO_DISPOSED: 'The object was used after dispose().',
  ERR_DINO_ABORTED: 'The operation was cancelled through its AbortSignal.',
  ERR_DINO_BUSY: 'Too many requests are queued; retry later.',
  ERR_DINO_SOURCE: 'A video source failed (cannot open, decode error, or device error).',
  ERR_DINO_SOURCE_TIMEOUT: 'No frame arrived from the video source in time.',
  ERR_DINO_DECODER_MISSING: 'No video decoder/encoder program (GStreamer or ffmpeg) was found.',
  ERR_DINO_ENCODER: 'A video encoder program failed (cannot write the output, unsupported size or codec).',
  ERR_DINO_MISSING_DEPENDENCY: 'An optional package this feature needs is not installed (e.g. the NATS client for the worker).',
  ERR_DINO_QUEUE: 'The job queue (NATS JetStream) failed: no server answered, or a stream, consumer or object store call failed.',
  ERR_DINO_NATIVE_LOAD: 'The native addon could not be loaded.',
  ERR_DINO_INTERNAL: 'An internal error: please report it with the message.',
} as const;

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The error class of this library: an `Error` with a stable {@link ErrorCode}. */
export class DinoError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Extra details (e.g. what was expected and what was found). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DinoError';
    this.code = code;
    this.details = options?.details;
  }
}

/** True if `value` is a {@link DinoError}, optionally with the given code. */
export function isDinoError(value: unknown, code?: ErrorCode): value is DinoError {
  return value instanceof DinoError && (code === undefined || value.code === code);
}

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/**
 * Converts an error from the native addon, ONNX Runtime or Node into a {@link DinoError}.
 * `stackHolder`, an Error created before the async work was queued, supplies the caller's
 * stack (native errors would otherwise have none that points at user code).
 */
export function toDinoError(err: unknown, fallback: ErrorCode, stackHolder?: Error, context?: string): DinoError {
  if (err instanceof DinoError) return err;
  const native = err as { code?: unknown; message?: unknown } | undefined;
  const code = isErrorCode(native?.code) ? native.code : fallback;
  const text = typeof native?.message === 'string' ? native.message : String(err);
  const result = new DinoError(code, context ? `${context}: ${text}` : text, { cause: err });
  if (stackHolder?.stack) {
    result.stack = `${result.name} [${code}]: ${result.message}\n${stackHolder.stack.split('\n').slice(1).join('\n')}`;
  }
  return result;
}
