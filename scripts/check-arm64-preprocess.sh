#!/usr/bin/env bash
# Cross-compiles the native preprocessing (native/core: PIL-exact resize, its NEON row kernels)
# and its C++ tests for arm64 (Jetson, Graviton, Apple silicon under Linux) with
# aarch64-linux-gnu-g++ -Wall -Wextra -Werror, then, when qemu-user is installed, runs them under
# qemu-aarch64: the NEON kernel must give the scalar reference's bytes (0 levels of difference).
#
#   npm run check:arm64                 # output in ${TMPDIR:-/tmp}/dinov3-arm64-preprocess
#
# Prints "check-arm64: SKIPPED: why" and exits 0 without the cross compiler; prints
# "check-arm64: COMPILED ONLY: why" and exits 0 when it compiled but qemu-aarch64 is missing;
# otherwise exits with the test binary's status. CI (.ci/run) installs both.
set -u
cd "$(dirname "$0")/.." || exit 1
cxx=${AARCH64_CXX:-aarch64-linux-gnu-g++}
sysroot=${AARCH64_SYSROOT:-/usr/aarch64-linux-gnu}
out=${DINOV3_ARM64_OUT:-${TMPDIR:-/tmp}/dinov3-arm64-preprocess}

command -v "$cxx" >/dev/null 2>&1 || { echo "check-arm64: SKIPPED: $cxx not found (apt: g++-aarch64-linux-gnu)"; exit 0; }
mkdir -p "$out" || exit 1

core=(preprocess.cc resize_dispatch.cc resize_neon.cc resize_plan.cc resize_rows.cc resize_x86.cc parallel.cc)
tests=(test_main.cc test_preprocess.cc test_resize_kernels.cc)
sources=()
for f in "${core[@]}"; do sources+=("native/core/$f"); done
for f in "${tests[@]}"; do sources+=("native/tests/$f"); done

bin="$out/dinov3_preprocess_tests"
echo "check-arm64: $cxx -O2 ${#sources[@]} sources -> $bin"
"$cxx" -std=c++17 -O2 -Wall -Wextra -Werror -Inative/core -Inative/tests "${sources[@]}" -o "$bin" -lpthread || {
  echo "check-arm64: FAILED: the arm64 build failed"
  exit 1
}
# The NEON kernel is really in the binary (not only the portable fallback).
if command -v aarch64-linux-gnu-objdump >/dev/null 2>&1; then
  aarch64-linux-gnu-objdump -d -C "$bin" | grep -q "neon_horizontal" || { echo "check-arm64: FAILED: no NEON kernel in the binary"; exit 1; }
fi

qemu=${QEMU_AARCH64:-qemu-aarch64}
command -v "$qemu" >/dev/null 2>&1 || { echo "check-arm64: COMPILED ONLY: $qemu not found (apt: qemu-user), the tests did not run"; exit 0; }
echo "check-arm64: running under $qemu -L $sysroot"
"$qemu" -L "$sysroot" "$bin"
status=$?
[ "$status" -eq 0 ] && echo "check-arm64: PASSED" || echo "check-arm64: FAILED ($status)"
exit "$status"
