// Errors crossing into JavaScript: every one is a JS Error with a stable `code` property
// (the same strings as native/core/error.h and lib/errors.ts).
#pragma once
#include <napi.h>

#include <string>

namespace dinov3::addon {

Napi::Error coded_error(Napi::Env env, const std::string& code, const std::string& message);

// Throws a JS TypeError/Error with code ERR_DINO_INVALID_ARGUMENT. The TypeScript layer
// validates first; these are the second line of defence for direct binding calls.
[[noreturn]] void throw_invalid(Napi::Env env, const std::string& message);

// The code and message a C++ exception crosses into JavaScript with. Call it inside a catch
// block: a dinov3::Error keeps its code, std::bad_alloc becomes ERR_DINO_OUT_OF_MEMORY with
// `oom_message`, anything else gets `fallback_code`. Usable off the JS thread.
struct ErrorInfo {
  std::string code;
  std::string message;
};
ErrorInfo current_exception_info(const char* fallback_code, const char* oom_message = "out of host memory");

// Runs `fn` on the JS thread; a C++ exception leaves it as a coded JS error (JS errors pass
// through unchanged).
template <typename Fn>
auto call_with_coded_errors(Napi::Env env, const char* fallback_code, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    const ErrorInfo e = current_exception_info(fallback_code);
    throw coded_error(env, e.code, e.message);
  }
}

}  // namespace dinov3::addon
