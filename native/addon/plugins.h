// Status of the optional modules, for capabilities().
#pragma once
#include "plugin_loader.h"

namespace dinov3::addon {

// TensorRT modules are tagged by TensorRT major: dinov3_tensorrt.trt8.so, .trt10.so, ...
inline constexpr const char* kTensorRtModule = "dinov3_tensorrt.trt<major>.so";
inline constexpr const char* kTensorRtEntry = "dinov3_tensorrt_module_v1";
inline constexpr const char* kCaptureModule = "dinov3_capture.so";
inline constexpr const char* kCaptureEntry = "dinov3_capture_module_v1";

// Loads the TensorRT module matching the libnvinfer installed on this machine, or explains why
// none fits (defined in plugins.cc).
const PluginStatus& tensorrt_status();
inline const PluginStatus& capture_status() { return load_plugin(kCaptureModule, kCaptureEntry); }

}  // namespace dinov3::addon
