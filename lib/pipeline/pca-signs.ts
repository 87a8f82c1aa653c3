/**
 * Keeping PCA colours steady across frames: a principal component's sign is arbitrary, so each
 * component whose projections anti-correlate with the previous frame's (patch by patch) is
 * flipped.
 * Internal: not part of the public API.
 * @module
 */
import type { PcaResult } from '../analysis/types';

export function alignPcaSigns(previous: PcaResult | undefined, current: PcaResult): PcaResult {
  if (!previous || previous.components !== current.components || previous.projections.length !== current.projections.length) return current;
  const n = current.components;
  const rows = current.projections.length / n;
  const flip: boolean[] = [];
  for (let c = 0; c < n; c++) {
    let dot = 0;
    for (let r = 0; r < rows; r++) dot += (previous.projections[r * n + c] as number) * (current.projections[r * n + c] as number);
    flip.push(dot < 0);
  }
  if (!flip.some(Boolean)) return current;
  const projections = current.projections.slice();
  const bytes = current.bytes.slice();
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < n; c++) {
      if (!flip[c]) continue;
      projections[r * n + c] = -(projections[r * n + c] as number);
      bytes[r * n + c] = 255 - (bytes[r * n + c] as number);
    }
  }
  return { ...current, projections, bytes };
}
