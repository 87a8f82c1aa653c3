/**
 * Reads the Hugging Face preprocessor_config.json that exports ship next to model.onnx (input
 * size, mean, std), so a model's own preprocessing settings are used when present.
 * Internal: not part of the public API.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import type { Size } from '../util/size';

export interface PreprocessorConfig {
  size?: Size;
  mean?: [number, number, number];
  std?: [number, number, number];
}

function triple(v: unknown): [number, number, number] | undefined {
  return Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x))
    ? [v[0] as number, v[1] as number, v[2] as number]
    : undefined;
}

/** The config next to `modelPath` (or in its parent, as onnx-community's onnx/ folder layout has it). */
export async function readPreprocessorConfig(modelPath: string): Promise<PreprocessorConfig> {
  for (const dir of [dirname(modelPath), dirname(dirname(modelPath))]) {
    let text: string;
    try {
      text = await readFile(join(dir, 'preprocessor_config.json'), 'utf8');
    } catch {
      continue;
    }
    try {
      const json = JSON.parse(text) as Record<string, unknown>;
      const out: PreprocessorConfig = {};
      const size = json.size as Record<string, unknown> | undefined;
      if (size && typeof size.height === 'number' && typeof size.width === 'number') {
        out.size = { height: size.height, width: size.width };
      } else if (size && typeof size.shortest_edge === 'number') {
        out.size = { height: size.shortest_edge, width: size.shortest_edge };
      }
      const mean = triple(json.image_mean);
      const std = triple(json.image_std);
      if (mean) out.mean = mean;
      if (std) out.std = std;
      return out;
    } catch {
      return {};
    }
  }
  return {};
}
