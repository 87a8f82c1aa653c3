/**
 * Checks of seed-style flags against what the model really is.
 * Internal: not part of the public API.
 * @module
 */
import { DinoError } from '../errors';

/** The tutorial's --patch_size must agree with the model, instead of silently mis-gridding. */
export function checkPatchSize(claimed: number | undefined, actual: number): void {
  if (claimed !== undefined && claimed !== actual) {
    throw new DinoError(
      'ERR_DINO_SHAPE_MISMATCH',
      `--patch-size ${claimed} does not match the model: its patch embedding uses ${actual}x${actual} patches`,
    );
  }
}
