/**
 * Runs an analysis kernel on a Features object's patch tokens where they lie — the C++ kernel on
 * a host view, the CUDA kernel on a device view — with the caller's stack kept on errors and an
 * AbortSignal bridged to the native cancel flag.
 * Internal: not part of the public API.
 * @module
 */
import type { NativeCancelToken, NativeDeviceView, NativeMatrixView } from '../binding';
import { toDinoError } from '../errors';
import { cancelBridge } from '../util/cancel';
import { deviceView, hostView, type PatchTokens } from './token-view';

export interface PatchKernels<T> {
  cpu: (view: NativeMatrixView, cancel: NativeCancelToken | undefined) => Promise<T>;
  cuda: (view: NativeDeviceView, cancel: NativeCancelToken | undefined) => Promise<T>;
}

export async function onPatches<T>(features: PatchTokens, what: string, kernels: PatchKernels<T>, signal?: AbortSignal): Promise<T> {
  const stack = new Error();
  const cancel = cancelBridge(signal);
  try {
    const store = features.store;
    const first = 1 + features.registerCount;
    return store.location === 'cpu'
      ? await kernels.cpu(hostView(store, first, features.patchCount, features.dim), cancel.token)
      : await kernels.cuda(deviceView(store, first, features.patchCount, features.dim), cancel.token);
  } catch (err) {
    throw toDinoError(err, 'ERR_DINO_INTERNAL', stack, `${what} failed`);
  } finally {
    cancel.dispose();
  }
}
