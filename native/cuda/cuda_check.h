// Maps CUDA runtime errors onto the project's error codes (native/core/error.h):
//   no driver / no device / driver too old / no kernel image for this GPU -> ERR_DINO_CUDA_UNAVAILABLE
//   out of device memory                                                    -> ERR_DINO_CUDA_OOM
//   anything else                                                           -> ERR_DINO_CUDA
// Private to native/cuda (it needs the CUDA runtime header, which cuda_api.h must not).
#pragma once
#include <cuda_runtime_api.h>

namespace dinov3::cuda {

// The error code (ERR_DINO_*) that a CUDA error maps to.
const char* error_code_for(cudaError_t err);

// Throws dinov3::Error("<what>: <cudaGetErrorName>: <cudaGetErrorString>") with the mapped code.
// Also clears the runtime's last-error slot so a later, unrelated check does not see it again.
[[noreturn]] void throw_cuda_error(cudaError_t err, const char* what);

inline void check_cuda(cudaError_t err, const char* what) {
  if (err != cudaSuccess) throw_cuda_error(err, what);
}

// Call right after a kernel launch (<<<>>> returns nothing): reports bad launch configurations
// and earlier asynchronous errors that the launch surfaced.
inline void check_launch(const char* kernel) { check_cuda(cudaGetLastError(), kernel); }

}  // namespace dinov3::cuda
