#!/usr/bin/env node
// Makes the prebuilt binaries shipped in the npm package:
//   node scripts/prebuild.js              -> prebuilds/linux-x64   (CPU + CUDA kernels + capture module)
//   node scripts/prebuild.js --arch arm64 -> prebuilds/linux-arm64 (CPU build, cross-compiled with g++-aarch64-linux-gnu)
// On a Jetson (JetPack) the GPU build is made natively with the TensorRT module:
//   DINOV3_CUDA_ARCHITECTURES=87 node scripts/prebuild.js
// which adds dinov3_tensorrt.trt<major>.so beside the addon (docs/JETSON.md).
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
const i = process.argv.indexOf('--arch');
const arch = i >= 0 ? process.argv[i + 1] : process.arch;
const prebuildify = require.resolve('prebuildify/bin.js');
const r = spawnSync(process.execPath, [prebuildify, '--napi', '--strip', '--arch', arch, ...(arch === 'arm64' ? ['--strip-bin', 'aarch64-linux-gnu-strip'] : [])], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PREBUILD_NODE_GYP: path.join(__dirname, 'node-gyp-cmake.js') },
});
process.exit(r.status ?? 1);
