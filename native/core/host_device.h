// DINOV3_HOST_DEVICE marks the small inline functions the CPU core and the CUDA kernels share
// (one definition, so the GPU reproduces the CPU bit for bit): __host__ __device__ under nvcc,
// nothing in plain C++.
#pragma once

#if defined(__CUDACC__)
#define DINOV3_HOST_DEVICE __host__ __device__
#else
#define DINOV3_HOST_DEVICE
#endif
