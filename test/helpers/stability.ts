/**
 * Measuring colour stability: the share of patches whose label differs between two frames.
 * @module
 */
import { DinoError } from '../../lib/errors';

/**
 * Share (0..1) of positions where two label maps differ. On consecutive frames of a static scene
 * this is the flicker the colours show.
 * @example
 * ```ts
 * const flicker = changedShare(previous.labels, current.labels); // 0.004 = 0.4 % of patches
 * ```
 */
export function changedShare(a: Int32Array, b: Int32Array): number {
  if (!(a instanceof Int32Array) || !(b instanceof Int32Array) || a.length !== b.length || a.length === 0) {
    throw new DinoError('ERR_DINO_SHAPE_MISMATCH', 'changedShare needs two non-empty Int32Arrays of the same length');
  }
  let changed = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) changed++;
  return changed / a.length;
}
