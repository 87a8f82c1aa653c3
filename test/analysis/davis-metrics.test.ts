/**
 * The DAVIS measures on small synthetic masks whose values are worked out by hand (in the
 * comments): boundary maps as seg2bmap draws them, J, F with the tolerance, and the empty cases.
 */
import { describe, expect, it } from 'vitest';

import { boundaryF, boundaryMap, boundaryTolerance, dilate, regionSimilarity } from '../../lib/analysis/davis-metrics';

const W = 10;
const H = 10;

/** A W x H mask with the rectangle x0..x1, y0..y1 (inclusive) set. */
function rect(x0: number, x1: number, y0: number, y1: number): Uint8Array {
  const m = new Uint8Array(W * H);
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) m[y * W + x] = 1;
  return m;
}

const set = (m: Uint8Array): string[] => [...m].flatMap((v, i) => (v ? [`${i % W},${Math.floor(i / W)}`] : []));

describe('DAVIS measures', () => {
  it('boundary map of a 4x4 square (x, y in 2..5): 16 pixels, as seg2bmap marks them', () => {
    // A pixel is on the boundary when it differs from its right, lower or lower-right neighbour:
    // outside, column x=1 for y=1..5 and row y=1 for x=2..5 (9); inside, column x=5 for y=2..5
    // and row y=5 for x=2..4 (7).
    const b = boundaryMap(rect(2, 5, 2, 5), W, H);
    const expected = [
      ...[1, 2, 3, 4, 5].map((y) => `1,${y}`),
      ...[2, 3, 4, 5].map((x) => `${x},1`),
      ...[2, 3, 4, 5].map((y) => `5,${y}`),
      ...[2, 3, 4].map((x) => `${x},5`),
    ];
    expect(set(b).sort()).toEqual(expected.sort());
    // The last row and column compare with their one neighbour; the bottom-right pixel never counts.
    const corner = boundaryMap(rect(8, 9, 8, 9), W, H);
    expect(corner[9 * W + 9]).toBe(0);
    expect(corner[9 * W + 7]).toBe(1); // last row: differs from its right neighbour
    expect(corner[7 * W + 9]).toBe(1); // last column: differs from the pixel below
  });

  it('J: a 4x4 square against itself shifted 3 columns: 4 / 28', () => {
    // Overlap: column x=5, 4 pixels; union 16 + 16 - 4 = 28.
    expect(regionSimilarity(rect(5, 8, 2, 5), rect(2, 5, 2, 5))).toBeCloseTo(4 / 28, 12);
    expect(regionSimilarity(rect(2, 5, 2, 5), rect(2, 5, 2, 5))).toBe(1);
    expect(regionSimilarity(new Uint8Array(100), new Uint8Array(100))).toBe(1);
    expect(regionSimilarity(rect(0, 0, 0, 0), new Uint8Array(100))).toBe(0);
  });

  it('F: the same shifted squares with a tolerance of 1 pixel: precision 9/16, recall 9/16', () => {
    // Tolerance 1 dilates by a plus. Predicted boundary (16 px) within 1 of the true boundary:
    // x=4 for y=1..5, (5,1), (6,1), (5,5), (6,5) -> 9. True boundary within 1 of the predicted:
    // (3,1), (4,1), (5,1), (5,2..4), (5,5), (3,5), (4,5) -> 9. F = 2PR / (P + R) = 9/16.
    const r = boundaryF(rect(5, 8, 2, 5), rect(2, 5, 2, 5), W, H, 1);
    expect(r.precision).toBeCloseTo(9 / 16, 12);
    expect(r.recall).toBeCloseTo(9 / 16, 12);
    expect(r.f).toBeCloseTo(9 / 16, 12);
    // The default tolerance on a 10x10 image is ceil(0.008 * 14.14) = 1 pixel: the same result.
    expect(boundaryF(rect(5, 8, 2, 5), rect(2, 5, 2, 5), W, H).f).toBeCloseTo(9 / 16, 12);
  });

  it('F: far apart is 0, identical is 1, the empty cases as DAVIS defines them', () => {
    expect(boundaryF(rect(0, 1, 0, 1), rect(7, 8, 7, 8), W, H).f).toBe(0);
    expect(boundaryF(rect(2, 6, 3, 7), rect(2, 6, 3, 7), W, H).f).toBe(1);
    const empty = new Uint8Array(W * H);
    expect(boundaryF(empty, rect(2, 5, 2, 5), W, H)).toEqual({ f: 0, precision: 1, recall: 0 });
    expect(boundaryF(rect(2, 5, 2, 5), empty, W, H)).toEqual({ f: 0, precision: 0, recall: 1 });
    expect(boundaryF(empty, empty, W, H)).toEqual({ f: 1, precision: 1, recall: 1 });
  });

  it('tolerance: ceil(0.008 x diagonal) -> 8 pixels at 854x480; a disk dilation', () => {
    expect(boundaryTolerance(854, 480)).toBe(8);
    expect(boundaryTolerance(10, 10)).toBe(1);
    expect(boundaryTolerance(854, 480, 3)).toBe(3);
    const one = new Uint8Array(W * H);
    one[5 * W + 5] = 1;
    // Radius 2 disk: 13 pixels (dx^2 + dy^2 <= 4).
    expect(dilate(one, W, H, 2).reduce((a, b) => a + b, 0)).toBe(13);
  });
});
