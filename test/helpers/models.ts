/**
 * Models for tests that need no ../shared: the seeded tiny DINOv3 (lib/onnx/tiny-dinov3) and
 * small hand-built graphs with DINOv3's input/output contract (or deliberately without it).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { attr, OnnxGraphBuilder } from '../../lib/onnx/builder';
import { buildTinyDinov3, type TinyDinov3Options } from '../../lib/onnx/tiny-dinov3';

const dir = mkdtempSync(join(tmpdir(), 'dinov3-models-'));
const cache = new Map<string, string>();

/** Path of a tiny DINOv3 model written once per options per test file. */
export function tinyModel(options: TinyDinov3Options = {}): string {
  const key = JSON.stringify(options);
  let path = cache.get(key);
  if (!path) {
    path = join(dir, `tiny-${cache.size}.onnx`);
    writeFileSync(path, buildTinyDinov3(options));
    cache.set(key, path);
  }
  return path;
}

export interface PatchGraphOptions {
  /** Output layout: Hugging Face last_hidden_state, the reference names, or a non-token output. */
  layout: 'last_hidden_state' | 'reference' | 'logits';
  patch?: number;
  dim?: number;
  /** Register tokens (taken from the first patches; at most 4). */
  registers?: number;
  inputName?: string;
  /** Multiply every output by NaN. */
  nan?: boolean;
}

/** A minimal ViT-shaped graph: Conv patch embedding, CLS = mean patch, registers = first patches. */
export function patchGraph(o: PatchGraphOptions): string {
  const patch = o.patch ?? 16;
  const dim = o.dim ?? 8;
  const registers = o.registers ?? 2;
  const g = new OnnxGraphBuilder({ name: 'patch-graph', opset: 17 });
  const x = g.input(o.inputName ?? 'pixel_values', 'float32', ['batch', 3, 'height', 'width']);
  const weights = Array.from({ length: dim * 3 * patch * patch }, (_, i) => Math.sin(i * 0.61) * 0.05);
  const w = g.float32('patch_embed.weight', [dim, 3, patch, patch], weights);
  const conv = g.op('Conv', [x, w], { kernel_shape: attr.ints([patch, patch]), strides: attr.ints([patch, patch]) });
  const flat = g.op('Reshape', [conv, g.int64('shape', [3], [0, dim, -1])]);
  let patches = g.op('Transpose', [flat], { perm: attr.ints([0, 2, 1]) });
  if (o.nan) patches = g.op('Mul', [patches, g.float32('nan', [1], [Number.NaN])]);
  const clsKeep = g.op('ReduceMean', [patches], { axes: attr.ints([1]), keepdims: attr.int(1) });
  const regs = g.op('Slice', [patches, g.int64('s0', [1], [0]), g.int64('s1', [1], [registers]), g.int64('s2', [1], [1])]);
  if (o.layout === 'last_hidden_state') {
    g.output('last_hidden_state', 'float32', ['batch', 'tokens', dim]);
    g.op('Concat', registers > 0 ? [clsKeep, regs, patches] : [clsKeep, patches], { axis: attr.int(1) }, { output: 'last_hidden_state' });
  } else if (o.layout === 'reference') {
    g.output('x_norm_clstoken', 'float32', ['batch', dim]);
    g.output('x_norm_regtokens', 'float32', ['batch', registers, dim]);
    g.output('x_norm_patchtokens', 'float32', ['batch', 'patches', dim]);
    g.op('ReduceMean', [patches], { axes: attr.ints([1]), keepdims: attr.int(0) }, { output: 'x_norm_clstoken' });
    g.op('Identity', [regs], {}, { output: 'x_norm_regtokens' });
    g.op('Identity', [patches], {}, { output: 'x_norm_patchtokens' });
  } else {
    g.output('logits', 'float32', ['batch', dim]);
    g.op('ReduceMean', [patches], { axes: attr.ints([1]), keepdims: attr.int(0) }, { output: 'logits' });
  }
  const path = join(dir, `graph-${cache.size}-${Math.random().toString(36).slice(2)}.onnx`);
  writeFileSync(path, g.toBytes());
  return path;
}

/** A graph that is not an image model at all: x [batch, 10] -> y. */
export function notAnImageModel(): string {
  const g = new OnnxGraphBuilder({ name: 'mlp', opset: 17 });
  const x = g.input('x', 'float32', ['batch', 10]);
  g.output('y', 'float32', ['batch', 10]);
  g.op('Relu', [x], {}, { output: 'y' });
  const path = join(dir, 'mlp.onnx');
  writeFileSync(path, g.toBytes());
  return path;
}
