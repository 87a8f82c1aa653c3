// Errors raised by the native core. Each carries a stable code that the addon passes to
// JavaScript unchanged; lib/errors.ts lists every code in one exported union.
#pragma once
#include <stdexcept>
#include <string>

namespace dinov3 {

class Error : public std::runtime_error {
 public:
  Error(const char* code, const std::string& message) : std::runtime_error(message), code_(code) {}
  const char* code() const noexcept { return code_; }

 private:
  const char* code_;
};

namespace codes {
inline constexpr const char* kInvalidArgument = "ERR_DINO_INVALID_ARGUMENT";
inline constexpr const char* kInvalidFeatures = "ERR_DINO_INVALID_FEATURES";
inline constexpr const char* kShapeMismatch = "ERR_DINO_SHAPE_MISMATCH";
inline constexpr const char* kCuda = "ERR_DINO_CUDA";
inline constexpr const char* kCudaUnavailable = "ERR_DINO_CUDA_UNAVAILABLE";
inline constexpr const char* kCudaOutOfMemory = "ERR_DINO_CUDA_OOM";
inline constexpr const char* kInternal = "ERR_DINO_INTERNAL";
inline constexpr const char* kAborted = "ERR_DINO_ABORTED";
}  // namespace codes

[[noreturn]] inline void fail(const char* code, const std::string& message) { throw Error(code, message); }

inline void require(bool condition, const char* code, const std::string& message) {
  if (!condition) fail(code, message);
}

}  // namespace dinov3
