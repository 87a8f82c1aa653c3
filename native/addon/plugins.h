// Status of the optional modules, for capabilities().
#pragma once
#include "plugin_loader.h"

namespace dinov3::addon {

inline constexpr const char* kTensorRtModule = "dinov3_tensorrt.so";
inline constexpr const char* kTensorRtEntry = "dinov3_tensorrt_module_v1";
inline constexpr const char* kCaptureModule = "dinov3_capture.so";
inline constexpr const char* kCaptureEntry = "dinov3_capture_module_v1";

inline const PluginStatus& tensorrt_status() { return load_plugin(kTensorRtModule, kTensorRtEntry); }
inline const PluginStatus& capture_status() { return load_plugin(kCaptureModule, kCaptureEntry); }

}  // namespace dinov3::addon
