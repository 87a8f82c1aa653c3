/**
 * Locates ../shared (conformance data, real-size graphs). Tests that need it skip with a
 * visible message when it is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const projectRoot = resolve(__dirname, '..', '..');
export const sharedDir = resolve(process.env.DINOV3_SHARED ?? join(projectRoot, '..', 'shared'));
export const conformanceDir = join(sharedDir, 'conformance');
export const hasConformance = existsSync(join(conformanceDir, 'manifest.json'));

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
  if (!hasConformance) return [];
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

/** Prints once why a suite is skipped. */
export function noteSkip(what: string): void {
  if (!hasConformance) console.warn(`SKIPPED ${what}: ${conformanceDir} not found (set DINOV3_SHARED)`);
}
