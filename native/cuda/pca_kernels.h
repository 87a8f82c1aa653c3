// Launchers of the PCA kernels (pca.cu). Matrices are row-major doubles unless stated.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "cuda_api.h"

namespace dinov3::cuda::pca_kernels {

// mean_f[d] = (float)mean[d]: the CPU core centres with the float mean.
void enqueue_float_mean(const double* mean, int64_t dim, float* mean_f, cudaStream_t stream);

// t (rows x m) = (x - mean_f) q, q being dim x m.
void enqueue_project(const DeviceMatrix& x, const float* mean_f, const double* q, int m, double* t,
                     cudaStream_t stream);

// y (dim x m) = (x - mean_f)^T t, reduced over row chunks in a fixed order; `partial` holds
// chunks * dim * m doubles.
int back_project_chunks(int64_t rows);
void enqueue_back_project(const DeviceMatrix& x, const float* mean_f, const double* t, int m, double* partial,
                          int chunks, double* y, cudaStream_t stream);

// Orthonormalises the m columns of q (dim x m) in place, one block: Gram-Schmidt, twice per
// column (as the CPU), and a collapsed column (norm < 1e-300) is refilled from `pool`
// (uniforms of the host Rng, used as pool[i] - 0.5, in order) and redone.
void enqueue_orthonormalise(double* q, int64_t dim, int m, const double* pool, int64_t pool_size, int* pool_pos,
                            cudaStream_t stream);

}  // namespace dinov3::cuda::pca_kernels
