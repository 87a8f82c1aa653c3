/**
 * The accuracy check that decides whether an engine is trusted: its outputs on a probe input
 * against ONNX Runtime's (CPU) on the same ONNX. Per-row (per-token) cosine similarity below the
 * bar, or any NaN/Infinity, fails the engine.
 * @module
 */

/** How an engine compared with ONNX Runtime. */
export interface AccuracyReport {
  passed: boolean;
  /** Lowest per-token cosine similarity over every compared output row. */
  minCosine: number;
  meanCosine: number;
  /** Largest absolute difference of any value. */
  maxAbsDiff: number;
  /** NaN or Infinity values in the engine's outputs. */
  nonFinite: number;
  /** The bar the engine had to meet. */
  minRequired: number;
  /** Probe input [N, 3, H, W]. */
  probeShape: number[];
  /** What the probe was (the conformance photo, normally). */
  probe?: string;
  /** Why it failed, when it did. */
  reason?: string;
}

/**
 * Compares one output: `rows` rows of `dim` values (a [..., rows, dim] tensor flattened).
 * Returns the per-row cosines' minimum and sum, the largest difference and the non-finite count.
 */
export function compareRows(
  engine: Float32Array,
  reference: Float32Array,
  dim: number,
): { min: number; sum: number; rows: number; maxAbsDiff: number; nonFinite: number } {
  if (engine.length !== reference.length || engine.length % dim !== 0) {
    throw new RangeError(`cannot compare outputs of ${engine.length} and ${reference.length} values in rows of ${dim}`);
  }
  const rows = engine.length / dim;
  let min = Infinity;
  let sum = 0;
  let maxAbsDiff = 0;
  let nonFinite = 0;
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    let ne = 0;
    let nr = 0;
    for (let d = r * dim; d < (r + 1) * dim; d++) {
      const e = engine[d] as number;
      const f = reference[d] as number;
      if (!Number.isFinite(e)) {
        nonFinite++;
        continue;
      }
      dot += e * f;
      ne += e * e;
      nr += f * f;
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(e - f));
    }
    // Two zero rows agree; one zero row against a non-zero one does not.
    const cos = ne === 0 && nr === 0 ? 1 : ne === 0 || nr === 0 ? 0 : dot / Math.sqrt(ne * nr);
    min = Math.min(min, cos);
    sum += cos;
  }
  return { min, sum, rows, maxAbsDiff, nonFinite };
}

/** Combines per-output comparisons into a verdict. */
export function accuracyReport(
  parts: ReturnType<typeof compareRows>[],
  minRequired: number,
  probeShape: number[],
): AccuracyReport {
  const rows = parts.reduce((a, p) => a + p.rows, 0);
  const report: AccuracyReport = {
    passed: true,
    minCosine: Math.min(...parts.map((p) => p.min)),
    meanCosine: parts.reduce((a, p) => a + p.sum, 0) / Math.max(1, rows),
    maxAbsDiff: Math.max(...parts.map((p) => p.maxAbsDiff)),
    nonFinite: parts.reduce((a, p) => a + p.nonFinite, 0),
    minRequired,
    probeShape,
  };
  return judged(report);
}

/** The verdict on measured accuracy at its `minRequired`: no NaN/Infinity, then the cosine bar. */
function judged(report: AccuracyReport): AccuracyReport {
  if (report.nonFinite > 0) return { ...report, passed: false, reason: `the engine produced ${report.nonFinite} NaN/Infinity values` };
  if (!(report.minCosine >= report.minRequired)) {
    return { ...report, passed: false, reason: `per-token cosine similarity to ONNX Runtime fell to ${report.minCosine.toFixed(4)} (< ${report.minRequired})` };
  }
  return report;
}

/**
 * A remembered accuracy check judged again at the bar asked for now (the engine would measure
 * the same; only the verdict may change with `minCosine`).
 */
export function rejudge(report: AccuracyReport, minRequired: number): AccuracyReport {
  if (report.minRequired === minRequired) return report;
  const { reason: _old, ...rest } = report;
  return judged({ ...rest, passed: true, minRequired });
}

/**
 * A deterministic probe image (smooth gradients plus seeded texture) as RGB pixels, so an
 * engine is checked on image-like input rather than zeros.
 */
export function probePixels(width: number, height: number): Uint8Array {
  const px = new Uint8Array(width * height * 3);
  let s = 0x9e3779b9;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      const noise = (s & 63) - 32;
      const i = (y * width + x) * 3;
      px[i] = Math.max(0, Math.min(255, Math.round((255 * x) / width + noise)));
      px[i + 1] = Math.max(0, Math.min(255, Math.round((255 * y) / height + noise / 2)));
      px[i + 2] = Math.max(0, Math.min(255, 128 + Math.round(100 * Math.sin((x + y) / 9)) + noise));
    }
  }
  return px;
}
