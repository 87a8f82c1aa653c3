#!/usr/bin/env bash
# Prebuilt-binary check: make a real prebuild with prebuildify (CPU build, to keep it quick),
# `npm pack` the package, install the tarball into an empty project with NO compiler, CMake or
# make on PATH, and check that `require('dinov3-trt')` loads the prebuild, the CPU path works and
# `dinov3 doctor` passes its CPU checks on the conformance subset shipped in the package.
# Runs in a scratch copy of the sources, so the working tree's build/ is never touched.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/dinov3-pack.XXXXXX")
[ -n "${DINOV3_KEEP_PACK_DIR:-}" ] || trap 'rm -rf "$work"' EXIT
echo "pack-test: scratch dir $work"

# 1. Scratch copy of the sources (no build outputs), sharing node_modules.
mkdir -p "$work/src"
tar -C "$root" --exclude=./node_modules --exclude=./build --exclude='./build-*' --exclude=./dist \
    --exclude=./prebuilds --exclude=./.cache --exclude=./.git --exclude=./coverage -cf - . | tar -C "$work/src" -xf -
ln -s "$root/node_modules" "$work/src/node_modules"
cd "$work/src"

# 2. The prebuild (prebuildify + cmake-js) and the package tarball.
DINOV3_CMAKE_ARGS="-DDINOV3_WITH_CUDA=OFF -DDINOV3_WITH_TENSORRT=OFF" node scripts/prebuild.js > "$work/prebuild.log" 2>&1 \
  || { tail -40 "$work/prebuild.log"; exit 1; }
# linux-arm64 (Jetson's CPU) cross-compiled with Debian's aarch64 toolchain, when present.
if command -v aarch64-linux-gnu-g++ > /dev/null; then
  node scripts/prebuild.js --arch arm64 > "$work/prebuild-arm64.log" 2>&1 || { tail -40 "$work/prebuild-arm64.log"; exit 1; }
  readelf -h prebuilds/linux-arm64/dinov3-trt.node | grep -q 'AArch64' || { echo "pack-test: the arm64 prebuild is not AArch64"; exit 1; }
  echo "pack-test: linux-arm64 prebuild is AArch64 ($(stat -c %s prebuilds/linux-arm64/dinov3-trt.node) bytes)"
else
  echo "pack-test: aarch64-linux-gnu-g++ not installed: linux-arm64 prebuild not checked"
fi
ls prebuilds/*/
npm pack --silent --pack-destination "$work" > "$work/pack.log" 2>&1 || { cat "$work/pack.log"; exit 1; }
tgz=$(ls "$work"/dinov3-trt-*.tgz)
tar -tzf "$tgz" > "$work/contents.txt"
grep -q '^package/prebuilds/linux-x64/dinov3-trt.node$' "$work/contents.txt" || { echo "pack-test: no prebuild in $tgz"; grep prebuilds "$work/contents.txt"; exit 1; }
echo "pack-test: $(wc -l < "$work/contents.txt") files in $(basename "$tgz"), prebuilds: $(grep -c '^package/prebuilds/' "$work/contents.txt")"

# 3. An empty project whose PATH has node and npm only.
mkdir -p "$work/bin" "$work/app"
ln -s "$(command -v node)" "$work/bin/node"
ln -s "$(command -v npm)" "$work/bin/npm"
ln -s "$(command -v sh)" "$work/bin/sh"   # npm runs lifecycle scripts through sh
cd "$work/app"
printf 'onnxruntime-node-install=skip\n' > .npmrc
echo '{"name":"app","version":"1.0.0","private":true}' > package.json
for tool in g++ gcc cc c++ cmake make; do
  if PATH="$work/bin" command -v "$tool" > /dev/null 2>&1; then echo "pack-test: $tool is still on PATH"; exit 1; fi
done
# A user's environment: none of this repository's build switches (CI exports DINOV3_FORCE_BUILD).
PATH="$work/bin" "$(command -v env)" -u DINOV3_FORCE_BUILD -u DINOV3_CMAKE_ARGS -u DINOV3_BUILDER -u DINOV3_SKIP_NATIVE \
  npm install --no-audit --no-fund --prefer-offline "$tgz" > "$work/install.log" 2>&1 || { tail -40 "$work/install.log"; exit 1; }
# (npm 11 may not run dependency install scripts at all; either way no build may happen here.)
[ ! -d node_modules/dinov3-trt/build ] || { echo "pack-test: the install built from source"; cat "$work/install.log"; exit 1; }

# 4. The CPU path works from the installed package.
PATH="$work/bin" node -e '
const dino = require("dinov3-trt");
(async () => {
  const loaded = require("node-gyp-build").resolve(require("node:path").dirname(require.resolve("dinov3-trt/package.json")));
  if (!loaded.includes("/prebuilds/linux-x64/")) throw new Error(`loaded ${loaded}, not the prebuild`);
  const caps = dino.capabilities();
  if (!caps.backends.includes("onnxruntime")) throw new Error("no onnxruntime backend");
  const path = require("node:path").join(process.cwd(), "tiny.onnx");
  await require("dinov3-trt/testing").writeTinyDinov3(path, { dim: 16, heads: 1, depth: 1 });
  const model = await dino.loadModel(path);
  const pixels = new Uint8Array(64 * 48 * 3).map((_, i) => (i * 13) % 256);
  const f = await model.extract({ data: pixels, width: 64, height: 48, format: "rgb" }, { size: 64 });
  const km = await f.kmeans({ k: 3 });
  const heat = await f.similarity({ row: 1, col: 1 });
  if (f.patches.length !== 16 * 16 || km.labels.length !== 16 || heat.values[5] < 0.999) throw new Error("unexpected results");
  await model.dispose();
  console.log(`pack-test: OK (addon ${caps.addonVersion}, backends ${caps.backends.join(",")}, cuda compiled: ${caps.cuda.compiled})`);
})().catch((e) => { console.error(e); process.exit(1); });
'

# 5. `dinov3 doctor` works from the installed package: the shipped conformance subset is enough.
PATH="$work/bin" node node_modules/dinov3-trt/dist/cli/main.js doctor --report "$work/doctor.json" > "$work/doctor.log" 2>&1 \
  || { echo "pack-test: dinov3 doctor failed"; cat "$work/doctor.log"; exit 1; }
grep -q '^PASS  conformance.onnxruntime' "$work/doctor.log" || { echo "pack-test: doctor did not pass conformance.onnxruntime"; cat "$work/doctor.log"; exit 1; }
echo "pack-test: doctor OK ($(grep "^OK:" "$work/doctor.log"))"
