// Built instead of capture_ops.cc when the capture module is not part of this build (plain
// node-gyp build, or GStreamer not found at build time): the same function names exist and fail
// with ERR_DINO_SOURCE and the reason capabilities().capture gives.
#include <napi.h>

#include "errors.h"
#include "ops.h"
#include "plugins.h"

namespace dinov3::addon {
namespace {

Napi::Error unavailable(Napi::Env env) {
  const PluginStatus& status = capture_status();
  const std::string reason = status.reason.empty() ? "this build of dinov3-trt has no capture support" : status.reason;
  return coded_error(env, "ERR_DINO_SOURCE",
                     "video capture is not available: " + reason +
                         " (rebuild with GStreamer development files installed: npm run build:native)");
}

Napi::Value CaptureOpen(const Napi::CallbackInfo& info) { throw unavailable(info.Env()); }

Napi::Value CaptureInit(const Napi::CallbackInfo& info) {
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(info.Env());
  deferred.Reject(unavailable(info.Env()).Value());
  return deferred.Promise();
}

}  // namespace

void register_capture_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("captureInit", Napi::Function::New<CaptureInit>(env, "captureInit"));
  exports.Set("captureOpen", Napi::Function::New<CaptureOpen>(env, "captureOpen"));
}

}  // namespace dinov3::addon
