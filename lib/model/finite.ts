/**
 * The NaN/Infinity check of model outputs, for host tensors (a scan here) and for tensors that
 * stay in CUDA memory (counted by the GPU kernel native/cuda/non_finite.cu, nothing downloaded).
 * Both refuse the same outputs with the same error.
 * Internal: not part of the public API.
 * @module
 */
import { native, type NativeDeviceTensor } from '../binding';
import { DinoError, toDinoError } from '../errors';

/** How many values are NaN or Infinity, and where the first one is (-1 when none). */
export interface NonFinite {
  count: number;
  firstIndex: number;
}

/** Counts NaN/Infinity values of host floats. */
export function countNonFinite(data: Float32Array): NonFinite {
  let count = 0;
  let firstIndex = -1;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v - v !== 0) {
      if (count++ === 0) firstIndex = i;
    }
  }
  return { count, firstIndex };
}

/** The error for outputs holding NaN/Infinity; undefined when there are none. */
export function nonFiniteError(found: NonFinite, name: string, where: 'host' | 'GPU'): DinoError | undefined {
  if (found.count === 0) return undefined;
  return new DinoError(
    'ERR_DINO_BACKEND',
    `The model produced NaN or Infinity in ${name}: ${found.count} value(s), the first at index ${found.firstIndex} (checked on the ${where}); ` +
      'the export or its weights are broken, or fp16 overflowed (try precision fp32 or best)',
    { details: { output: name, nonFinite: found.count, firstIndex: found.firstIndex, checkedOn: where } },
  );
}

/** Throws when host outputs hold NaN/Infinity. */
export function checkFiniteHost(data: Float32Array, name: string): void {
  const err = nonFiniteError(countNonFinite(data), name, 'host');
  if (err) throw err;
}

/** Throws when the first `rows * dim` values of a CUDA tensor hold NaN/Infinity. */
export async function checkFiniteDevice(tensor: NativeDeviceTensor, rows: number, dim: number, name: string): Promise<void> {
  let found: NonFinite;
  const stack = new Error();
  try {
    found = await native().cudaCountNonFinite({ tensor, offset: 0, rows, dim, stride: dim });
  } catch (err) {
    throw toDinoError(err, 'ERR_DINO_CUDA', stack, 'Checking the outputs for NaN on the GPU failed');
  }
  const err = nonFiniteError(found, name, 'GPU');
  if (err) throw err;
}
