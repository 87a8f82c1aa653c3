/**
 * Accuracy of one model against a reference (e.g. `model_quantized.onnx` against `model.onnx`):
 * the cosine of every output token (CLS, registers, patches) of the same images at the same
 * size. Internal: not part of the public API.
 * @module
 */
import { DinoError } from '../../errors';
import type { Features } from '../../features';
import type { ImageInput, RawImage } from '../../image/input';
import type { Model } from '../../model/model';
import type { Size } from '../../util/size';

/** Per-token cosine of a model's tokens against a reference model's. */
export interface TokenAgreement {
  images: number;
  tokens: number;
  meanCosine: number;
  minCosine: number;
  size: Size;
}

/** A seeded 320x240 RGB scene (gradients and stripes) for when no image is given. */
export function comparisonImage(): RawImage {
  const width = 320;
  const height = 240;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = (x * 255) / width;
      data[i + 1] = (y * 255) / height;
      data[i + 2] = ((x >> 4) + (y >> 4)) % 2 ? 200 : 40;
    }
  }
  return { data, width, height, format: 'rgb' };
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? (na === nb ? 1 : 0) : dot / Math.sqrt(na * nb);
}

/** Every token of one image's features, CLS first, then registers, then patches. */
function tokens(f: Features): Float32Array[] {
  const out: Float32Array[] = [f.cls];
  for (let r = 0; r < f.registers.length / f.dim; r++) out.push(f.registers.subarray(r * f.dim, (r + 1) * f.dim));
  for (let p = 0; p < f.patches.length / f.dim; p++) out.push(f.patches.subarray(p * f.dim, (p + 1) * f.dim));
  return out;
}

/** Runs both models on the images at `size` and compares every token. */
export async function compareModels(model: Model, reference: Model, images: readonly ImageInput[], size: Size): Promise<TokenAgreement> {
  let count = 0;
  let sum = 0;
  let min = Infinity;
  for (const image of images) {
    const a = await model.extract(image, { size });
    const b = await reference.extract(image, { size });
    try {
      if (a.dim !== b.dim) throw new DinoError('ERR_DINO_SHAPE_MISMATCH', `The models' token dims differ (${a.dim} and ${b.dim}): they are not two precisions of one model`);
      const ta = tokens(a);
      const tb = tokens(b);
      if (ta.length !== tb.length) throw new DinoError('ERR_DINO_SHAPE_MISMATCH', `The models give different token counts (${ta.length} and ${tb.length}): they are not two precisions of one model`);
      for (let t = 0; t < ta.length; t++) {
        const c = cosine(ta[t] as Float32Array, tb[t] as Float32Array);
        sum += c;
        min = Math.min(min, c);
        count++;
      }
    } finally {
      a.dispose();
      b.dispose();
    }
  }
  return { images: images.length, tokens: count, meanCosine: sum / count, minCosine: min, size };
}
