/**
 * The identity of a TensorRT engine: everything that makes a serialized plan valid or not.
 * An engine is reused only when every field matches (sha256 of the ONNX and its external data,
 * TensorRT, CUDA, GPU and compute capability, precision, shape profile, builder flags, and this
 * library's major version); the key is the sha256 of those fields.
 * Internal: not part of the public API.
 * @module
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

import { inspectOnnx } from '../onnx/inspect';

export interface EngineKeyFields {
  /** sha256 of the ONNX file followed by its external data files. */
  onnxSha256: string;
  tensorrt: string;
  cuda: string;
  gpu: string;
  computeCapability: string;
  /** The precision asked for when building. */
  precision: 'fp32' | 'fp16' | 'bf16';
  /** [N, 3, H, W] min/opt/max. */
  profile: { min: number[]; opt: number[]; max: number[] };
  /** pinNormsFp32 / pinAttentionFp32: LayerNorm, Softmax and the attention MatMuls pinned to fp32 (fp16 builds). */
  flags: { pinNormsFp32: boolean; pinAttentionFp32?: boolean; workspaceMiB: number; optimizationLevel: number | null };
  /** Major version of dinov3-trt: engines from another major are never trusted. */
  library: number;
}

async function hashFiles(paths: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const p of paths) {
    await new Promise<void>((ok, fail) => {
      createReadStream(p)
        .on('data', (chunk) => hash.update(chunk))
        .on('end', () => ok())
        .on('error', fail);
    });
  }
  return hash.digest('hex');
}

/**
 * sha256 over the ONNX file and every external data file it references (in order). `files`
 * (the ONNX first, then its external data) skips inspecting the ONNX when the caller has.
 */
export async function onnxSha256(onnxPath: string, files?: readonly string[]): Promise<string> {
  if (files) return hashFiles(files);
  const info = await inspectOnnx(onnxPath);
  const external = info.externalData.files.map((f) => f.path ?? resolve(dirname(onnxPath), f.location));
  return hashFiles([onnxPath, ...external]);
}

/** Size and modification time of each file of a model: when they are unchanged, so is its sha256. */
export interface OnnxStamp {
  files: { path: string; bytes: number; mtimeMs: number }[];
}

export async function onnxStamp(files: readonly string[]): Promise<OnnxStamp> {
  return {
    files: await Promise.all(
      files.map(async (path) => {
        const s = await stat(path);
        return { path, bytes: s.size, mtimeMs: s.mtimeMs };
      }),
    ),
  };
}

/** Stable JSON (sorted keys) so the same fields always give the same key. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function engineKey(fields: EngineKeyFields): string {
  return createHash('sha256').update(canonicalJson(fields)).digest('hex').slice(0, 32);
}

/** Field names whose values differ (for the "stale engine" warning). */
export function differingFields(a: EngineKeyFields, b: EngineKeyFields): string[] {
  return (Object.keys(a) as (keyof EngineKeyFields)[]).filter((k) => canonicalJson(a[k]) !== canonicalJson(b[k]));
}
