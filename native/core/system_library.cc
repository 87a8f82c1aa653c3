#include "system_library.h"

#include <dlfcn.h>

namespace dinov3 {

SystemLibrary::SystemLibrary(const char* soname) : status_(soname) {
  handle_ = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle_ == nullptr) {
    const char* why = dlerror();
    status_ = why ? why : std::string(soname) + " not found";
    return;
  }
  ok_ = true;
}

void* SystemLibrary::lookup(const char* name) {
  if (handle_ == nullptr) return nullptr;
  void* f = dlsym(handle_, name);
  if (f == nullptr && ok_) {
    ok_ = false;
    status_ += " lacks " + std::string(name);
  }
  return f;
}

}  // namespace dinov3
