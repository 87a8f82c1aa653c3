/** `dinov3 kmeans`: k-means over a patch-token matrix stored as .npy (or raw .f32). */
import { readFile } from 'node:fs/promises';

import { DinoError } from '../../errors';
import { Features } from '../../features';
import { decodeNpy, toFloat32, writeNpy } from '../../io/npy';
import { int, parse, required, str, type Options } from '../args';
import { halfToFloat32 } from '../../model/tokens';

export const usage = `Usage: dinov3 kmeans --features PATCHES.npy --clusters K [--restarts N] [--iterations 50]
                     [--seed S] [--tolerance 1e-4] [--dim D (raw .f32 only)] --out LABELS.npy

Clusters the rows of a [N, dim] (or [rows, cols, dim], or [1, N, dim]) float32 matrix with the
native k-means (scikit-learn's algorithm) and prints the inertia. Alias: --n_clusters.`;

const options: Options = {
  features: { type: 'string' },
  clusters: { type: 'string' },
  restarts: { type: 'string' },
  iterations: { type: 'string' },
  seed: { type: 'string' },
  tolerance: { type: 'string' },
  dim: { type: 'string' },
  out: { type: 'string' },
};

async function loadMatrix(path: string, dimFlag: number | undefined): Promise<{ data: Float32Array; rows: number; dim: number; grid: { rows: number; cols: number } }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new DinoError('ERR_DINO_FILE_NOT_FOUND', `Features file not found: ${path}`, { cause: err });
  }
  if (path.endsWith('.npy')) {
    const a = decodeNpy(bytes, path);
    const data = a.dtype === '<f2' ? await halfToFloat32(a.data as Uint16Array) : toFloat32(a);
    const s = a.shape;
    if (s.length === 2) return { data, rows: s[0] as number, dim: s[1] as number, grid: { rows: s[0] as number, cols: 1 } };
    if (s.length === 3 && s[0] === 1) return { data, rows: s[1] as number, dim: s[2] as number, grid: { rows: s[1] as number, cols: 1 } };
    if (s.length === 3) return { data, rows: (s[0] as number) * (s[1] as number), dim: s[2] as number, grid: { rows: s[0] as number, cols: s[1] as number } };
    throw new DinoError('ERR_DINO_SHAPE_MISMATCH', `${path}: expected a [N, dim], [1, N, dim] or [rows, cols, dim] array, got [${s.join(', ')}]`);
  }
  if (dimFlag === undefined) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', 'raw .f32 features need --dim');
  if (bytes.length % (4 * dimFlag) !== 0) throw new DinoError('ERR_DINO_SHAPE_MISMATCH', `${path}: ${bytes.length} bytes is not a whole number of ${dimFlag}-float rows`);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const rows = data.length / dimFlag;
  return { data, rows, dim: dimFlag, grid: { rows, cols: 1 } };
}

export async function run(argv: readonly string[], out: (s: string) => void): Promise<void> {
  const p = parse(argv, options);
  const path = required(p, 'features', usage);
  const k = int(p, 'clusters');
  if (k === undefined) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `--clusters is required\n\n${usage}`);
  const outPath = required(p, 'out', usage);
  const m = await loadMatrix(path, int(p, 'dim'));
  const features = Features.fromPatches(m.data, m.grid, m.dim);
  const tolerance = str(p, 'tolerance');
  const start = performance.now();
  const r = await features.kmeans({
    k,
    restarts: int(p, 'restarts', 1) as number,
    iterations: int(p, 'iterations', 50) as number,
    seed: int(p, 'seed', 0) as number,
    ...(tolerance === undefined ? {} : { tolerance: Number(tolerance) }),
  });
  const ms = performance.now() - start;
  await writeNpy(outPath, r.labels, m.grid.cols === 1 ? [m.rows] : [m.grid.rows, m.grid.cols]);
  out(`inertia ${r.inertia}\niterations ${r.iterations}${r.converged ? ' (converged)' : ''}\ntime ${ms.toFixed(1)} ms\nwrote ${outPath}`);
}
