// The CUDA driver API, loaded at run time from libcuda.so.1 (NVMM path only).
//
// The capture module must link and load on machines without the NVIDIA driver (and the CUDA
// toolkit's libcuda stub is not always installed), so the few driver functions the NVMM path
// needs are resolved with dlopen/dlsym on first use. Types come from the toolkit's cuda.h and
// cudaEGL.h; nothing is linked.
#pragma once
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <cuda.h>
#include <cudaEGL.h>

#include <string>

namespace dinov3::capture {

struct CudaDriver {
  decltype(&::cuInit) init = nullptr;
  decltype(&::cuDeviceGet) device_get = nullptr;
  decltype(&::cuDevicePrimaryCtxRetain) primary_ctx_retain = nullptr;
  decltype(&::cuDevicePrimaryCtxRelease) primary_ctx_release = nullptr;  // the _v2 entry point
  decltype(&::cuCtxPushCurrent) ctx_push = nullptr;                      // _v2
  decltype(&::cuCtxPopCurrent) ctx_pop = nullptr;                        // _v2
  decltype(&::cuGraphicsEGLRegisterImage) egl_register_image = nullptr;
  decltype(&::cuGraphicsResourceGetMappedEglFrame) get_mapped_egl_frame = nullptr;
  decltype(&::cuGraphicsUnregisterResource) unregister_resource = nullptr;
  decltype(&::cuGetErrorString) get_error_string = nullptr;
  decltype(&::cuMemcpyDtoH) memcpy_dtoh = nullptr;  // _v2; for tests that read frames back
};

// Loads libcuda.so.1 and resolves every function once per process. Throws ERR_DINO_SOURCE
// (with the dlopen/dlsym message) when the driver is missing.
const CudaDriver& cuda_driver();

// "CUDA_ERROR_xxx: text" for a driver result.
std::string cuda_result_text(CUresult result);

// Throws ERR_DINO_SOURCE "<what> failed: <cuda_result_text>" unless result is CUDA_SUCCESS.
void check_cuda(CUresult result, const char* what);

// Makes the device's primary context (the one the CUDA runtime uses, so the device pointers we
// hand out are valid in the addon's kernels) current on the calling thread for a scope.
class ScopedPrimaryContext {
 public:
  explicit ScopedPrimaryContext(CUcontext context);
  ~ScopedPrimaryContext();
  ScopedPrimaryContext(const ScopedPrimaryContext&) = delete;
  ScopedPrimaryContext& operator=(const ScopedPrimaryContext&) = delete;
};

}  // namespace dinov3::capture
