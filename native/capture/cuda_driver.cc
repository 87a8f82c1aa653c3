#include "cuda_driver.h"

#include <dlfcn.h>

#include <mutex>

#include "capture_module.h"

// cuda.h maps some names to versioned entry points (cuCtxPushCurrent -> cuCtxPushCurrent_v2);
// stringifying after macro expansion gives the symbol that libcuda actually exports.
#define DINOV3_STR2(x) #x
#define DINOV3_STR(x) DINOV3_STR2(x)

namespace dinov3::capture {
namespace {

template <typename Fn>
void resolve(void* handle, Fn& fn, const char* name, std::string& missing) {
  fn = reinterpret_cast<Fn>(::dlsym(handle, name));
  if (fn == nullptr) missing += std::string(missing.empty() ? "" : ", ") + name;
}

}  // namespace

const CudaDriver& cuda_driver() {
  static std::once_flag once;
  static CudaDriver driver;
  static std::string failure;
  std::call_once(once, [] {
    void* handle = ::dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* err = ::dlerror();
      failure = std::string("NVMM frames need the NVIDIA driver, but libcuda.so.1 could not be loaded: ") +
                (err ? err : "unknown error");
      return;
    }
    std::string missing;
    resolve(handle, driver.init, DINOV3_STR(cuInit), missing);
    resolve(handle, driver.device_get, DINOV3_STR(cuDeviceGet), missing);
    resolve(handle, driver.primary_ctx_retain, DINOV3_STR(cuDevicePrimaryCtxRetain), missing);
    resolve(handle, driver.primary_ctx_release, DINOV3_STR(cuDevicePrimaryCtxRelease), missing);
    resolve(handle, driver.ctx_push, DINOV3_STR(cuCtxPushCurrent), missing);
    resolve(handle, driver.ctx_pop, DINOV3_STR(cuCtxPopCurrent), missing);
    resolve(handle, driver.egl_register_image, DINOV3_STR(cuGraphicsEGLRegisterImage), missing);
    resolve(handle, driver.get_mapped_egl_frame, DINOV3_STR(cuGraphicsResourceGetMappedEglFrame), missing);
    resolve(handle, driver.unregister_resource, DINOV3_STR(cuGraphicsUnregisterResource), missing);
    resolve(handle, driver.get_error_string, DINOV3_STR(cuGetErrorString), missing);
    resolve(handle, driver.memcpy_dtoh, DINOV3_STR(cuMemcpyDtoH), missing);
    if (!missing.empty()) failure = "libcuda.so.1 lacks " + missing + " (driver too old for the NVMM path?)";
    // The handle stays open for the life of the process.
  });
  if (!failure.empty()) fail(kErrSource, failure);
  return driver;
}

std::string cuda_result_text(CUresult result) {
  const char* text = nullptr;
  const CudaDriver& d = cuda_driver();
  if (d.get_error_string != nullptr) d.get_error_string(result, &text);
  return "CUDA error " + std::to_string(static_cast<int>(result)) + (text ? std::string(": ") + text : std::string());
}

void check_cuda(CUresult result, const char* what) {
  if (result != CUDA_SUCCESS) fail(kErrSource, std::string(what) + " failed: " + cuda_result_text(result));
}

ScopedPrimaryContext::ScopedPrimaryContext(CUcontext context) {
  check_cuda(cuda_driver().ctx_push(context), "cuCtxPushCurrent");
}

ScopedPrimaryContext::~ScopedPrimaryContext() {
  CUcontext popped = nullptr;
  cuda_driver().ctx_pop(&popped);
}

}  // namespace dinov3::capture
