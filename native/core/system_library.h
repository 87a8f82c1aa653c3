// A system library the fast decoders use when the machine has it (libdeflate, libturbojpeg),
// loaded at run time with dlopen, so the addon neither needs it to build nor to load. Opened once
// per process and kept open; `status()` says what was loaded or why not.
#pragma once
#include <string>

namespace dinov3 {

class SystemLibrary {
 public:
  // Opens `soname` (e.g. "libdeflate.so.0"); a missing library is recorded in status().
  explicit SystemLibrary(const char* soname);

  // The function `name` as F, or nullptr (recorded: ok() turns false) when the library lacks it.
  template <typename F>
  F function(const char* name) {
    return reinterpret_cast<F>(lookup(name));
  }

  // Opened, and every function asked for was found.
  bool ok() const { return ok_; }
  // "libdeflate.so.0" when ok(), else dlopen's message or the missing function.
  const std::string& status() const { return status_; }

 private:
  void* lookup(const char* name);

  void* handle_ = nullptr;
  bool ok_ = false;
  std::string status_;
};

}  // namespace dinov3
