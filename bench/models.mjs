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
