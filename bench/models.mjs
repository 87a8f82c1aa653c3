// Shared helpers of the benchmarks: the real-size models with seeded weights (bench/data.cjs),
// the same model laid out as a Hugging Face folder for transformers.js, statistics and the
// machine's description.
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const data = require('./data.cjs');
export const { root, cache, conformanceImage, realSizeModel } = data;

/** A transformers.js-style folder (config.json, preprocessor_config.json, onnx/model.onnx) for a size. */
export function huggingFaceFolder(name, size) {
  const model = realSizeModel(name);
  const dir = join(cache, `${name}-hf-${size}`);
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  copyFileSync(join(dirname(model), 'config.json'), join(dir, 'config.json'));
  const pre = JSON.parse(readFileSync(join(dirname(model), 'preprocessor_config.json'), 'utf8'));
  pre.size = { height: size, width: size };
  writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify(pre, null, 2));
  if (!existsSync(join(dir, 'onnx', 'model.onnx'))) copyFileSync(model, join(dir, 'onnx', 'model.onnx'));
  const data = join(dir, 'onnx', `${name}.onnx.data`);
  if (!existsSync(data)) {
    // A hard link (not a symlink: ONNX Runtime refuses external data that resolves outside the model folder).
    try {
      linkSync(`${model}.data`, data);
    } catch {
      copyFileSync(`${model}.data`, data);
    }
  }
  return dir;
}

/**
 * Times each step of `steps` ({ name: async () => extra }) once per round, interleaved
 * (A B C A B C ...) so machine drift hits them alike, after one untimed warm-up call each.
 * Returns the wall times per step and, per step, what its calls returned in the timed rounds.
 */
export async function interleaved(steps, runs) {
  const times = Object.fromEntries(Object.keys(steps).map((k) => [k, []]));
  const extras = Object.fromEntries(Object.keys(steps).map((k) => [k, []]));
  for (const fn of Object.values(steps)) await fn();
  for (let r = 0; r < runs; r++) {
    for (const [k, fn] of Object.entries(steps)) {
      const t = performance.now();
      const extra = await fn();
      times[k].push(performance.now() - t);
      extras[k].push(extra);
    }
  }
  return { times, extras };
}

/** Medians of each list of a { name: number[] } record. */
export function medians(record) {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, median(v)]));
}

/** A step of `interleaved`: model.extract(image) end to end, returning the library's own decode / preprocess / inference split. */
export function extractStep(model, image) {
  return async () => {
    const f = await model.extract(image);
    const { decodeMs, preprocessMs, inferenceMs } = f.timings;
    f.dispose();
    return { decode: decodeMs, preprocess: preprocessMs, inference: inferenceMs };
  };
}

/** Medians of the { decode, preprocess, inference } splits an extractStep returned. */
export function splitMedians(splits) {
  return medians({ decode: splits.map((s) => s.decode), preprocess: splits.map((s) => s.preprocess), inference: splits.map((s) => s.inference) });
}

/** The exact input tensor the library's preprocessing makes of `image` at size x size (what the raw-session baselines are fed; its cost is not counted). */
export async function libraryInput(image, size, info) {
  const { decodeImage, nativeFormat } = require(join(root, 'dist', 'image', 'input.js'));
  const { native } = require(join(root, 'dist', 'binding.js'));
  const img = await decodeImage(image);
  const input = new Float32Array(3 * size * size);
  await native().preprocess({ pixels: img.data, width: img.width, height: img.height, rowBytes: img.rowBytes, format: nativeFormat(img.format),
    outWidth: size, outHeight: size, mean: new Float32Array(info.mean), std: new Float32Array(info.std), out: input });
  return input;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function machine() {
  const cpus = (() => {
    try {
      return readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown CPU';
    } catch {
      return 'unknown CPU';
    }
  })();
  return `${cpus}, ${availableParallelism()} threads, Node ${process.version}`;
}

/** The value after `--name` on the command line, or the fallback. */
export function cliArg(name, fallback) {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
}
