// Per-call and per-run steps of the CUDA k-means around the Lloyd iterations: preparation
// (result reset, row norms, non-finite scan, tolerance), run start (state reset, |c|^2), and run
// finish (final labels, exact inertia in double, keep the best run), plus assign_nearest's
// reduction. All reductions have a fixed order (deterministic).
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>

#include "cuda_check.h"
#include "device_math.cuh"
#include "kmeans_kernels.h"
#include "matrix_stats.h"

namespace dinov3::cuda::km {
namespace {

constexpr int kThreads = 256;
constexpr int kReduceThreads = 1024;

__global__ void reset_call_kernel(KmBuffers b) {
  b.header->inertia = INFINITY;
  b.header->iterations = 0;
  b.header->converged = 0;
  b.header->bad_index = ~0ull;
  b.state->run = 0;
}

// tol_abs = tolerance * mean over features of the per-feature variance (m2 / rows); 0 without m2
// (tolerance 0: the statistics are not computed).
__global__ void __launch_bounds__(kReduceThreads) tolerance_kernel(KmBuffers b, const double* m2) {
  __shared__ double scratch[33];
  double local = 0;
  if (m2 != nullptr)
    for (int64_t d = threadIdx.x; d < b.dim; d += kReduceThreads) local += m2[d] / static_cast<double>(b.rows);
  const double total = dev::block_sum(local, scratch);
  if (threadIdx.x == 0)
    b.state->tol_abs = m2 != nullptr ? b.call->tolerance * (total / static_cast<double>(b.dim)) : 0.0;
}

__global__ void __launch_bounds__(kThreads) run_start_kernel(KmBuffers b) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (i < b.rows) b.labels[i] = -1;
  if (i < b.k) b.counts[i] = 0;
  if (!b.dense && i < b.k * b.dim) b.sums[i] = 0.0;
  if (i == 0) {
    KmState* st = b.state;
    st->it = 0;
    st->done = 0;
    st->strict = 0;
    st->converged = 0;
    st->changed = 0;
    st->iterations = 0;
    st->n_moves = 0;
    st->assign_ticket = 0;
    st->update_ticket = 0;
  }
}

__global__ void __launch_bounds__(kThreads) centroid_norms_kernel(const float* centroids, int64_t dim, float* c_sq) {
  __shared__ float scratch[33];
  const float* c = centroids + blockIdx.x * dim;
  float local = 0.0f;
  for (int64_t d = threadIdx.x; d < dim; d += kThreads) local += c[d] * c[d];
  const float total = dev::block_sum(local, scratch);
  if (threadIdx.x == 0) c_sq[blockIdx.x] = total;
}

// Warp per row: squared distance (double) to the assigned centroid.
template <typename T>
__global__ void __launch_bounds__(kRowWarpsPerBlock * 32) inertia_kernel(KmBuffers b) {
  __shared__ double part[kRowWarpsPerBlock];
  const KmCall* call = b.call;
  const T* x = static_cast<const T*>(call->x);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t r = static_cast<int64_t>(blockIdx.x) * kRowWarpsPerBlock + warp;
  double acc = 0.0;
  if (r < b.rows) {
    const T* xr = x + r * call->stride;
    const float* c = b.centroids + static_cast<int64_t>(b.labels[r]) * b.dim;
    for (int64_t d = lane; d < b.dim; d += 32) {
      const double e = static_cast<double>(dev::load(xr + d)) - c[d];
      acc += e * e;
    }
  }
  acc = dev::warp_sum(acc);
  if (lane == 0) part[warp] = acc;
  __syncthreads();
  if (threadIdx.x == 0) {
    double s = 0.0;
    for (int w = 0; w < kRowWarpsPerBlock; ++w) s += part[w];
    b.inertia_part[blockIdx.x] = s;
  }
}

// One block: the run's inertia; keep the run when it beats the best so far (strict <, as the CPU).
__global__ void __launch_bounds__(kReduceThreads) finish_kernel(KmBuffers b) {
  __shared__ double scratch[33];
  double local = 0.0;
  for (int i = threadIdx.x; i < b.inertia_blocks; i += kReduceThreads) local += b.inertia_part[i];
  const double inertia = dev::block_sum(local, scratch);
  const double best = b.header->inertia;
  __syncthreads();  // every thread has read the old best before thread 0 may replace it
  if (inertia < best) {
    for (int64_t i = threadIdx.x; i < b.rows; i += kReduceThreads) b.best_labels[i] = b.labels[i];
    for (int64_t i = threadIdx.x; i < b.k * b.dim; i += kReduceThreads) b.best_centroids[i] = b.centroids[i];
    if (threadIdx.x == 0) {
      b.header->inertia = inertia;
      b.header->iterations = b.state->iterations;
      b.header->converged = b.state->converged;
    }
  }
  if (threadIdx.x == 0) b.state->run += 1;
}

// *total = sum of the rows' distances (assign_nearest's return value), in double.
__global__ void __launch_bounds__(kReduceThreads) sum_distances_kernel(const float* distance, int64_t n, double* total) {
  __shared__ double scratch[33];
  double local = 0.0;
  for (int64_t i = threadIdx.x; i < n; i += kReduceThreads) local += distance[i];
  const double s = dev::block_sum(local, scratch);
  if (threadIdx.x == 0) *total = s;
}

unsigned blocks_for(int64_t n, int threads) { return static_cast<unsigned>((n + threads - 1) / threads); }

}  // namespace

void enqueue_call_prep(const KmBuffers& b, const DeviceMatrix& x, double* stats, int chunks, bool tolerance,
                       cudaStream_t stream) {
  reset_call_kernel<<<1, 1, 0, stream>>>(b);
  check_launch("k-means reset kernel");
  enqueue_row_scan(x, b.row_sq, &b.header->bad_index, stream);
  double* m2 = nullptr;
  if (tolerance) {
    double* mean = stats + 2 * static_cast<int64_t>(chunks) * x.dim;
    m2 = mean + x.dim;
    enqueue_column_stats(x, stats, chunks, mean, m2, stream);
  }
  tolerance_kernel<<<1, kReduceThreads, 0, stream>>>(b, m2);
  check_launch("k-means tolerance kernel");
}

void enqueue_centroid_norms(const float* centroids, int k, int64_t dim, float* c_sq, cudaStream_t stream) {
  centroid_norms_kernel<<<k, kThreads, 0, stream>>>(centroids, dim, c_sq);
  check_launch("centroid norms kernel");
}

void enqueue_run_start(const KmBuffers& b, cudaStream_t stream) {
  int64_t n = b.rows > b.k ? b.rows : b.k;
  if (!b.dense && b.k * b.dim > n) n = b.k * b.dim;
  run_start_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream>>>(b);
  check_launch("k-means run start kernel");
  enqueue_centroid_norms(b.centroids, b.k, b.dim, b.c_sq, stream);
}

void enqueue_run_finish(const KmBuffers& b, DType type, cudaStream_t stream) {
  enqueue_final_assign(b, type, stream);
  if (type == DType::kFloat16) {
    inertia_kernel<__half><<<b.inertia_blocks, kRowWarpsPerBlock * 32, 0, stream>>>(b);
  } else {
    inertia_kernel<float><<<b.inertia_blocks, kRowWarpsPerBlock * 32, 0, stream>>>(b);
  }
  check_launch("k-means inertia kernel");
  finish_kernel<<<1, kReduceThreads, 0, stream>>>(b);
  check_launch("k-means finish kernel");
}

void enqueue_public_assign(const KmBuffers& b, DType type, double* total, cudaStream_t stream) {
  enqueue_plain_assign(b, type, stream);
  sum_distances_kernel<<<1, kReduceThreads, 0, stream>>>(b.distance, b.rows, total);
  check_launch("assign_nearest sum kernel");
}

}  // namespace dinov3::cuda::km
