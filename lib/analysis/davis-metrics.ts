/**
 * The DAVIS benchmark's measures for one object in one frame (Perazzi et al., CVPR 2016, as the
 * davis2017-evaluation code computes them): region similarity J, the intersection over union of
 * the predicted and true masks, and the boundary F-measure F, the harmonic mean of the precision
 * and recall of the mask boundaries, a boundary pixel counting as matched when the other boundary
 * lies within a tolerance of ceil(0.008 x image diagonal) pixels (a disk).
 * @module
 */

/** J: |pred ∩ gt| / |pred ∪ gt|; 1 when both masks are empty. Masks: nonzero = object. */
export function regionSimilarity(pred: Uint8Array, gt: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < gt.length; i++) {
    const p = pred[i] !== 0;
    const g = gt[i] !== 0;
    if (p && g) inter++;
    if (p || g) union++;
  }
  return union === 0 ? 1 : inter / union;
}

/**
 * The boundary map of a mask as DAVIS's seg2bmap at full resolution: a pixel is on the boundary
 * when it differs from its right, lower or lower-right neighbour (last row: right only; last
 * column: lower only; the bottom-right pixel never).
 */
export function boundaryMap(mask: Uint8Array, width: number, height: number): Uint8Array {
  const b = new Uint8Array(width * height);
  const at = (x: number, y: number): number => (mask[y * width + x] !== 0 ? 1 : 0);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = at(x, y);
      const e = x + 1 < width ? at(x + 1, y) : 0;
      const so = y + 1 < height ? at(x, y + 1) : 0;
      const se = x + 1 < width && y + 1 < height ? at(x + 1, y + 1) : 0;
      let v: number;
      if (y === height - 1 && x === width - 1) v = 0;
      else if (y === height - 1) v = s ^ e;
      else if (x === width - 1) v = s ^ so;
      else v = s ^ e || s ^ so || s ^ se ? 1 : 0;
      b[y * width + x] = v;
    }
  }
  return b;
}

/** Dilation of a binary map by a disk of radius r (the pixels within distance r of a set pixel). */
export function dilate(map: Uint8Array, width: number, height: number, r: number): Uint8Array {
  const out = new Uint8Array(map.length);
  const offsets: Array<[number, number]> = [];
  for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) if (dx * dx + dy * dy <= r * r) offsets.push([dx, dy]);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!map[y * width + x]) continue;
      for (const [dx, dy] of offsets) {
        const px = x + dx;
        const py = y + dy;
        if (px >= 0 && py >= 0 && px < width && py < height) out[py * width + px] = 1;
      }
    }
  }
  return out;
}

/** The boundary tolerance in pixels: ceil(0.008 x the image diagonal), or `tolerance` itself when >= 1. */
export function boundaryTolerance(width: number, height: number, tolerance = 0.008): number {
  return tolerance >= 1 ? tolerance : Math.ceil(tolerance * Math.hypot(width, height));
}

/** F: boundary precision and recall within the tolerance, as DAVIS's f_measure (empty boundaries as it defines them). */
export function boundaryF(pred: Uint8Array, gt: Uint8Array, width: number, height: number, tolerance = 0.008): { f: number; precision: number; recall: number } {
  const r = boundaryTolerance(width, height, tolerance);
  const fb = boundaryMap(pred, width, height);
  const gb = boundaryMap(gt, width, height);
  const fd = dilate(fb, width, height, r);
  const gd = dilate(gb, width, height, r);
  let nf = 0;
  let ng = 0;
  let fMatch = 0;
  let gMatch = 0;
  for (let i = 0; i < fb.length; i++) {
    if (fb[i]) {
      nf++;
      if (gd[i]) fMatch++;
    }
    if (gb[i]) {
      ng++;
      if (fd[i]) gMatch++;
    }
  }
  let precision: number;
  let recall: number;
  if (nf === 0 && ng > 0) [precision, recall] = [1, 0];
  else if (nf > 0 && ng === 0) [precision, recall] = [0, 1];
  else if (nf === 0 && ng === 0) [precision, recall] = [1, 1];
  else [precision, recall] = [fMatch / nf, gMatch / ng];
  const f = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { f, precision, recall };
}

/** The mask of one object (label `id`) of a label map. */
export function objectMask(labels: Uint8Array, id: number): Uint8Array {
  const m = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) m[i] = labels[i] === id ? 1 : 0;
  return m;
}
