#!/usr/bin/env node
// Builds the native addon at install time (npm runs this as the "install" script).
//
//   1. A usable prebuilt binary (prebuilds/<platform>-<arch>/) or an existing local build is
//      kept as it is, unless --force or DINOV3_FORCE_BUILD=1.
//   2. Otherwise the full build runs through cmake-js (CMakeLists.txt), which compiles the CUDA
//      kernels when nvcc is found and the TensorRT / capture modules when their libraries are.
//   3. Without CMake (or if the CMake build fails and DINOV3_BUILDER is not 'cmake') the plain
//      node-gyp build (binding.gyp) makes the CPU-only addon.
//
// Environment:
//   DINOV3_BUILDER=cmake|gyp        force one build system
//   DINOV3_CMAKE_ARGS="-DX=Y ..."   extra CMake arguments (e.g. -DDINOV3_WITH_CUDA=OFF)
//   DINOV3_CUDA_ARCHITECTURES=87    GPU architectures (Jetson Orin: 87)
//   TENSORRT_ROOT=/path             a TensorRT install outside the standard paths
//   DINOV3_SKIP_NATIVE=1            do nothing (e.g. when only the TypeScript is needed)
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const force = process.argv.includes('--force') || process.env.DINOV3_FORCE_BUILD === '1';
const log = (msg) => process.stderr.write(`dinov3-trt: ${msg}\n`);

function loadsAlready() {
  try {
    const found = require('node-gyp-build').resolve(root);
    require(found);
    log(`using ${path.relative(root, found)}`);
    return true;
  } catch {
    return false;
  }
}

function run(cmd, args) {
  log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  return r.status === 0;
}

function hasCmake() {
  const r = spawnSync('cmake', ['--version'], { stdio: 'ignore' });
  return r.status === 0;
}

/** cmake-js takes CMake cache entries as --CDNAME=VALUE (a plain `-- -DNAME=VALUE` is ignored). */
function cmakeDefines(list) {
  return list.map((a) => (a.startsWith('-D') ? `--CD${a.slice(2)}` : a));
}

function cmakeBuild() {
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const extra = (process.env.DINOV3_CMAKE_ARGS || '').split(/\s+/).filter(Boolean);
  if (process.env.DINOV3_CUDA_ARCHITECTURES) extra.push(`-DDINOV3_CUDA_ARCHITECTURES=${process.env.DINOV3_CUDA_ARCHITECTURES}`);
  if (process.env.TENSORRT_ROOT) extra.push(`-DTENSORRT_ROOT=${process.env.TENSORRT_ROOT}`);
  // `configure` applies the options even to an existing build tree (cmake-js `compile` would
  // reuse the old configuration); `build` then compiles incrementally.
  const common = ['--out', 'build'];
  return (
    run(process.execPath, [cmakeJs, 'configure', ...common, ...cmakeDefines(extra)]) &&
    run(process.execPath, [cmakeJs, 'build', ...common, '--parallel', String(Math.max(1, require('node:os').availableParallelism()))])
  );
}

function gypBuild() {
  const nodeGyp = process.env.npm_config_node_gyp;
  if (nodeGyp && existsSync(nodeGyp)) return run(process.execPath, [nodeGyp, 'rebuild']);
  return run(process.platform === 'win32' ? 'npx.cmd' : 'npx', ['--yes', 'node-gyp', 'rebuild']);
}

function main() {
  if (process.env.DINOV3_SKIP_NATIVE === '1') return 0;
  if (!force && loadsAlready()) return 0;
  const builder = process.env.DINOV3_BUILDER;
  if (builder === 'gyp') return gypBuild() ? 0 : 1;
  if (builder === 'cmake' || hasCmake()) {
    if (cmakeBuild()) return 0;
    if (builder === 'cmake') return 1;
    log('the CMake build failed; falling back to the CPU-only node-gyp build');
  } else {
    log('cmake not found; building the CPU-only addon with node-gyp (no CUDA, TensorRT or capture)');
  }
  return gypBuild() ? 0 : 1;
}

if (require.main === module) process.exitCode = main();
module.exports = { cmakeDefines };
