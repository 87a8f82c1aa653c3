// Built instead of cuda_ops.cc / device_tensor.cc when the addon has no CUDA (plain node-gyp
// build, or no nvcc): the same function names exist and fail with a clear, coded error.
#include <napi.h>

#include "errors.h"
#include "ops.h"

namespace dinov3::addon {
namespace {

Napi::Value Unavailable(const Napi::CallbackInfo& info) {
  throw coded_error(info.Env(), "ERR_DINO_CUDA_UNAVAILABLE",
                    "this build of dinov3-trt has no CUDA support; rebuild with nvcc on PATH "
                    "(npm run build:native) or use the CPU backend");
}

}  // namespace

void register_cuda_ops(Napi::Env env, Napi::Object exports) {
  for (const char* name : {"cudaSimilarity", "cudaKmeans", "cudaAssignNearest", "cudaPca", "cudaDownloadMatrix",
                           "cudaPreprocess", "cudaCountNonFinite"}) {
    exports.Set(name, Napi::Function::New<Unavailable>(env, name));
  }
  Napi::Object tensor = Napi::Object::New(env);
  tensor.Set("allocate", Napi::Function::New<Unavailable>(env, "allocate"));
  tensor.Set("fromPointer", Napi::Function::New<Unavailable>(env, "fromPointer"));
  exports.Set("DeviceTensor", tensor);
}

}  // namespace dinov3::addon
