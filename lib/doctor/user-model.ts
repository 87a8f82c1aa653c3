/**
 * `--model`: the user's own model. There is no reference for it, so ONNX Runtime runs it on the
 * conformance photo (outputs must be finite) and TensorRT, when present, is compared with ONNX
 * Runtime fp32 on the same photo (per-token cosine >= 0.999 over every token, as the engine
 * precision ladder requires), with the engine's ladder decisions and both inference times.
 * @module
 */
import { capabilities } from '../capabilities';
import { loadModel, type Model } from '../model/model';
import { countNonFinite } from '../model/finite';
import { ENGINE_DEFAULTS } from '../tensorrt/options';
import { notRun, runCheck, verdict, type CheckOutcome } from './check';
import { compareTokens } from './reference';
import type { CheckResult } from './types';

async function extractTwice(model: Model, photo: string): Promise<{ tokens: Float32Array; inferenceMs: number }> {
  const f = await model.extract(photo);
  const again = await model.extract(photo);
  return { tokens: f.tokens, inferenceMs: Math.round(again.timings.inferenceMs * 100) / 100 };
}

export async function userModelChecks(modelPath: string, photo: string): Promise<CheckResult[]> {
  let ort: { tokens: Float32Array; inferenceMs: number; dim: number; size: { height: number; width: number } } | undefined;
  const results: CheckResult[] = [];
  results.push(
    await runCheck('model.onnxruntime', `ONNX Runtime runs ${modelPath} on the conformance photo`, async (): Promise<CheckOutcome> => {
      const model = await loadModel(modelPath, { backend: 'onnxruntime' });
      try {
        const r = await extractTwice(model, photo);
        const bad = countNonFinite(r.tokens);
        const size = model.info.defaultSize;
        ort = { ...r, dim: model.info.dim, size: { height: size.height, width: size.width } };
        return verdict(bad.count === 0, `${r.tokens.length / model.info.dim} tokens of dim ${model.info.dim} at ${size.height}x${size.width}, ${bad.count} NaN/Inf; ${r.inferenceMs} ms per inference`, { inferenceMs: r.inferenceMs, nonFinite: bad.count });
      } finally {
        await model.dispose();
      }
    }),
  );
  const caps = capabilities();
  const why = !caps.cuda.available ? `CUDA is not available (${caps.cuda.reason ?? 'no device'})` : !caps.tensorrt.available ? `TensorRT is not available (${caps.tensorrt.reason ?? 'not built'})` : undefined;
  results.push(
    await runCheck('model.tensorrt', 'TensorRT (precision best) matches ONNX Runtime fp32 on the conformance photo', async (): Promise<CheckOutcome> => {
      if (why) return notRun(why);
      if (!ort) return notRun('ONNX Runtime could not run the model, so there is nothing to compare with');
      // The same input size as ONNX Runtime ran, so the tokens compare one to one.
      const model = await loadModel(modelPath, { backend: 'tensorrt', tensorrt: { precision: 'best', sizes: ort.size } });
      try {
        const r = await extractTwice(model, photo);
        const d = compareTokens(r.tokens, ort.tokens, ort.dim);
        const engine = model.info.engine;
        const bar = ENGINE_DEFAULTS.minCosine;
        return verdict(d.nonFinite === 0 && d.minCosine >= bar, `${engine?.precision ?? '?'} engine: min per-token cosine ${d.minCosine.toFixed(5)} (bar: >= ${bar}), ${r.inferenceMs} ms per inference vs ONNX Runtime ${ort.inferenceMs} ms; ladder: ${engine?.decision ?? ''}`, {
          precision: engine?.precision ?? 'unknown',
          minCosine: d.minCosine,
          tensorrtMs: r.inferenceMs,
          onnxruntimeMs: ort.inferenceMs,
        });
      } finally {
        await model.dispose();
      }
    }),
  );
  return results;
}
