#include "errors.h"

#include <exception>
#include <new>

#include "../core/error.h"

namespace dinov3::addon {

ErrorInfo current_exception_info(const char* fallback_code, const char* oom_message) {
  try {
    throw;
  } catch (const dinov3::Error& e) {
    return {e.code(), e.what()};
  } catch (const std::bad_alloc&) {
    return {"ERR_DINO_OUT_OF_MEMORY", oom_message};
  } catch (const std::exception& e) {
    return {fallback_code, e.what()};
  } catch (...) {
    return {fallback_code, "unknown native error"};
  }
}

Napi::Error coded_error(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

void throw_invalid(Napi::Env env, const std::string& message) {
  Napi::TypeError error = Napi::TypeError::New(env, message);
  error.Set("code", Napi::String::New(env, "ERR_DINO_INVALID_ARGUMENT"));
  throw error;
}

}  // namespace dinov3::addon
