/**
 * The conformance ONNX as TensorRT can parse it. The conformance model has LayerNormalization
 * and the RoPE `If` node, which TensorRT 8.5 and 10.3 cannot parse; tools/export-onnx.py
 * --fix-onnx --opset 16 rewrites it with the same weights (needs Python with `onnx`). Used by the
 * vitest TensorRT tests and, as DINOV3_TRT_ONNX, by the C++ TensorRT suite.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { conformanceCases, conformanceModel, projectRoot } from './shared';

export interface TrtOnnx {
  path: string;
  /** True when `path` is the rewrite; false when the rewrite failed and `path` is the original. */
  rewritten: boolean;
  /** Why the rewrite failed (the exporter's message), when it did. */
  why?: string;
}

/** Writes (once per folder) and returns the rewritten conformance ONNX, or the original with the reason. */
export function conformanceOnnxForTensorRT(dir: string): TrtOnnx {
  const original = conformanceModel(conformanceCases()[0]!);
  const fixed = join(dir, 'conformance-fixed-o16.onnx');
  if (existsSync(fixed)) return { path: fixed, rewritten: true };
  const r = spawnSync('python3', [join(projectRoot, 'tools', 'export-onnx.py'), '--fix-onnx', original, '--opset', '16', '-o', fixed], { encoding: 'utf8' });
  if (r.status === 0 && existsSync(fixed)) return { path: fixed, rewritten: true };
  return { path: original, rewritten: false, why: (r.error?.message ?? `${r.stderr}`).trim().split('\n').slice(-1)[0] ?? 'unknown' };
}
