/**
 * Bridges an AbortSignal to the native CancelToken polled by long-running kernels.
 * Internal: not part of the public API.
 * @module
 */
import { native, type NativeCancelToken } from '../binding';

export interface CancelBridge {
  token: NativeCancelToken | undefined;
  dispose: () => void;
}

export function cancelBridge(signal: AbortSignal | undefined): CancelBridge {
  if (!signal) return { token: undefined, dispose: () => undefined };
  const token = new (native().CancelToken)();
  const onAbort = (): void => token.cancel();
  if (signal.aborted) token.cancel();
  else signal.addEventListener('abort', onAbort, { once: true });
  return { token, dispose: () => signal.removeEventListener('abort', onAbort) };
}
