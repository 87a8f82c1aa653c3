// Optional native modules (TensorRT, capture) are separate shared libraries installed next to
// the addon and loaded on first use, so the addon itself loads on machines that lack those
// libraries and can say why a feature is missing.
#pragma once
#include <string>

namespace dinov3::addon {

struct PluginStatus {
  bool present = false;  // the module file exists next to the addon (it was built)
  bool loaded = false;   // it loaded and its entry point resolved
  std::string version;   // what the module reports, e.g. "TensorRT 10.3.0"
  std::string reason;    // why not loaded
  void* entry = nullptr; // the resolved entry symbol
};

// Loads <addon dir>/<file_name> once and resolves `entry_symbol`; later calls return the same
// status. Never throws.
const PluginStatus& load_plugin(const std::string& file_name, const std::string& entry_symbol);

// Directory holding the addon's .node file.
std::string addon_directory();

}  // namespace dinov3::addon
