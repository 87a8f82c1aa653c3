#include "plugin_loader.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <map>
#include <mutex>

namespace dinov3::addon {

std::string addon_directory() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&addon_directory), &info) == 0 || info.dli_fname == nullptr) return ".";
  std::string path = info.dli_fname;
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

const PluginStatus& load_plugin(const std::string& file_name, const std::string& entry_symbol) {
  static std::mutex mutex;
  static std::map<std::string, PluginStatus> loaded;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = loaded.find(file_name);
  if (it != loaded.end()) return it->second;
  PluginStatus& s = loaded[file_name];
  const std::string path = addon_directory() + "/" + file_name;
  struct stat st {};
  s.present = ::stat(path.c_str(), &st) == 0;
  if (!s.present) {
    s.reason = file_name + " was not built into this package (its library was not found at build time)";
    return s;
  }
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* err = ::dlerror();
    s.reason = std::string("could not load ") + path + ": " + (err ? err : "unknown error");
    return s;
  }
  s.entry = ::dlsym(handle, entry_symbol.c_str());
  if (s.entry == nullptr) {
    s.reason = path + " has no entry point " + entry_symbol + " (a module from another version?)";
    return s;
  }
  using VersionFn = const char* (*)();
  if (auto version = reinterpret_cast<VersionFn>(::dlsym(handle, "dinov3_plugin_version"))) {
    if (const char* v = version()) s.version = v;
  }
  s.loaded = true;
  return s;  // the handle stays open for the life of the process
}

}  // namespace dinov3::addon
