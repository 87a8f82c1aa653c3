#include "trt_fixture.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "../check.h"
#include "../../core/error.h"
#include "../../core/half.h"

#ifndef DINOV3_DEFAULT_CONFORMANCE
#define DINOV3_DEFAULT_CONFORMANCE "test/fixtures/conformance"
#endif

namespace trt_test {
namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

}  // namespace

trt::Module& module() {
  static trt::Module* m = dinov3_tensorrt_module_v1(trt::kTrtModuleAbi);
  if (m == nullptr) throw std::runtime_error("dinov3_tensorrt_module_v1 returned nullptr for the current ABI");
  return *m;
}

int trt_major() { return module().version().compiled_major; }
int trt_minor() { return module().version().compiled_minor; }

std::string conformance_model_dir() {
  std::string root = env("DINOV3_CONFORMANCE");
  if (root.empty()) root = DINOV3_DEFAULT_CONFORMANCE;
  if (exists(root + "/model.onnx")) return root;
  return root + "/dinov3-tiny-r4";
}

bool model_overridden() { return !env("DINOV3_TRT_ONNX").empty(); }

std::string model_path() {
  const std::string o = env("DINOV3_TRT_ONNX");
  return o.empty() ? conformance_model_dir() + "/model.onnx" : o;
}

std::vector<Case> cases() {
  std::vector<Case> out;
  const char* images[] = {"chelsea", "astronaut", "coffee"};
  const int sizes[][2] = {{224, 224}, {448, 448}, {320, 480}};
  for (const char* image : images) {
    for (const auto& s : sizes) {
      Case c;
      c.tag = std::string("dinov3-tiny-r4__") + image + "__" + std::to_string(s[0]) + "x" + std::to_string(s[1]);
      c.h = s[0];
      c.w = s[1];
      c.tokens = 1 + 4 + static_cast<int64_t>(s[0] / 16) * (s[1] / 16);
      if (exists(conformance_model_dir() + "/" + c.tag + "__input.f32")) out.push_back(c);
    }
  }
  return out;
}

std::vector<float> read_f32(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw std::runtime_error("cannot open " + path);
  std::fseek(f, 0, SEEK_END);
  const long bytes = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);
  std::vector<float> v(static_cast<size_t>(bytes) / sizeof(float));
  const size_t got = std::fread(v.data(), sizeof(float), v.size(), f);
  std::fclose(f);
  if (got != v.size()) throw std::runtime_error("short read of " + path);
  return v;
}

trt::BuildOptions conformance_build_options(trt::Precision precision) {
  trt::BuildOptions o;
  o.onnx_path = model_path();
  o.precision = precision;
  o.pin_norms_fp32 = precision == trt::Precision::kFp16;
  o.pin_attention_fp32 = o.pin_norms_fp32;
  o.min_shape = {1, 3, 224, 224};
  o.opt_shape = {1, 3, 320, 320};
  o.max_shape = {1, 3, 448, 480};
  o.workspace_bytes = uint64_t{1} << 30;
  return o;
}

std::string known_issue(const char* code, const std::string& message, trt::Precision precision) {
  const int major = trt_major(), minor = trt_minor();
  const bool unsupported = std::strcmp(code, trt::codes::kUnsupportedOp) == 0;
  if (unsupported && major == 8 && minor == 5 && message.find("LayerNormalization") != std::string::npos) {
    return "TensorRT 8.5 cannot parse LayerNormalization (opset 17); set DINOV3_TRT_ONNX to an opset-16 rewrite "
           "(python tools/export-onnx.py --fix-onnx <conformance>/model.onnx --opset 16 -o tiny16.onnx)";
  }
  if (unsupported && message.find("If node") != std::string::npos) {
    return "TensorRT " + std::to_string(major) + "." + std::to_string(minor) +
           " fails on the RoPE If node (NVIDIA/TensorRT #4558); set DINOV3_TRT_ONNX to a rewrite without it "
           "(python tools/export-onnx.py --fix-onnx <conformance>/model.onnx -o tiny-fixed.onnx)";
  }
  if (major >= 11 && precision == trt::Precision::kFp16 && std::strcmp(code, trt::codes::kEngineBuild) == 0 &&
      message.find("--dtype fp16") != std::string::npos) {
    return "TensorRT 11 is strongly typed and the conformance ONNX is fp32 (fp16 needs an fp16 export)";
  }
  return "";
}

const BuiltEngine* engine_for(trt::Precision precision, std::string* skip_reason) {
  struct Slot {
    bool tried = false;
    std::unique_ptr<BuiltEngine> built;
    std::string skip;
  };
  static std::mutex mutex;
  static std::map<int, Slot> slots;
  std::lock_guard<std::mutex> lock(mutex);
  Slot& slot = slots[static_cast<int>(precision)];
  if (!slot.tried) {
    slot.tried = true;
    try {
      auto b = std::make_unique<BuiltEngine>();
      b->build = module().build(conformance_build_options(precision), nullptr);
      b->engine = module().deserialize(b->build.plan.data(), b->build.plan.size());
      slot.built = std::move(b);
    } catch (const dinov3::Error& e) {
      slot.skip = known_issue(e.code(), e.what(), precision);
      if (slot.skip.empty()) throw;  // not a known issue: the caller's test fails
    }
  }
  if (skip_reason != nullptr) *skip_reason = slot.skip;
  return slot.built.get();
}

std::vector<float> run_once(trt::Engine& engine, trt::Context& context, const std::vector<float>& input, int h, int w,
                            dinov3::cuda::Stream stream, trt::Shape* out_shape) {
  namespace cuda = dinov3::cuda;
  std::string input_name;
  trt::DataType input_type = trt::DataType::kFloat32;
  for (const auto& t : engine.tensors()) {
    if (t.is_input) {
      input_name = t.name;
      input_type = t.dtype;
    }
  }
  context.set_input_shape(input_name, {1, 3, h, w});
  // Inputs: fp32 as given, or converted to fp16 for an fp16 ONNX.
  cuda::DeviceBuffer in(input.size() * trt::dtype_bytes(input_type));
  if (input_type == trt::DataType::kFloat16) {
    std::vector<uint16_t> half(input.size());
    dinov3::floats_to_halves(input.data(), half.data(), input.size());
    cuda::copy_to_device(in.data(), half.data(), half.size() * 2, stream);
  } else {
    cuda::copy_to_device(in.data(), input.data(), input.size() * sizeof(float), stream);
  }
  context.set_tensor_address(input_name, in.data());
  std::map<std::string, cuda::DeviceBuffer> outs;
  for (const auto& t : engine.tensors()) {
    if (t.is_input) continue;
    int64_t n = 1;
    for (int64_t d : context.tensor_shape(t.name)) n *= d;
    outs.emplace(t.name, cuda::DeviceBuffer(static_cast<size_t>(n) * trt::dtype_bytes(t.dtype)));
    context.set_tensor_address(t.name, outs.at(t.name).data());
  }
  context.enqueue(stream);
  const trt::Shape shape = context.tensor_shape("last_hidden_state");
  if (out_shape != nullptr) *out_shape = shape;
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  trt::DataType out_type = trt::DataType::kFloat32;
  for (const auto& t : engine.tensors()) {
    if (t.name == "last_hidden_state") out_type = t.dtype;
  }
  std::vector<float> out(static_cast<size_t>(n));
  if (out_type == trt::DataType::kFloat16) {
    std::vector<uint16_t> half(out.size());
    cuda::copy_to_host(half.data(), outs.at("last_hidden_state").data(), half.size() * 2, stream);
    dinov3::halves_to_floats(half.data(), out.data(), out.size());
  } else {
    cuda::copy_to_host(out.data(), outs.at("last_hidden_state").data(), out.size() * sizeof(float), stream);
  }
  return out;
}

void skip(const char* test, const std::string& why) { check::skip(std::string(test) + ": " + why); }

}  // namespace trt_test
