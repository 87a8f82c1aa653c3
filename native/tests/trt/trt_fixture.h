// Shared helpers of the TensorRT tests: the module, the conformance data, engines built once per
// process, and running an engine on device buffers. These tests need TensorRT and a CUDA device;
// test_trt_main.cc skips the whole binary (exit 77, "SKIPPED" on stdout) when either is missing,
// and a test whose engine cannot be built for a known, documented reason prints a SKIP line
// with that reason instead of failing.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../../cuda/cuda_api.h"
#include "../../trt/trt_module.h"

// The module's entry points (linked in from native/trt).
extern "C" dinov3::trt::Module* dinov3_tensorrt_module_v1(uint32_t abi);
extern "C" const char* dinov3_plugin_version();

namespace trt_test {

namespace trt = dinov3::trt;

trt::Module& module();
int trt_major();
int trt_minor();

// DINOV3_CONFORMANCE (the conformance root or its dinov3-tiny-r4 folder), else the default
// compiled in (the repository's test/fixtures/conformance).
std::string conformance_model_dir();
// The ONNX to build: DINOV3_TRT_ONNX when set (e.g. an opset-16 or RoPE-fixed rewrite of the
// conformance model, made by tools/export-onnx.py --fix-onnx, same weights), else model.onnx.
std::string model_path();
bool model_overridden();

struct Case {
  std::string tag;  // dinov3-tiny-r4__<image>__<h>x<w>
  int h = 0, w = 0;
  int64_t tokens = 0;  // 1 + 4 + (h/16)*(w/16)
};
std::vector<Case> cases();  // the ones whose files exist
std::vector<float> read_f32(const std::string& path);

// The profile every conformance size fits in: N=1, H 224..448, W 224..480.
trt::BuildOptions conformance_build_options(trt::Precision precision);

// An engine built once per process for `precision` (fp16 with pin_norms_fp32). nullopt with the
// reason in *why when it cannot be built for a known reason (see known_issue()); a failure for
// any other reason is reported as a test failure by the caller through *error.
struct BuiltEngine {
  trt::BuildResult build;
  std::shared_ptr<trt::Engine> engine;
};
const BuiltEngine* engine_for(trt::Precision precision, std::string* skip_reason);

// A build error this TensorRT version is known to raise on the conformance ONNX (LayerNormalization
// on 8.5, the RoPE If node on 10.x, fp16 from an fp32 ONNX on 11): returns the explanation, or
// empty when the error is not a known one.
std::string known_issue(const char* code, const std::string& message, trt::Precision precision);

// Runs `context` on one [1,3,h,w] input and returns last_hidden_state (as float32 [tokens, dim]).
std::vector<float> run_once(trt::Engine& engine, trt::Context& context, const std::vector<float>& input, int h, int w,
                            dinov3::cuda::Stream stream, trt::Shape* out_shape = nullptr);

void skip(const char* test, const std::string& why);

}  // namespace trt_test
