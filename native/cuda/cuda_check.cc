#include "cuda_check.h"

#include <string>

#include "../core/error.h"

namespace dinov3::cuda {

const char* error_code_for(cudaError_t err) {
  switch (err) {
    case cudaErrorMemoryAllocation:
      return codes::kCudaOutOfMemory;
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorInitializationError:
    case cudaErrorStubLibrary:
    case cudaErrorCallRequiresNewerDriver:
    case cudaErrorDevicesUnavailable:
    case cudaErrorSystemDriverMismatch:
    case cudaErrorCompatNotSupportedOnDevice:
    case cudaErrorNoKernelImageForDevice:  // built without code for this GPU's architecture
    case cudaErrorUnsupportedPtxVersion:   // PTX newer than the installed driver understands
      return codes::kCudaUnavailable;
    default:
      return codes::kCuda;
  }
}

void throw_cuda_error(cudaError_t err, const char* what) {
  (void)cudaGetLastError();  // clear a non-sticky error; sticky ones persist regardless
  fail(error_code_for(err),
       std::string(what) + ": " + cudaGetErrorName(err) + ": " + cudaGetErrorString(err));
}

}  // namespace dinov3::cuda
