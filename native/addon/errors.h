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

}  // namespace dinov3::addon
