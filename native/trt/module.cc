// The module object and the two exported C entry points; the small shared helpers.
#include "trt_headers.h"

#include <cstdint>
#include <string>
#include <type_traits>

#include "trt_internal.h"

namespace dinov3::trt {

std::string shape_string(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(s[i]);
  }
  return out + "]";
}

DataType from_trt(nvinfer1::DataType t) {
  switch (t) {
    case nvinfer1::DataType::kFLOAT: return DataType::kFloat32;
    case nvinfer1::DataType::kHALF: return DataType::kFloat16;
    case nvinfer1::DataType::kINT8: return DataType::kInt8;
    case nvinfer1::DataType::kINT32: return DataType::kInt32;
    case nvinfer1::DataType::kBOOL: return DataType::kBool;
    case nvinfer1::DataType::kUINT8: return DataType::kUint8;
#if DINOV3_TRT_86
    case nvinfer1::DataType::kFP8: return DataType::kFp8;
#endif
#if DINOV3_TRT_10
    case nvinfer1::DataType::kBF16: return DataType::kBFloat16;
    case nvinfer1::DataType::kINT64: return DataType::kInt64;
    case nvinfer1::DataType::kINT4: return DataType::kInt4;
#endif
    default: return DataType::kOther;
  }
}

void decode_version(int32_t v, int& major, int& minor, int& patch) {
  // The library we link has our major version's encoding (the soname carries the major).
#if DINOV3_TRT_10
  major = v / 10000;
  minor = (v / 100) % 100;
#else
  major = v / 1000;
  minor = (v / 100) % 10;
#endif
  patch = v % 100;
}

VersionInfo version_info() {
  VersionInfo info;
  info.compiled_major = NV_TENSORRT_MAJOR;
  info.compiled_minor = NV_TENSORRT_MINOR;
  info.compiled_patch = NV_TENSORRT_PATCH;
  decode_version(getInferLibVersion(), info.runtime_major, info.runtime_minor, info.runtime_patch);
  return info;
}

namespace {

class ModuleImpl final : public Module {
 public:
  uint32_t abi() const override { return kTrtModuleAbi; }
  VersionInfo version() const override { return version_info(); }
  BuildResult build(const BuildOptions& options, BuildObserver* observer) override { return build_engine(options, observer); }
  std::unique_ptr<Engine> deserialize(const void* plan, size_t bytes) override { return deserialize_engine(plan, bytes); }
};

}  // namespace
}  // namespace dinov3::trt

#define DINOV3_TRT_EXPORT __attribute__((visibility("default")))

extern "C" DINOV3_TRT_EXPORT dinov3::trt::Module* dinov3_tensorrt_module_v1(uint32_t abi) {
  if (abi != dinov3::trt::kTrtModuleAbi) return nullptr;
  // Lives as long as the process (the addon never unloads the module).
  static dinov3::trt::ModuleImpl* module = new dinov3::trt::ModuleImpl();
  return module;
}

extern "C" DINOV3_TRT_EXPORT const char* dinov3_plugin_version() {
  static const std::string version = "TensorRT " + std::to_string(NV_TENSORRT_MAJOR) + "." +
                                     std::to_string(NV_TENSORRT_MINOR) + "." + std::to_string(NV_TENSORRT_PATCH);
  return version.c_str();
}

// The entry point's type must match what the addon casts the dlsym result to.
static_assert(std::is_same_v<decltype(&dinov3_tensorrt_module_v1), dinov3::trt::ModuleEntryFn>);
static_assert(std::is_same_v<decltype(&dinov3_plugin_version), dinov3::trt::VersionFn>);
