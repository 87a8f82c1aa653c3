#!/usr/bin/env bash
# Checks the capture module's Jetson NVMM path on a machine without JetPack.
#
#   scripts/check-nvmm.sh <dir holding nvbufsurface.h> [CUDA include dir]
#
# NVIDIA's nvbufsurface.h is public but proprietary: it is never committed here. Put a copy in a
# temporary directory (JetPack ships it in /usr/src/jetson_multimedia_api/include, DeepStream in
# sources/includes; public mirrors exist) and pass that directory.
#
# 1. Syntax: every capture source compiled with -fsyntax-only -Wall -Wextra -Werror and
#    DINOV3_WITH_NVMM, against GStreamer (pkg-config), the EGL headers and the CUDA toolkit's
#    cuda.h/cudaEGL.h.
# 2. Build and run (skipped with CHECK_NVMM_SYNTAX_ONLY=1): the module and its C++ tests are built
#    with CMake in a temporary directory with NVMM ON, linked against test doubles of
#    libnvbufsurface.so and libcuda.so.1 (native/tests/capture/fake_nvidia, host memory standing in
#    for surfaces), and the NVMM tests run three times: with the fake driver and a surfaceless EGL
#    display, without the driver, and without a usable EGL display (the headless pitfall).
#
# CHECK_NVMM_KEEP=1 keeps the temporary build (its path is printed).
# Exit status: 0 = passed, 1 = failed; "SKIP" lines (status 0) when a prerequisite is missing.
set -u
cd "$(dirname "$0")/.."
root="$PWD"

header_dir="${1:-}"
cuda_include="${2:-${CUDA_INCLUDE_DIR:-/usr/local/cuda/include}}"
cxx="${CXX:-g++}"

skip() { echo "SKIP: $*"; exit 0; }
[ -n "$header_dir" ] || skip "no nvbufsurface.h directory given (usage: $0 <dir holding nvbufsurface.h> [cuda include dir])"
header_dir="$(cd "$header_dir" 2>/dev/null && pwd)" || skip "directory ${1} does not exist"
[ -f "$header_dir/nvbufsurface.h" ] || skip "$header_dir/nvbufsurface.h does not exist"
[ -f "$cuda_include/cuda.h" ] && [ -f "$cuda_include/cudaEGL.h" ] || skip "cuda.h/cudaEGL.h not found in $cuda_include"
[ -f /usr/include/EGL/egl.h ] || skip "EGL headers (/usr/include/EGL/egl.h) not found"
command -v pkg-config >/dev/null || skip "pkg-config not found"
gst_flags="$(pkg-config --cflags gstreamer-1.0 gstreamer-app-1.0 gstreamer-video-1.0 2>/dev/null)" ||
  skip "GStreamer development files not found by pkg-config"
command -v "$cxx" >/dev/null || skip "no C++ compiler ($cxx)"

echo "== 1. syntax check against $header_dir/nvbufsurface.h"
status=0
for src in native/capture/*.cc native/tests/capture/test_capture_nvmm.cc; do
  # shellcheck disable=SC2086
  if "$cxx" -std=c++17 -fsyntax-only -Wall -Wextra -Werror -DDINOV3_WITH_NVMM=1 \
      -Inative/capture -Inative/core -Inative/tests -Inative/tests/capture $gst_flags \
      -isystem "$header_dir" -isystem "$cuda_include" "$src"; then
    echo "ok   $src"
  else
    echo "FAIL $src"
    status=1
  fi
done
[ $status -eq 0 ] || exit 1
echo "NVMM sources compile cleanly (-Wall -Wextra -Werror)"
[ "${CHECK_NVMM_SYNTAX_ONLY:-0}" = 1 ] && exit 0

command -v cmake >/dev/null || skip "cmake not found: build-and-run check skipped"
work="$(mktemp -d /tmp/dinov3-check-nvmm.XXXXXX)"
[ "${CHECK_NVMM_KEEP:-0}" = 1 ] && echo "keeping $work" || trap 'rm -rf "$work"' EXIT
mkdir -p "$work/nvbuf" "$work/cuda"
fakes=native/tests/capture/fake_nvidia
echo "== 2. build with NVMM ON against test doubles ($work)"
"$cxx" -std=c++17 -shared -fPIC -O1 -Wall -Wextra -Werror -isystem "$header_dir" -I$fakes \
  $fakes/fake_nvbufsurface.cc -o "$work/nvbuf/libnvbufsurface.so" || exit 1
"$cxx" -std=c++17 -shared -fPIC -O1 -Wall -Wextra -Werror -isystem "$cuda_include" -I$fakes \
  $fakes/fake_cuda.cc -o "$work/cuda/libcuda.so.1" || exit 1
cmake -S "$root" -B "$work/build" -DDINOV3_WITH_CUDA=OFF -DDINOV3_WITH_TENSORRT=OFF \
  -DNVBUFSURFACE_INCLUDE_DIR="$header_dir" -DNVBUFSURFACE_LIB_DIR="$work/nvbuf" \
  -DDINOV3_CUDA_EGL_INCLUDE_DIR="$cuda_include" >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; exit 1; }
grep "capture module" "$work/configure.log"
grep -q "NVMM zero-copy: ON" "$work/configure.log" || { echo "FAIL: NVMM was not enabled"; exit 1; }
cmake --build "$work/build" -j"$(nproc)" --target dinov3_capture dinov3_capture_tests >"$work/build.log" 2>&1 ||
  { tail -40 "$work/build.log"; exit 1; }
grep -E "warning" "$work/build.log" && { echo "FAIL: warnings"; exit 1; }
nm -D --defined-only "$work/build/Release/dinov3_capture.so" | grep -q dinov3_capture_module_v1 || { echo "FAIL: entry point"; exit 1; }
echo "built: dinov3_capture.so (NVMM ON), dinov3_capture_tests"

tests="$work/build/native/tests/capture/dinov3_capture_tests"
run() {  # <label> <env...>
  local label="$1"; shift
  if env "$@" "$tests" > "$work/$label.log" 2>&1; then
    echo "ok   $label: $(tail -1 "$work/$label.log")"
  else
    echo "FAIL $label"; cat "$work/$label.log"; status=1
  fi
}
echo "== 3. run"
run all-tests         # the whole suite with NVMM compiled in (fake tests skip without DINOV3_NVMM_FAKE)
run fake-driver DINOV3_NVMM_FAKE=1 LD_LIBRARY_PATH="$work/cuda" EGL_PLATFORM=surfaceless
run no-driver DINOV3_NVMM_FAKE=no-driver EGL_PLATFORM=surfaceless
run headless-egl DINOV3_NVMM_FAKE=no-egl LD_LIBRARY_PATH="$work/cuda" DISPLAY= WAYLAND_DISPLAY= EGL_PLATFORM=
[ $status -eq 0 ] && echo "NVMM path: compiled, linked and exercised against test doubles"
exit $status
