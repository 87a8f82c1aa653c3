// PCA kernels: the products with the centred feature matrix that dominate subspace iteration,
// and the block orthonormalisation, so the whole iteration loop stays on the device.
// All sums are double with fixed reduction orders (deterministic), as the CPU core.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "cuda_check.h"
#include "device_math.cuh"
#include "pca_kernels.h"

namespace dinov3::cuda::pca_kernels {
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr int kTile = 8;  // columns of q / t per pass
constexpr int kOrthoThreads = 1024;
constexpr int64_t kRowsPerChunk = 64;
constexpr int kMaxChunks = 64;
constexpr double kCollapsed = 1e-300;
constexpr int kMaxRestartsPerColumn = 8;

__global__ void float_mean_kernel(const double* mean, int64_t dim, float* mean_f) {
  const int64_t d = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (d < dim) mean_f[d] = static_cast<float>(mean[d]);
}

// Warp per row.
template <typename T>
__global__ void __launch_bounds__(kThreads) project_kernel(const T* x, int64_t rows, int64_t dim, int64_t stride,
                                                           const float* mean_f, const double* q, int m, double* t) {
  const int lane = threadIdx.x & 31;
  const int64_t r = static_cast<int64_t>(blockIdx.x) * kWarps + (threadIdx.x >> 5);
  if (r >= rows) return;  // whole warp
  const T* xr = x + r * stride;
  for (int j0 = 0; j0 < m; j0 += kTile) {
    double acc[kTile];
#pragma unroll
    for (int j = 0; j < kTile; ++j) acc[j] = 0.0;
    for (int64_t d = lane; d < dim; d += 32) {
      const double v = static_cast<double>(dev::load(xr + d)) - static_cast<double>(mean_f[d]);
      const double* qd = q + d * m + j0;
#pragma unroll
      for (int j = 0; j < kTile; ++j)
        if (j0 + j < m) acc[j] += v * qd[j];
    }
#pragma unroll
    for (int j = 0; j < kTile; ++j) {
      const double s = dev::warp_sum(acc[j]);
      if (lane == j && j0 + j < m) t[r * m + j0 + j] = s;
    }
  }
}

// Column d, row chunk blockIdx.y: partial[chunk][d][j] = sum over the chunk of xc[r][d] t[r][j].
template <typename T>
__global__ void __launch_bounds__(kThreads)
    back_project_kernel(const T* x, int64_t rows, int64_t dim, int64_t stride, const float* mean_f, const double* t,
                        int m, int64_t per_chunk, double* partial) {
  const int64_t d = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (d >= dim) return;
  const int64_t r0 = blockIdx.y * per_chunk;
  const int64_t r1 = r0 + per_chunk < rows ? r0 + per_chunk : rows;
  const double mean = mean_f[d];
  double* out = partial + (static_cast<int64_t>(blockIdx.y) * dim + d) * m;
  for (int j0 = 0; j0 < m; j0 += kTile) {
    double acc[kTile];
#pragma unroll
    for (int j = 0; j < kTile; ++j) acc[j] = 0.0;
    for (int64_t r = r0; r < r1; ++r) {
      const double v = static_cast<double>(dev::load(x + r * stride + d)) - mean;
      const double* tr = t + r * m + j0;
#pragma unroll
      for (int j = 0; j < kTile; ++j)
        if (j0 + j < m) acc[j] += v * tr[j];
    }
#pragma unroll
    for (int j = 0; j < kTile; ++j)
      if (j0 + j < m) out[j0 + j] = acc[j];
  }
}

__global__ void __launch_bounds__(kThreads)
    reduce_chunks_kernel(const double* partial, int chunks, int64_t count, double* y) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= count) return;
  double s = 0.0;
  for (int c = 0; c < chunks; ++c) s += partial[c * count + i];
  y[i] = s;
}

// Sums of up to kTile per-thread values over the block, every thread gets all of them.
__device__ void block_sums(double (&v)[kTile], int n, double (*scratch)[kTile]) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
#pragma unroll
  for (int j = 0; j < kTile; ++j) v[j] = dev::warp_sum(v[j]);
  __syncthreads();  // scratch may still be read
  if (lane == 0)
    for (int j = 0; j < n; ++j) scratch[warp][j] = v[j];
  __syncthreads();
  if (threadIdx.x < n) {
    double s = 0.0;
    for (int w = 0; w < warps; ++w) s += scratch[w][threadIdx.x];
    scratch[32][threadIdx.x] = s;
  }
  __syncthreads();
  for (int j = 0; j < n; ++j) v[j] = scratch[32][j];
}

__global__ void __launch_bounds__(kOrthoThreads)
    orthonormalise_kernel(double* q, int64_t dim, int m, const double* pool, int64_t pool_size, int* pool_pos) {
  __shared__ double scratch[33][kTile];
  int restarts = 0;
  for (int j = 0; j < m; ++j) {
    for (int pass = 0; pass < 2; ++pass) {
      // Classical Gram-Schmidt against kTile previous columns at a time (modified between
      // tiles); done twice, the result is orthogonal to double precision like the CPU's.
      for (int i0 = 0; i0 < j; i0 += kTile) {
        const int n = j - i0 < kTile ? j - i0 : kTile;
        double dots[kTile];
#pragma unroll
        for (int i = 0; i < kTile; ++i) dots[i] = 0.0;
        for (int64_t d = threadIdx.x; d < dim; d += kOrthoThreads) {
          const double qj = q[d * m + j];
#pragma unroll
          for (int i = 0; i < kTile; ++i)
            if (i < n) dots[i] += q[d * m + i0 + i] * qj;
        }
        block_sums(dots, n, scratch);
        for (int64_t d = threadIdx.x; d < dim; d += kOrthoThreads) {
          double qj = q[d * m + j];
#pragma unroll
          for (int i = 0; i < kTile; ++i)
            if (i < n) qj -= dots[i] * q[d * m + i0 + i];
          q[d * m + j] = qj;
        }
        __syncthreads();
      }
    }
    double norm[kTile] = {0.0};
    for (int64_t d = threadIdx.x; d < dim; d += kOrthoThreads) norm[0] += q[d * m + j] * q[d * m + j];
    block_sums(norm, 1, scratch);
    const double len = sqrt(norm[0]);
    if (len < kCollapsed && restarts < kMaxRestartsPerColumn * m) {
      // Rank-deficient data: restart the column from the host's random numbers (the CPU's Rng
      // continues the same way), then redo it.
      const int pos = *pool_pos;
      for (int64_t d = threadIdx.x; d < dim; d += kOrthoThreads) q[d * m + j] = pool[(pos + d) % pool_size] - 0.5;
      __syncthreads();
      if (threadIdx.x == 0) *pool_pos = static_cast<int>((pos + dim) % pool_size);
      __syncthreads();
      ++restarts;
      --j;
      continue;
    }
    for (int64_t d = threadIdx.x; d < dim; d += kOrthoThreads) q[d * m + j] /= len;
    __syncthreads();
  }
}

int64_t per_chunk(int64_t rows, int chunks) { return (rows + chunks - 1) / chunks; }
unsigned blocks_for(int64_t n, int per_block) { return static_cast<unsigned>((n + per_block - 1) / per_block); }

}  // namespace

void enqueue_float_mean(const double* mean, int64_t dim, float* mean_f, cudaStream_t stream) {
  float_mean_kernel<<<blocks_for(dim, kThreads), kThreads, 0, stream>>>(mean, dim, mean_f);
  check_launch("PCA mean kernel");
}

void enqueue_project(const DeviceMatrix& x, const float* mean_f, const double* q, int m, double* t,
                     cudaStream_t stream) {
  const unsigned blocks = blocks_for(x.rows, kWarps);
  if (x.dtype == DType::kFloat16) {
    project_kernel<<<blocks, kThreads, 0, stream>>>(static_cast<const __half*>(x.data), x.rows, x.dim, x.stride,
                                                    mean_f, q, m, t);
  } else {
    project_kernel<<<blocks, kThreads, 0, stream>>>(static_cast<const float*>(x.data), x.rows, x.dim, x.stride,
                                                    mean_f, q, m, t);
  }
  check_launch("PCA projection kernel");
}

int back_project_chunks(int64_t rows) {
  const int64_t chunks = (rows + kRowsPerChunk - 1) / kRowsPerChunk;
  return static_cast<int>(chunks < kMaxChunks ? chunks : kMaxChunks);
}

void enqueue_back_project(const DeviceMatrix& x, const float* mean_f, const double* t, int m, double* partial,
                          int chunks, double* y, cudaStream_t stream) {
  const dim3 grid(blocks_for(x.dim, kThreads), static_cast<unsigned>(chunks));
  const int64_t rows_per_chunk = per_chunk(x.rows, chunks);
  if (x.dtype == DType::kFloat16) {
    back_project_kernel<<<grid, kThreads, 0, stream>>>(static_cast<const __half*>(x.data), x.rows, x.dim, x.stride,
                                                       mean_f, t, m, rows_per_chunk, partial);
  } else {
    back_project_kernel<<<grid, kThreads, 0, stream>>>(static_cast<const float*>(x.data), x.rows, x.dim, x.stride,
                                                       mean_f, t, m, rows_per_chunk, partial);
  }
  check_launch("PCA back-projection kernel");
  const int64_t count = x.dim * m;
  reduce_chunks_kernel<<<blocks_for(count, kThreads), kThreads, 0, stream>>>(partial, chunks, count, y);
  check_launch("PCA reduction kernel");
}

void enqueue_orthonormalise(double* q, int64_t dim, int m, const double* pool, int64_t pool_size, int* pool_pos,
                            cudaStream_t stream) {
  orthonormalise_kernel<<<1, kOrthoThreads, 0, stream>>>(q, dim, m, pool, pool_size, pool_pos);
  check_launch("PCA orthonormalisation kernel");
}

}  // namespace dinov3::cuda::pca_kernels
