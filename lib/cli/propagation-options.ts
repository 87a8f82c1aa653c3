/**
 * The label-propagation flags `track` and `eval-davis` share: their declarations and parsing.
 * Internal: not part of the public API.
 * @module
 */
import type { PropagationOptions } from '../analysis/propagate';
import { flag, int, num, type Options, type Parsed } from './args';

/** --size/--short-side and the propagation settings. */
export const PROPAGATION_FLAGS: Options = {
  size: { type: 'string' },
  'short-side': { type: 'string' },
  context: { type: 'string' },
  'top-k': { type: 'string' },
  temperature: { type: 'string' },
  radius: { type: 'string' },
  square: { type: 'boolean' },
};

export function propagationFlags(p: Parsed): PropagationOptions {
  const contextFrames = int(p, 'context');
  const topK = int(p, 'top-k');
  const temperature = num(p, 'temperature');
  const radius = num(p, 'radius');
  return {
    ...(contextFrames !== undefined ? { contextFrames } : {}),
    ...(topK !== undefined ? { topK } : {}),
    ...(temperature !== undefined ? { temperature } : {}),
    ...(radius !== undefined ? { radius } : {}),
    ...(flag(p, 'square') ? { neighbourhood: 'square' as const } : {}),
  };
}
