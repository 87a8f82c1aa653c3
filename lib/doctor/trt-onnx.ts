/**
 * The bundled conformance ONNX as TensorRT can parse it: it has LayerNormalization (TensorRT 8.5
 * cannot parse it) and the RoPE `If` node (TensorRT 10.3 fails on it), so the doctor rewrites it
 * once with tools/export-onnx.py --fix-onnx --opset 16 (same weights; needs Python with `onnx`)
 * and falls back to the original, saying why, when that is not possible.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { packageRoot } from '../binding';

export interface TrtOnnx {
  path: string;
  /** How it was obtained, in words. */
  note: string;
}

export function onnxForTensorRT(original: string, workDir: string): TrtOnnx {
  const fixed = join(workDir, 'conformance-fixed-o16.onnx');
  if (existsSync(fixed)) return { path: fixed, note: 'rewritten for TensorRT (opset 16, no If node)' };
  mkdirSync(workDir, { recursive: true });
  const tool = join(packageRoot, 'tools', 'export-onnx.py');
  const r = spawnSync('python3', [tool, '--fix-onnx', original, '--opset', '16', '-o', fixed], { encoding: 'utf8' });
  if (r.status === 0 && existsSync(fixed)) return { path: fixed, note: 'rewritten for TensorRT (opset 16, no If node)' };
  const why = (r.error?.message ?? `${r.stderr ?? ''}`).trim().split('\n').slice(-1)[0] || 'unknown';
  return { path: original, note: `the original ONNX (the opset-16 rewrite failed: ${why})` };
}
