// The module's entry points (the only symbols dinov3_capture.so exports).
#include <gst/gst.h>

#include <string>

#include "capture_module.h"
#include "gst_runtime.h"
#include "gst_source.h"

namespace dinov3::capture {
namespace {

// "GStreamer 1.22.0" (the headers compiled against), plus " with NVMM".
const char* build_version() {
  static const std::string version = "GStreamer " + std::to_string(GST_VERSION_MAJOR) + "." +
                                     std::to_string(GST_VERSION_MINOR) + "." + std::to_string(GST_VERSION_MICRO) +
#ifdef DINOV3_WITH_NVMM
                                     " with NVMM";
#else
                                     "";
#endif
  return version.c_str();
}

class GstModule final : public Module {
 public:
  uint32_t abi_version() const override { return kAbiVersion; }

  std::string runtime_version() override {
    ensure_gstreamer();
    return gstreamer_runtime_version();
  }

  bool nvmm_supported() const override {
#ifdef DINOV3_WITH_NVMM
    return true;
#else
    return false;
#endif
  }

  std::unique_ptr<Source> open(const SourceOptions& options) override { return std::make_unique<GstSource>(options); }
};

}  // namespace
}  // namespace dinov3::capture

extern "C" dinov3::capture::Module* dinov3_capture_module_v1(uint32_t abi) {
  static dinov3::capture::GstModule module;
  return abi == dinov3::capture::kAbiVersion ? &module : nullptr;
}

extern "C" const char* dinov3_plugin_version() { return dinov3::capture::build_version(); }
