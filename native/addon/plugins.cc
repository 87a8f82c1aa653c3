#include "plugins.h"

#include <dlfcn.h>

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace dinov3::addon {
namespace {

// TensorRT majors this code base supports, newest first.
constexpr int kMajors[] = {11, 10, 8};

std::vector<int> installed_tensorrt_majors() {
  std::vector<int> found;
  for (int major : kMajors) {
    const std::string lib = "libnvinfer.so." + std::to_string(major);
    if (void* h = ::dlopen(lib.c_str(), RTLD_LAZY | RTLD_LOCAL)) {
      found.push_back(major);
      ::dlclose(h);
    }
  }
  return found;
}

std::vector<int> packaged_tensorrt_majors() {
  std::vector<int> found;
  for (int major : kMajors) {
    const std::string name = "dinov3_tensorrt.trt" + std::to_string(major) + ".so";
    if (FILE* f = std::fopen((addon_directory() + "/" + name).c_str(), "rb")) {
      std::fclose(f);
      found.push_back(major);
    }
  }
  return found;
}

std::string join(const std::vector<int>& v) {
  std::string s;
  for (int x : v) s += (s.empty() ? "" : ", ") + std::to_string(x);
  return s;
}

}  // namespace

const PluginStatus& tensorrt_status() {
  static std::once_flag once;
  static const PluginStatus* status = nullptr;
  static PluginStatus none;
  std::call_once(once, [] {
    const std::vector<int> packaged = packaged_tensorrt_majors();
    const std::vector<int> installed = installed_tensorrt_majors();
    for (int major : installed) {
      for (int p : packaged) {
        if (p == major) {
          status = &load_plugin("dinov3_tensorrt.trt" + std::to_string(major) + ".so", kTensorRtEntry);
          return;
        }
      }
    }
    none.present = !packaged.empty();
    if (packaged.empty()) {
      none.reason = "this installation has no TensorRT module (TensorRT was not found when the addon was built; "
                    "on a Jetson or a machine with TensorRT: TENSORRT_ROOT=... npm run build:native)";
    } else if (installed.empty()) {
      none.reason = "this installation has TensorRT modules for TensorRT " + join(packaged) +
                    " but no libnvinfer.so." + join(packaged) + " was found (is TensorRT installed and on the loader path?)";
    } else {
      none.reason = "TensorRT " + join(installed) + " is installed but this installation has modules for TensorRT " +
                    join(packaged) + " only; rebuild for this machine: npm run build:native";
    }
    status = &none;
  });
  return *status;
}

}  // namespace dinov3::addon
