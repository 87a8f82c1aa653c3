// Counts NaN and Infinity values of a device matrix (fp32 or fp16) on the GPU, so outputs that
// stay in CUDA memory are checked like host outputs without being downloaded.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "cuda_api.h"
#include "cuda_check.h"
#include "device_math.cuh"
#include "matrix_checks.h"

namespace dinov3::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kMaxBlocks = 1024;

// Grid-stride over rows * dim elements of a strided matrix; one atomic per block.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    non_finite_kernel(const T* x, int64_t rows, int64_t dim, int64_t stride, unsigned long long* count,
                      unsigned long long* first) {
  __shared__ unsigned long long block_count;
  __shared__ unsigned long long block_first;
  if (threadIdx.x == 0) {
    block_count = 0;
    block_first = ~0ull;
  }
  __syncthreads();
  const int64_t total = rows * dim;
  unsigned long long n = 0;
  unsigned long long f = ~0ull;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * kThreads) {
    const int64_t r = i / dim;
    const float v = dev::load(x + r * stride + (i - r * dim));
    if (!isfinite(v)) {
      ++n;
      if (f == ~0ull) f = static_cast<unsigned long long>(i);
    }
  }
  if (n > 0) {
    atomicAdd(&block_count, n);
    atomicMin(&block_first, f);
  }
  __syncthreads();
  if (threadIdx.x == 0 && block_count > 0) {
    atomicAdd(count, block_count);
    atomicMin(first, block_first);
  }
}

}  // namespace

NonFiniteCount count_non_finite(const DeviceMatrix& x, Stream stream) {
  NonFiniteCount out;
  check_matrix(x, "count_non_finite");
  require_device();
  const int64_t total = x.rows * x.dim;
  if (total <= 0) return out;
  auto s = static_cast<cudaStream_t>(stream);
  DeviceBuffer result(2 * sizeof(unsigned long long));
  auto* count = static_cast<unsigned long long*>(result.data());
  check_cuda(cudaMemsetAsync(count, 0, sizeof(unsigned long long), s), "cudaMemsetAsync");
  check_cuda(cudaMemsetAsync(count + 1, 0xff, sizeof(unsigned long long), s), "cudaMemsetAsync");
  const int64_t wanted = (total + kThreads - 1) / kThreads;
  const int blocks = static_cast<int>(wanted < kMaxBlocks ? wanted : kMaxBlocks);
  if (x.dtype == DType::kFloat16) {
    non_finite_kernel<<<blocks, kThreads, 0, s>>>(static_cast<const __half*>(x.data), x.rows, x.dim, x.stride, count,
                                                   count + 1);
  } else {
    non_finite_kernel<<<blocks, kThreads, 0, s>>>(static_cast<const float*>(x.data), x.rows, x.dim, x.stride, count,
                                                   count + 1);
  }
  check_launch("non_finite_kernel");
  unsigned long long host[2] = {0, 0};
  copy_to_host(host, count, sizeof(host), stream);
  out.count = static_cast<int64_t>(host[0]);
  out.first_index = host[0] > 0 ? static_cast<int64_t>(host[1]) : -1;
  return out;
}

}  // namespace dinov3::cuda
