// Built instead of tensorrt_ops.cc when the TensorRT module is not built (no TensorRT or no CUDA
// at build time): the same function names exist and fail with ERR_DINO_TENSORRT_UNAVAILABLE and
// the loader's reason.
#include <napi.h>

#include <string>

#include "errors.h"
#include "ops.h"
#include "plugins.h"

namespace dinov3::addon {
namespace {

Napi::Value Unavailable(const Napi::CallbackInfo& info) {
  const PluginStatus& status = tensorrt_status();
  const std::string reason = status.reason.empty() ? std::string("this build of dinov3-trt has no TensorRT support")
                                                   : status.reason;
  throw coded_error(info.Env(), "ERR_DINO_TENSORRT_UNAVAILABLE",
                    "TensorRT is not available: " + reason +
                        ". Install TensorRT (JetPack ships it; elsewhere set TENSORRT_ROOT) and rebuild with "
                        "npm run build:native, or use the ONNX Runtime backend");
}

}  // namespace

void register_tensorrt_ops(Napi::Env env, Napi::Object exports) {
  for (const char* name : {"trtInfo", "trtBuildEngine", "trtLoadEngine"}) {
    exports.Set(name, Napi::Function::New<Unavailable>(env, name));
  }
}

}  // namespace dinov3::addon
