#!/usr/bin/env node
// Stands in for node-gyp when prebuildify runs (PREBUILD_NODE_GYP points here): prebuildify
// calls `node-gyp rebuild --target=... --devdir=... [--arch=...] --release`; this builds the
// addon with cmake-js instead (N-API headers come from node-api-headers, so the target version
// does not matter), so prebuilds carry the CUDA kernels and the optional modules.
'use strict';
const { spawnSync } = require('node:child_process');
const { rmSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const args = process.argv.slice(2);
const arch = (args.find((a) => a.startsWith('--arch=')) || `--arch=${process.arch}`).slice('--arch='.length);
const cmakeArgs = (process.env.DINOV3_CMAKE_ARGS || '').split(/\s+/).filter(Boolean);
if (arch !== process.arch) {
  if (arch !== 'arm64' || process.arch !== 'x64') {
    process.stderr.write(`node-gyp-cmake: cross-compiling ${process.arch} -> ${arch} is not set up\n`);
    process.exit(1);
  }
  // CPU-only cross build: no CUDA/TensorRT/GStreamer for the target here.
  cmakeArgs.push(
    `-DCMAKE_TOOLCHAIN_FILE=${path.join(root, 'cmake', 'toolchain-aarch64-linux-gnu.cmake')}`,
    '-DDINOV3_WITH_CUDA=OFF',
    '-DDINOV3_WITH_TENSORRT=OFF',
    '-DDINOV3_WITH_GSTREAMER=OFF',
  );
}
rmSync(path.join(root, 'build'), { recursive: true, force: true });
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const { cmakeDefines } = require('./build-native.js');
const step = (args) => spawnSync(process.execPath, [cmakeJs, ...args, '--out', 'build', '--arch', arch], { cwd: root, stdio: 'inherit' }).status;
const status = step(['configure', ...cmakeDefines(cmakeArgs)]) || step(['build', '--parallel', String(os.availableParallelism())]);
process.exit(status ?? 1);
