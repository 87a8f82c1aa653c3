#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "cuda_check.h"
#include "device_math.cuh"
#include "matrix_checks.h"
#include "matrix_stats.h"

namespace dinov3::cuda {
namespace {

constexpr int kWarps = 8;
constexpr int kColumnThreads = 256;
constexpr int64_t kMinRowsPerChunk = 64;
constexpr int kMaxChunks = 64;

__device__ __forceinline__ bool finite(float v) { return isfinite(v); }

// Warp per row: squared norm (fp32) and the first non-finite element.
template <typename T>
__global__ void __launch_bounds__(kWarps * 32)
    row_scan_kernel(const T* x, int64_t rows, int64_t dim, int64_t stride, float* row_sq,
                    unsigned long long* bad_index) {
  const int lane = threadIdx.x & 31;
  const int64_t r = static_cast<int64_t>(blockIdx.x) * kWarps + (threadIdx.x >> 5);
  if (r >= rows) return;
  const T* xr = x + r * stride;
  float sq = 0.0f;
  unsigned long long bad = ~0ull;
  for (int64_t d = lane; d < dim; d += 32) {
    const float v = dev::load(xr + d);
    sq += v * v;
    if (!finite(v) && bad == ~0ull) bad = static_cast<unsigned long long>(r * dim + d);
  }
  sq = dev::warp_sum(sq);
  if (bad != ~0ull && bad_index != nullptr) atomicMin(bad_index, bad);
  if (lane == 0 && row_sq != nullptr) row_sq[r] = sq;
}

// Column d, row chunk blockIdx.y: two-pass mean and M2 of the chunk.
template <typename T>
__global__ void __launch_bounds__(kColumnThreads)
    column_partial_kernel(const T* x, int64_t rows, int64_t dim, int64_t stride, int64_t per_chunk, double* mean_out,
                          double* m2_out) {
  const int64_t d = static_cast<int64_t>(blockIdx.x) * kColumnThreads + threadIdx.x;
  if (d >= dim) return;
  const int64_t r0 = blockIdx.y * per_chunk;
  const int64_t r1 = r0 + per_chunk < rows ? r0 + per_chunk : rows;
  double sum = 0;
  for (int64_t r = r0; r < r1; ++r) sum += dev::load(x + r * stride + d);
  const double mean = r1 > r0 ? sum / static_cast<double>(r1 - r0) : 0.0;
  double m2 = 0;
  for (int64_t r = r0; r < r1; ++r) {
    const double v = dev::load(x + r * stride + d) - mean;
    m2 += v * v;
  }
  mean_out[blockIdx.y * dim + d] = mean;
  m2_out[blockIdx.y * dim + d] = m2;
}

__global__ void __launch_bounds__(kColumnThreads)
    column_merge_kernel(const double* mean_in, const double* m2_in, int chunks, int64_t rows, int64_t dim,
                        int64_t per_chunk, double* mean, double* m2) {
  const int64_t d = static_cast<int64_t>(blockIdx.x) * kColumnThreads + threadIdx.x;
  if (d >= dim) return;
  double n = 0, mu = 0, acc = 0;
  for (int c = 0; c < chunks; ++c) {
    const int64_t r0 = c * per_chunk;
    const double nb = static_cast<double>((r0 + per_chunk < rows ? r0 + per_chunk : rows) - r0);
    if (nb <= 0) continue;
    const double delta = mean_in[c * dim + d] - mu;
    const double total = n + nb;
    mu += delta * nb / total;
    acc += m2_in[c * dim + d] + delta * delta * n * nb / total;
    n = total;
  }
  mean[d] = mu;
  m2[d] = acc;
}

int64_t rows_per_chunk(int64_t rows, int chunks) { return (rows + chunks - 1) / chunks; }

}  // namespace

void enqueue_row_scan(const DeviceMatrix& x, float* row_sq, unsigned long long* bad_index, cudaStream_t stream) {
  const unsigned blocks = static_cast<unsigned>((x.rows + kWarps - 1) / kWarps);
  if (x.dtype == DType::kFloat16) {
    row_scan_kernel<<<blocks, kWarps * 32, 0, stream>>>(static_cast<const __half*>(x.data), x.rows, x.dim, x.stride,
                                                         row_sq, bad_index);
  } else {
    row_scan_kernel<<<blocks, kWarps * 32, 0, stream>>>(static_cast<const float*>(x.data), x.rows, x.dim, x.stride,
                                                         row_sq, bad_index);
  }
  check_launch("row scan kernel");
}

int column_stats_chunks(int64_t rows) {
  const int64_t chunks = (rows + kMinRowsPerChunk - 1) / kMinRowsPerChunk;
  return static_cast<int>(chunks < kMaxChunks ? chunks : kMaxChunks);
}

void enqueue_column_stats(const DeviceMatrix& x, double* partial, int chunks, double* mean, double* m2,
                          cudaStream_t stream) {
  const int64_t per_chunk = rows_per_chunk(x.rows, chunks);
  const unsigned col_blocks = static_cast<unsigned>((x.dim + kColumnThreads - 1) / kColumnThreads);
  double* part_mean = partial;
  double* part_m2 = partial + static_cast<int64_t>(chunks) * x.dim;
  const dim3 grid(col_blocks, static_cast<unsigned>(chunks));
  if (x.dtype == DType::kFloat16) {
    column_partial_kernel<<<grid, kColumnThreads, 0, stream>>>(static_cast<const __half*>(x.data), x.rows, x.dim,
                                                               x.stride, per_chunk, part_mean, part_m2);
  } else {
    column_partial_kernel<<<grid, kColumnThreads, 0, stream>>>(static_cast<const float*>(x.data), x.rows, x.dim,
                                                               x.stride, per_chunk, part_mean, part_m2);
  }
  check_launch("column statistics kernel");
  column_merge_kernel<<<col_blocks, kColumnThreads, 0, stream>>>(part_mean, part_m2, chunks, x.rows, x.dim,
                                                                 per_chunk, mean, m2);
  check_launch("column merge kernel");
}

}  // namespace dinov3::cuda
