/**
 * Locates the reference data: the conformance fixtures in the repository
 * (test/fixtures/conformance), or the folder `DINOV3_SHARED` names (one that holds
 * `conformance/`). Every test that uses it runs from a plain clone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const projectRoot = resolve(__dirname, '..', '..');
export const conformanceDir = process.env.DINOV3_SHARED
  ? join(resolve(process.env.DINOV3_SHARED), 'conformance')
  : join(projectRoot, 'test', 'fixtures', 'conformance');
/** The real-size graphs without weights (ViT-S/B/L), kept with the benchmarks. */
export const modelsDir = process.env.DINOV3_SHARED
  ? join(resolve(process.env.DINOV3_SHARED), 'models')
  : join(projectRoot, 'bench', 'models');
if (!existsSync(join(conformanceDir, 'manifest.json'))) {
  throw new Error(`conformance data not found at ${conformanceDir} (DINOV3_SHARED must name a folder holding conformance/)`);
}

export interface ConformanceCase {
  tag: string;
  image: string;
  h: number;
  w: number;
  grid: [number, number];
  tokens: number;
  dim: number;
  registers: number;
  model: string;
  kmeans_inertia_sklearn: Record<string, { best_of_10: number; n_init1_iter50: number }>;
  files: Record<string, string>;
}

export function conformanceCases(): ConformanceCase[] {
  return (JSON.parse(readFileSync(join(conformanceDir, 'manifest.json'), 'utf8')) as { cases: ConformanceCase[] }).cases;
}

export function conformanceModel(c: ConformanceCase): string {
  return join(conformanceDir, c.model, 'model.onnx');
}

export function conformanceImage(c: ConformanceCase): string {
  return join(conformanceDir, 'images', `${c.image}.png`);
}

function readRaw(c: ConformanceCase, key: string): Buffer {
  const file = c.files[key];
  if (!file) throw new Error(`case ${c.tag} has no ${key}`);
  return readFileSync(join(conformanceDir, c.model, file));
}

export function readF32(c: ConformanceCase, key: string): Float32Array {
  const b = readRaw(c, key);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

export function readI32(c: ConformanceCase, key: string): Int32Array {
  const b = readRaw(c, key);
  return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}
