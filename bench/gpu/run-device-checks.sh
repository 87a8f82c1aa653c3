#!/usr/bin/env bash
# The one script to run on the GPU machine (from the repository root; no network, no Node):
# configure + build the native tree for sm_90, run CTest (CUDA tests included, with the
# conformance features of test/fixtures/conformance), compute-sanitizer memcheck over the CUDA tests, the kernel
# benchmark, and the scikit-learn / PyTorch k-means peers on the same data.
#
#   bash bench/gpu/run-device-checks.sh
#
# Env: CONFORMANCE_DIR (default ./test/fixtures/conformance), BUILD_DIR (default /tmp/b),
# OUT (when set, logs are copied there: at most 7 files), TOTAL_BUDGET_S (default 540: every
# section's timeout is cut to what is left of it, so the script ends inside a 10-minute call
# even if something hangs). Every section runs even when an earlier one failed (those needing
# the build are skipped if it failed); the exit status is non-zero when anything failed.
# Expected: about 3 minutes on a 16-core H100 machine.
set -u
ROOT=$(pwd)
B=${BUILD_DIR:-/tmp/b}
LOGDIR=$(mktemp -d /tmp/dinov3-device-checks.XXXXXX)
FULL="$LOGDIR/device-checks.log"
FAILED=()
T0=$(date +%s)
DEADLINE=$(( T0 + ${TOTAL_BUDGET_S:-540} ))
[ -f "$ROOT/CMakeLists.txt" ] && [ -d "$ROOT/native/cuda" ] || { echo "run from the repository root"; exit 2; }
CONFORMANCE_DIR=${CONFORMANCE_DIR:-$ROOT/test/fixtures/conformance}

section() { printf '\n==================== %s  (t=%ss) ====================\n' "$1" "$(( $(date +%s) - T0 ))" | tee -a "$FULL"; }

# run NAME TIMEOUT_S CMD...: output to the terminal, the full log and LOGDIR/NAME.log.
run() {
  local name=$1 limit=$2; shift 2
  section "$name"
  local start=$(date +%s)
  local left=$(( DEADLINE - start ))
  if [ "$left" -lt 15 ]; then
    echo "--- $name: SKIPPED, the time budget is spent" | tee -a "$FULL"; FAILED+=("$name (no time left)")
    return 1
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  timeout --kill-after=10 "$limit" "$@" 2>&1 | tee "$LOGDIR/$name.log" | tee -a "$FULL"
  local rc=${PIPESTATUS[0]}
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "--- $name: TIMED OUT after ${limit}s" | tee -a "$FULL"; FAILED+=("$name (timed out after ${limit}s)")
  elif [ "$rc" -ne 0 ]; then
    echo "--- $name: FAILED (exit $rc)" | tee -a "$FULL"; FAILED+=("$name (exit $rc)")
  else
    echo "--- $name: ok ($(( $(date +%s) - start ))s)" | tee -a "$FULL"
  fi
  return "$rc"
}

section environment
{
  nvidia-smi -L 2>&1 || echo "nvidia-smi unavailable"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv 2>&1 || true
  nvcc --version 2>&1 | tail -2
  cmake --version 2>&1 | head -1
  command -v compute-sanitizer || echo "compute-sanitizer not on PATH"
  python3 -c 'import torch, sklearn, numpy; print("torch", torch.__version__, "sklearn", sklearn.__version__, "numpy", numpy.__version__)' 2>&1
  echo "conformance: ${CONFORMANCE_DIR:-<none>}"; nproc
} 2>&1 | tee -a "$FULL"

run configure 90 cmake -S "$ROOT" -B "$B" -DDINOV3_CUDA_ARCHITECTURES=90 -DDINOV3_WITH_TENSORRT=OFF \
  -DDINOV3_WITH_GSTREAMER=OFF -DCMAKE_BUILD_TYPE=Release
BUILD_OK=0
if run build 240 cmake --build "$B" -j16; then BUILD_OK=1; fi
if [ "$BUILD_OK" -eq 1 ] && grep -qiE '(^|[^a-z])warning' "$LOGDIR/build.log"; then
  echo "--- build printed warnings (see build.log)" | tee -a "$FULL"; FAILED+=("build warnings")
fi
TESTS="$B/native/tests/cuda/dinov3_cuda_tests"
BENCH="$B/native/tests/cuda/dinov3_cuda_bench"
DATA="$LOGDIR/kmeans_4096x1024.f32"

if [ "$BUILD_OK" -eq 1 ]; then
  export DINOV3_CONFORMANCE="$CONFORMANCE_DIR"
  run ctest 180 ctest --test-dir "$B" --output-on-failure --timeout 150
  cp "$B/Testing/Temporary/LastTest.log" "$LOGDIR/ctest-LastTest.log" 2>/dev/null
  unset DINOV3_CONFORMANCE
  if command -v compute-sanitizer >/dev/null; then
    # Synthetic data only (no conformance set): every CUDA test under memcheck. API errors are
    # not reported: some tests provoke them on purpose (a 2^56-byte allocation must fail). Leaks
    # are not checked: the k-means plan pool is deliberately never freed (no CUDA calls at exit).
    # compute-sanitizer 2025.x accepts --leak-check full|no and --report-api-errors all|explicit|no.
    run memcheck 180 compute-sanitizer --tool memcheck --leak-check no --report-api-errors no \
      --error-exitcode 99 "$TESTS"
  else
    section memcheck; echo "compute-sanitizer not found: skipped" | tee -a "$FULL"; FAILED+=("memcheck (no compute-sanitizer)")
  fi
  run bench 120 "$BENCH" "$DATA"
else
  section "tests, memcheck, bench"; echo "skipped: the build failed" | tee -a "$FULL"
fi

if [ -f "$DATA" ]; then
  run peers 150 env PYTHONUNBUFFERED=1 python3 "$ROOT/bench/gpu/kmeans_peers.py" --data "$DATA"
else
  run peers 150 env PYTHONUNBUFFERED=1 python3 "$ROOT/bench/gpu/kmeans_peers.py"
fi

section summary
{
  echo "total $(( $(date +%s) - T0 ))s; logs in $LOGDIR"
  if [ "${#FAILED[@]}" -eq 0 ]; then echo "ALL SECTIONS PASSED"; else printf 'FAILED: %s\n' "${FAILED[@]}"; fi
} | tee -a "$FULL" | tee "$LOGDIR/summary.txt"
if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT"
  for f in summary.txt device-checks.log ctest-LastTest.log memcheck.log bench.log peers.log build.log; do
    [ -f "$LOGDIR/$f" ] && cp "$LOGDIR/$f" "$OUT/$f"
  done
fi
[ "${#FAILED[@]}" -eq 0 ]
