// Where the benchmarks' data lives, shared by every script: the real-size DINOv3 graphs in
// bench/models (with seeded weights written by bench/models/synth-weights.mjs into a writable
// cache) and the conformance images in test/fixtures/conformance. DINOV3_SHARED=<folder> (one
// holding models/ and conformance/) overrides both.
'use strict';
const { execFileSync } = require('node:child_process');
const { copyFileSync, existsSync, mkdirSync } = require('node:fs');
const { join, resolve } = require('node:path');

const root = resolve(__dirname, '..');
const shared = process.env.DINOV3_SHARED ? resolve(process.env.DINOV3_SHARED) : undefined;
const modelsDir = shared ? join(shared, 'models') : join(root, 'bench', 'models');
const conformanceDir = shared ? join(shared, 'conformance') : join(root, 'test', 'fixtures', 'conformance');
const cache = join(root, '.cache', 'models');

/** A conformance picture by name (chelsea, astronaut, coffee). */
function conformanceImage(name) {
  return join(conformanceDir, 'images', `${name}.png`);
}

/**
 * Path of <name>/<name>.onnx (e.g. name = 'vits16') with seeded weights, in .cache/models: the
 * graph is copied there and synth-weights.mjs writes the external weights file beside it once.
 * @param {string} name
 * @param {{ quiet?: boolean }} [options]
 */
function realSizeModel(name, options = {}) {
  const src = join(modelsDir, name);
  const dst = join(cache, name);
  if (!existsSync(join(src, `${name}.onnx`))) throw new Error(`${join(src, `${name}.onnx`)} not found`);
  mkdirSync(dst, { recursive: true });
  for (const f of [`${name}.onnx`, 'config.json', 'external_data.json', 'preprocessor_config.json']) {
    if (!existsSync(join(dst, f))) copyFileSync(join(src, f), join(dst, f));
  }
  execFileSync(process.execPath, [join(root, 'bench', 'models', 'synth-weights.mjs'), dst], { stdio: options.quiet ? 'ignore' : 'inherit' });
  return join(dst, `${name}.onnx`);
}

module.exports = { root, modelsDir, conformanceDir, cache, conformanceImage, realSizeModel };
