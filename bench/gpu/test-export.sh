#!/usr/bin/env bash
# Exercises tools/export-onnx.py on the GPU machine (torch, transformers, onnx, onnxruntime; no
# network, so only the seeded random --tiny model): exports at opset 17 and 16, dynamic, fp32 and
# fp16, each checked against PyTorch with onnxruntime by the tool itself; reproduces the RoPE If
# node with --no-rope-fix and removes it again with --fix-onnx (no PyTorch). About 40-60 s.
#
#   bash bench/gpu/test-export.sh            # outputs in $OUT/export-test (or a temp folder)
#   PYTHON=python3.11 bash bench/gpu/test-export.sh
set -u
cd "$(dirname "$0")/../.." || exit 1
py=${PYTHON:-python3}
out=${OUT:-$(mktemp -d)}/export-test
mkdir -p "$out"
status=0
results=()

run() {  # name, expectation (pass | if-node), tool arguments...
  local name=$1 expect=$2
  shift 2
  echo
  echo "=== $name: python tools/export-onnx.py $*"
  local t0=$SECONDS log="$out/$(echo "$name" | tr -c 'a-zA-Z0-9' '_').log"
  "$py" tools/export-onnx.py "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]} result
  if [ "$expect" = if-node ]; then
    # The unfixed export must really contain the If node TensorRT 10.3 fails on.
    if [ "$rc" = 0 ] && grep -Eq 'If nodes: +[1-9]' "$log"; then result=PASS; else result=FAIL; fi
  else
    if [ "$rc" = 0 ]; then result=PASS; else result=FAIL; fi
  fi
  [ "$result" = PASS ] || status=1
  results+=("$(printf '%-48s %-5s %3ss' "$name" "$result" "$((SECONDS - t0))")")
}

"$py" - <<'PY' || { echo "python with torch/transformers/onnx/onnxruntime is required"; exit 1; }
import torch, transformers, onnx, onnxruntime
print(f"torch {torch.__version__} (cuda {torch.cuda.is_available()}), transformers {transformers.__version__}, "
      f"onnx {onnx.__version__}, onnxruntime {onnxruntime.__version__}")
PY

run "tiny opset 17 fp32 dynamic" pass --tiny --opset 17 --dynamic -o "$out/tiny-o17-fp32.onnx"
run "tiny opset 16 fp32 dynamic (TensorRT 8.5)" pass --tiny --opset 16 --dynamic -o "$out/tiny-o16-fp32.onnx"
run "tiny opset 17 fp16 dynamic" pass --tiny --opset 17 --dynamic --dtype fp16 -o "$out/tiny-o17-fp16.onnx"
run "tiny opset 17 fixed 320x480" pass --tiny --opset 17 --size 320x480 -o "$out/tiny-o17-320x480.onnx"
run "tiny opset 17, RoPE tile kept (If node)" if-node --tiny --opset 17 --no-rope-fix --no-check \
  -o "$out/tiny-o17-with-if.onnx"
run "--fix-onnx of that -> no If, opset 16" pass --fix-onnx "$out/tiny-o17-with-if.onnx" --opset 16 \
  -o "$out/tiny-o17-with-if-fixed-o16.onnx"
conformance=${DINOV3_CONFORMANCE:-test/fixtures/conformance}/dinov3-tiny-r4/model.onnx
if [ -f "$conformance" ]; then
  run "--fix-onnx of the conformance model -> opset 16" pass --fix-onnx "$conformance" --opset 16 \
    -o "$out/conformance-fixed-o16.onnx"
fi

echo
echo "export-onnx.py checks ($out):"
printf '  %s\n' "${results[@]}"
exit $status
