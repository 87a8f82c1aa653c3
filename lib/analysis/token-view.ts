/**
 * Where a Features object's tokens live and how the kernels see them: a strided view of a
 * [tokens, dim] buffer, on the host (Float32Array) or on the GPU (DeviceTensor).
 * Internal: not part of the public API.
 * @module
 */
import type { NativeDeviceTensor, NativeDeviceView, NativeMatrixView } from '../binding';
import type { Grid, PatchIndex, PixelPoint } from './types';

export interface HostTokens {
  location: 'cpu';
  /** Buffer holding the tokens; this image's token t, value d is data[offset + t * dim + d]. */
  data: Float32Array;
  offset: number;
}

export interface DeviceTokens {
  location: 'cuda';
  tensor: NativeDeviceTensor;
  /** Element offset of this image's first token in the tensor. */
  offset: number;
  /** Releases this image's share of the tensor. */
  release: () => void;
}

export type TokenStore = HostTokens | DeviceTokens;

export function hostView(t: HostTokens, firstToken: number, rows: number, dim: number): NativeMatrixView {
  return { data: t.data, offset: t.offset + firstToken * dim, rows, dim, stride: dim };
}

export function deviceView(t: DeviceTokens, firstToken: number, rows: number, dim: number): NativeDeviceView {
  return { tensor: t.tensor, offset: t.offset + firstToken * dim, rows, dim, stride: dim };
}

/**
 * What the analysis kernels read of a {@link Features} object: where its tokens lie and their
 * layout. The analysis modules depend on this, not on the Features class (no import cycle).
 */
export interface PatchTokens {
  readonly store: TokenStore;
  readonly grid: Grid;
  readonly dim: number;
  readonly registerCount: number;
  readonly patchCount: number;
  patchAt(point: PixelPoint): PatchIndex;
  patchIndexOf(p: PatchIndex): number;
}
