#!/usr/bin/env bash
# Compile-checks (no linking, no TensorRT libraries, no GPU) every TensorRT source of the project
# against the public headers of TensorRT 8.5, 8.6, 10.3 and 11.1 — the releases of JetPack 5.1,
# JetPack 6.0, JetPack 6.1/6.2 and the newest line — with -Wall -Wextra -Werror, then the addon's
# TensorRT binding once against node-addon-api.
#
#   npm run check:tensorrt                 # lays the headers out from the git mirrors if needed
#   npm run check:tensorrt -- DIR          # DIR/<ver>/include/NvInfer.h ..., or DIR/NvInfer.h (one version)
#
# Headers come from DIR ($1 or DINOV3_TRT_HEADERS), else they are laid out once into
# ${TMPDIR:-/tmp}/dinov3-trt-headers by ../shared/tools/trt-headers.sh from bare git snapshots of
# NVIDIA/TensorRT and onnx/onnx-tensorrt (TRT_GIT_DIR / ONNX_TRT_GIT_DIR, default
# ../.mirror/<owner>+<name>/repo). Nothing is written inside the repository. Without headers,
# mirrors or CUDA headers the script prints SKIPPED and exits 0 (CI without the mirrors).
set -u
cd "$(dirname "$0")/.." || exit 1
repo=$(pwd)
cxx=${CXX:-g++}
versions=(8.5 8.6 10.3 11.1)
flags=(-std=c++17 -fsyntax-only -Wall -Wextra -Werror)

skip() {
  echo "check-tensorrt: SKIPPED: $*"
  exit 0
}

# ---- headers -------------------------------------------------------------------------------------
hdrs=${1:-${DINOV3_TRT_HEADERS:-}}
if [ -z "$hdrs" ]; then
  hdrs=${TMPDIR:-/tmp}/dinov3-trt-headers
  complete=1
  for v in "${versions[@]}"; do [ -f "$hdrs/$v/include/NvInfer.h" ] || complete=0; done
  if [ "$complete" = 0 ]; then
    tool=$repo/../shared/tools/trt-headers.sh
    trt_git=${TRT_GIT_DIR:-$repo/../.mirror/NVIDIA+TensorRT/repo}
    onnx_git=${ONNX_TRT_GIT_DIR:-$repo/../.mirror/onnx+onnx-tensorrt/repo}
    [ -f "$tool" ] || skip "no TensorRT headers given and $tool is absent (pass a header folder: npm run check:tensorrt -- DIR)"
    [ -d "$trt_git" ] || skip "no TensorRT headers given and no NVIDIA/TensorRT git snapshot at $trt_git (set TRT_GIT_DIR)"
    [ -d "$onnx_git" ] || skip "no TensorRT headers given and no onnx/onnx-tensorrt git snapshot at $onnx_git (set ONNX_TRT_GIT_DIR)"
    echo "check-tensorrt: laying out TensorRT headers in $hdrs"
    bash "$tool" "$trt_git" "$onnx_git" "$hdrs" >/dev/null || skip "$tool could not lay out the headers"
  fi
fi
if [ ! -d "$hdrs" ]; then
  if [ -n "${1:-}" ]; then echo "check-tensorrt: header folder $hdrs does not exist" >&2; exit 2; fi
  skip "header folder $hdrs does not exist"
fi

# One version given directly (a TensorRT install's include folder), or one folder per version.
declare -a labels=() incs=()
if [ -f "$hdrs/NvInfer.h" ]; then
  v=$(sed -n 's/^#define NV_TENSORRT_MAJOR \([0-9]*\).*/\1/p;s/^#define NV_TENSORRT_MINOR \([0-9]*\).*/.\1/p' "$hdrs/NvInferVersion.h" 2>/dev/null | tr -d '\n')
  labels+=("${v:-given}")
  incs+=("$hdrs")
else
  for v in "${versions[@]}"; do
    labels+=("$v")
    incs+=("$hdrs/$v/include")
  done
fi

cuda_inc=${CUDA_HOME:-/usr/local/cuda}/include
[ -f "$cuda_inc/cuda_runtime_api.h" ] || skip "no CUDA headers at $cuda_inc (NvInfer.h includes cuda_runtime_api.h; set CUDA_HOME)"
command -v "$cxx" >/dev/null || skip "no C++ compiler ($cxx)"

# ---- compile --------------------------------------------------------------------------------------
files=(native/trt/*.cc native/tests/trt/*.cc)
work=$(mktemp -d "${TMPDIR:-/tmp}/dinov3-check-trt.XXXXXX")
trap 'rm -rf "$work"' EXIT
jobs_max=$(nproc 2>/dev/null || echo 2)

compile() {  # label include file -> $work/<label>/<n>.{rc,log}
  local label=$1 inc=$2 file=$3 out=$4
  "$cxx" "${flags[@]}" -I"$inc" -I"$cuda_inc" -Inative -DDINOV3_DEFAULT_CONFORMANCE='"test/fixtures/conformance"' \
    "$file" >"$out.log" 2>&1
  echo $? >"$out.rc"
}

for i in "${!labels[@]}"; do
  mkdir -p "$work/$i"
  if [ ! -f "${incs[$i]}/NvInfer.h" ]; then
    echo missing >"$work/$i/missing"
    continue
  fi
  for n in "${!files[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do sleep 0.1; done
    compile "${labels[$i]}" "${incs[$i]}" "${files[$n]}" "$work/$i/$n" &
  done
done

# The binding: no TensorRT headers, node-addon-api + node-api-headers.
napi_inc=node_modules/node-addon-api
napi_hdrs=node_modules/node-api-headers/include
binding_result="skipped (node_modules missing: run npm install)"
if [ -f "$napi_inc/napi.h" ] && [ -f "$napi_hdrs/node_api.h" ]; then
  binding_ok=1
  : >"$work/binding.log"
  for f in native/addon/tensorrt_ops.cc native/addon/tensorrt_unavailable.cc; do
    "$cxx" "${flags[@]}" -I"$napi_inc" -I"$napi_hdrs" -Inative -DNAPI_VERSION=8 -DNODE_ADDON_API_DISABLE_DEPRECATED \
      -DNODE_ADDON_API_CPP_EXCEPTIONS "$f" >>"$work/binding.log" 2>&1 || binding_ok=0
  done
  binding_result=$([ "$binding_ok" = 1 ] && echo ok || echo FAIL)
fi
wait

# ---- report ---------------------------------------------------------------------------------------
status=0
printf '\n%-10s %-7s %s\n' "TensorRT" "files" "result (g++ -fsyntax-only -Wall -Wextra -Werror)"
printf '%-10s %-7s %s\n' "--------" "-----" "------"
for i in "${!labels[@]}"; do
  if [ -f "$work/$i/missing" ]; then
    printf '%-10s %-7s %s\n' "${labels[$i]}" "-" "FAIL: no headers at ${incs[$i]}"
    status=1
    continue
  fi
  failed=()
  for n in "${!files[@]}"; do
    [ "$(cat "$work/$i/$n.rc" 2>/dev/null || echo 1)" = 0 ] || failed+=("$n")
  done
  if [ ${#failed[@]} -eq 0 ]; then
    printf '%-10s %-7s %s\n' "${labels[$i]}" "${#files[@]}" "ok (0 warnings)"
  else
    printf '%-10s %-7s %s\n' "${labels[$i]}" "${#files[@]}" "FAIL in ${#failed[@]} file(s)"
    status=1
    for n in "${failed[@]}"; do
      echo "---- ${labels[$i]}: ${files[$n]}"
      head -n 30 "$work/$i/$n.log"
    done
  fi
done
printf '%-10s %-7s %s\n' "binding" "2" "$binding_result"
if [ "$binding_result" = FAIL ]; then
  status=1
  head -n 40 "$work/binding.log"
fi
echo
echo "files: ${files[*]} + native/addon/tensorrt_ops.cc native/addon/tensorrt_unavailable.cc"
exit $status
