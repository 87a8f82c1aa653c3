// Lloyd iterations of the graph path: two kernels per iteration, no host round trip. This is
// the fallback for devices without cooperative launches and for shapes the persistent kernel
// (kmeans_persistent.cu, the default where available) does not take.
//
// assign (grid of 32-row tiles, 8 warps, 4 rows per warp)
//   E-step: d(x, c) = |x|^2 - 2 x.c + |c|^2 (fp32, as the CPU), rows read once, four rows per
//   centroid load (register blocking: 4 rows x 8 centroids of accumulators per lane). Fused
//   M-step accumulation: the tile's rows are sorted by label and summed per label into one
//   partial sum per (tile, cluster) (dense mode), or added with double atomics into k x dim sums
//   when the dense partials would exceed 64 MB (huge k * dim). The last block to finish (ticket
//   counter) checks strict convergence (no label changed) and repairs empty clusters exactly as
//   the CPU does (farthest points, in order, never emptying another cluster).
// update (one block per cluster and 32 centroid elements)
//   reduces the partial sums in a fixed order (double), applies the repair moves, divides, and
//   accumulates the centre shift and |c|^2; its last block applies the tolerance test, bumps the
//   iteration counter and resets the per-iteration counters.
// Once state->done is set every later kernel of the run returns at once, so the host can queue
// (or replay from a CUDA graph) a fixed number of iterations.
//
// Memory floor per iteration: the features are read once by assign (16.8 MB for 4096 x 1024 fp32,
// ~5 us at 3.35 TB/s; they usually stay in the 50 MB L2 of an H100 between iterations) plus the
// partial sums (tiles x k x dim x 4 bytes written and read once).
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <climits>
#include <cmath>
#include <type_traits>

#include "cuda_check.h"
#include "device_math.cuh"
#include "kmeans_kernels.h"
#include "kmeans_repair.cuh"

namespace dinov3::cuda::km {
namespace {

constexpr int kRowsPerWarp = 4;
constexpr int kClusterTile = 8;
constexpr int kColumnsPerThread = 4;  // M-step accumulation
constexpr int kUpdateWarps = kUpdateThreads / 32;
enum Mode : int { kLloydDense = 0, kLloydAtomic = 1, kFinal = 2, kPublic = 3 };

// Dot products of 4 rows with the centroids c0 .. c0 + 7 (all lanes get the sums).
template <typename T, bool kVector>
__device__ __forceinline__ void dot_tile(const T* const rows[kRowsPerWarp], const float* centroids, int64_t dim,
                                         int c0, int k, int lane, float acc[kRowsPerWarp][kClusterTile]) {
#pragma unroll
  for (int i = 0; i < kRowsPerWarp; ++i)
#pragma unroll
    for (int j = 0; j < kClusterTile; ++j) acc[i][j] = 0.0f;
  if constexpr (kVector) {
#pragma unroll 2
    for (int64_t d = lane * 4; d < dim; d += 128) {
      float4 v[kRowsPerWarp];
#pragma unroll
      for (int i = 0; i < kRowsPerWarp; ++i) v[i] = dev::load4(rows[i] + d);
#pragma unroll
      for (int j = 0; j < kClusterTile; ++j) {
        if (c0 + j < k) {
          const float4 cv = dev::load4(centroids + (c0 + j) * dim + d);
#pragma unroll
          for (int i = 0; i < kRowsPerWarp; ++i) acc[i][j] += dev::dot4(v[i], cv);
        }
      }
    }
  } else {
    for (int64_t d = lane; d < dim; d += 32) {
      float v[kRowsPerWarp];
#pragma unroll
      for (int i = 0; i < kRowsPerWarp; ++i) v[i] = dev::load(rows[i] + d);
#pragma unroll
      for (int j = 0; j < kClusterTile; ++j) {
        if (c0 + j < k) {
          const float cv = dev::load(centroids + (c0 + j) * dim + d);
#pragma unroll
          for (int i = 0; i < kRowsPerWarp; ++i) acc[i][j] += v[i] * cv;
        }
      }
    }
  }
#pragma unroll
  for (int i = 0; i < kRowsPerWarp; ++i)
#pragma unroll
    for (int j = 0; j < kClusterTile; ++j) acc[i][j] = dev::warp_sum(acc[i][j]);
}

template <typename T, int kMode>
__global__ void __launch_bounds__(kAssignThreads) assign_kernel(KmBuffers b) {
  __shared__ int tile_label[kAssignTileRows];
  __shared__ int tile_order[kAssignTileRows];
  __shared__ int is_last;
  KmState* st = b.state;
  if constexpr (kMode == kLloydDense || kMode == kLloydAtomic) {
    if (st->done) return;
  } else if constexpr (kMode == kFinal) {
    if (st->strict) return;
  }
  const KmCall* call = b.call;
  const T* x = static_cast<const T*>(call->x);
  const int64_t stride = call->stride, n = b.rows, dim = b.dim;
  const int k = b.k;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t tile0 = static_cast<int64_t>(blockIdx.x) * kAssignTileRows;
  const int64_t r0 = tile0 + warp * kRowsPerWarp;

  // ---- E-step: nearest centroid of 4 rows per warp ----
  const T* rows[kRowsPerWarp];
  float row_sq[kRowsPerWarp], best_d[kRowsPerWarp];
  int best_c[kRowsPerWarp];
#pragma unroll
  for (int i = 0; i < kRowsPerWarp; ++i) {
    const bool valid = r0 + i < n;
    rows[i] = x + (valid ? r0 + i : 0) * stride;  // rows past the end read row 0, results unused
    row_sq[i] = valid ? b.row_sq[r0 + i] : 0.0f;
    best_d[i] = INFINITY;
    best_c[i] = 0;
  }
  for (int c0 = 0; c0 < k; c0 += kClusterTile) {
    float acc[kRowsPerWarp][kClusterTile];
    if (call->vec) {
      dot_tile<T, true>(rows, b.centroids, dim, c0, k, lane, acc);
    } else {
      dot_tile<T, false>(rows, b.centroids, dim, c0, k, lane, acc);
    }
#pragma unroll
    for (int j = 0; j < kClusterTile; ++j) {
      if (c0 + j < k) {
        const float csq = b.c_sq[c0 + j];
#pragma unroll
        for (int i = 0; i < kRowsPerWarp; ++i) {
          // (|x|^2 - 2 x.c) + |c|^2 with explicit rounding, the CPU's operation order.
          const float d = __fadd_rn(__fsub_rn(row_sq[i], __fmul_rn(2.0f, acc[i][j])), csq);
          if (d < best_d[i]) best_d[i] = d, best_c[i] = c0 + j;
        }
      }
    }
  }
  if (lane == 0) {
    bool changed = false;
#pragma unroll
    for (int i = 0; i < kRowsPerWarp; ++i) {
      const int64_t r = r0 + i;
      if (r < n) {
        if constexpr (kMode == kLloydDense || kMode == kLloydAtomic) changed |= b.labels[r] != best_c[i];
        b.labels[r] = best_c[i];
        b.distance[r] = best_d[i] < 0.0f ? 0.0f : best_d[i];
      }
      tile_label[warp * kRowsPerWarp + i] = r < n ? best_c[i] : INT_MAX;
    }
    if constexpr (kMode == kLloydDense || kMode == kLloydAtomic) {
      if (changed) atomicOr(&st->changed, 1);
    }
  }
  if constexpr (kMode == kFinal || kMode == kPublic) {
    return;
  } else {
    // ---- M-step accumulation: the tile's rows sorted by label, summed per label run ----
    __syncthreads();
    const int n_valid = static_cast<int>(n - tile0 < kAssignTileRows ? n - tile0 : kAssignTileRows);
    if (threadIdx.x < kAssignTileRows) {
      const int t = threadIdx.x, label = tile_label[t];
      int rank = 0;
      for (int j = 0; j < kAssignTileRows; ++j) {
        const int other = tile_label[j];
        rank += (other < label || (other == label && j < t)) ? 1 : 0;
      }
      tile_order[rank] = t;  // stable counting sort: rows of one label stay in row order
    }
    __syncthreads();
    // Each thread owns kColumnsPerThread columns (stride kAssignThreads): the loads of one row
    // are independent, so several are in flight while the sums run.
    for (int64_t d0 = threadIdx.x; d0 < dim; d0 += kAssignThreads * kColumnsPerThread) {
      float acc[kColumnsPerThread];
#pragma unroll
      for (int j = 0; j < kColumnsPerThread; ++j) acc[j] = 0.0f;
      for (int s = 0; s < n_valid; ++s) {
        const int t = tile_order[s], label = tile_label[t];
        const T* xr = x + (tile0 + t) * stride + d0;
#pragma unroll
        for (int j = 0; j < kColumnsPerThread; ++j)
          if (d0 + j * kAssignThreads < dim) acc[j] += dev::load(xr + j * kAssignThreads);
        if (s + 1 == n_valid || tile_label[tile_order[s + 1]] != label) {
#pragma unroll
          for (int j = 0; j < kColumnsPerThread; ++j) {
            const int64_t d = d0 + j * kAssignThreads;
            if (d < dim) {
              if constexpr (kMode == kLloydDense) {
                b.partial[(static_cast<int64_t>(blockIdx.x) * k + label) * dim + d] = acc[j];
              } else {
                atomicAdd(b.sums + static_cast<int64_t>(label) * dim + d, static_cast<double>(acc[j]));
              }
            }
            acc[j] = 0.0f;
          }
        }
      }
    }
    if (threadIdx.x < n_valid) {  // one thread per label run adds the run's length
      const int s = threadIdx.x, label = tile_label[tile_order[s]];
      if (s == 0 || tile_label[tile_order[s - 1]] != label) {
        int len = 1;
        while (s + len < n_valid && tile_label[tile_order[s + len]] == label) ++len;
        atomicAdd(b.counts + label, len);
      }
    }
    if constexpr (kMode == kLloydDense) {
      for (int c = threadIdx.x; c < k; c += kAssignThreads) {
        int count = 0;
        for (int s = 0; s < n_valid; ++s) count += tile_label[s] == c ? 1 : 0;
        b.block_counts[static_cast<int64_t>(blockIdx.x) * k + c] = count;
      }
    }

    // ---- last block: convergence on stable labels, empty-cluster repair ----
    __threadfence();  // this thread's partial sums and counts are visible device-wide
    __syncthreads();
    if (threadIdx.x == 0) is_last = atomicAdd(&st->assign_ticket, 1u) == gridDim.x - 1;
    __syncthreads();
    if (!is_last) return;
    __threadfence();
    const int it = st->it;
    const bool stable = atomicOr(&st->changed, 0) == 0 && it > 0;
    const bool stop = stable && call->stop_at_convergence != 0;
    if (threadIdx.x == 0) {
      st->iterations = it + 1;
      st->n_moves = 0;
      if (stable) st->converged = 1;
      if (stop) st->strict = 1, st->done = 1;
      st->assign_ticket = 0;
    }
    __syncthreads();
    if (!stop) repair_empty_clusters(b);
  }
}

// Block = one cluster x kUpdateColumns centroid elements (lane = column). In dense mode the 8 warps
// split the assign tiles (warp w takes tiles w, w + 8, ...) so many partial sums are in flight,
// then warp 0 adds the 8 warp sums in warp order (deterministic).
template <bool kDense>
__global__ void __launch_bounds__(kUpdateThreads) update_kernel(KmBuffers b, int use_half) {
  __shared__ double warp_part[kUpdateWarps][32];
  __shared__ double shift_scratch[33];
  __shared__ int is_last;
  KmState* st = b.state;
  if (st->done) return;
  const int k = b.k;
  const int64_t dim = b.dim;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int c = blockIdx.x / b.update_chunks, chunk = blockIdx.x % b.update_chunks;
  const int64_t d = static_cast<int64_t>(chunk) * kUpdateColumns + lane;
  const bool in_range = d < dim;
  if constexpr (kDense) {
    double s = 0.0;
#pragma unroll 4
    for (int blk = warp; blk < b.assign_blocks; blk += kUpdateWarps) {
      // Unconditional loads (unwritten partials are masked, never added) keep the loop pipelined.
      const int present = b.block_counts[static_cast<int64_t>(blk) * k + c];
      const float p = in_range ? b.partial[(static_cast<int64_t>(blk) * k + c) * dim + d] : 0.0f;
      s += present > 0 ? static_cast<double>(p) : 0.0;
    }
    warp_part[warp][lane] = s;
  }
  __syncthreads();
  double shift = 0.0;
  float csq = 0.0f;
  if (warp == 0 && in_range) {
    double s = 0.0;
    if constexpr (kDense) {
      for (int w = 0; w < kUpdateWarps; ++w) s += warp_part[w][lane];
    } else {
      s = b.sums[c * dim + d];
      b.sums[c * dim + d] = 0.0;  // ready for the next iteration
    }
    const int n_moves = st->n_moves;
    if (n_moves > 0) {
      const KmCall* call = b.call;
      for (int m = 0; m < n_moves; ++m) {
        if (b.move_from[m] != c && b.move_to[m] != c) continue;
        const int64_t at = b.move_row[m] * call->stride + d;
        const double v = use_half ? dev::load(static_cast<const __half*>(call->x) + at)
                                  : dev::load(static_cast<const float*>(call->x) + at);
        if (b.move_from[m] == c) s -= v;
        if (b.move_to[m] == c) s = v;
      }
    }
    const int count = b.counts[c];
    const float old = b.centroids[c * dim + d];
    const float v = count > 0 ? static_cast<float>(s / static_cast<double>(count)) : old;
    b.centroids[c * dim + d] = v;
    const double delta = static_cast<double>(v) - old;
    shift = delta * delta;
    csq = v * v;
  }
  if (warp == 0) {
    shift = dev::warp_sum(shift);
    csq = dev::warp_sum(csq);
    if (lane == 0) {
      b.shift_part[blockIdx.x] = shift;
      b.csq_part[blockIdx.x] = csq;
    }
  }
  __threadfence();
  __syncthreads();
  if (threadIdx.x == 0) is_last = atomicAdd(&st->update_ticket, 1u) == gridDim.x - 1;
  __syncthreads();
  if (!is_last) return;
  __threadfence();
  // Thread 0's inputs of the decision below, loaded now so their latency overlaps the reductions.
  int stop = 0, max_iterations = 0, it = 0;
  double tol_abs = 0.0;
  if (threadIdx.x == 0) {
    stop = b.call->stop_at_convergence;
    max_iterations = b.call->max_iterations;
    it = st->it;
    tol_abs = st->tol_abs;
  }
  double local = 0.0;
  for (int i = threadIdx.x; i < static_cast<int>(gridDim.x); i += kUpdateThreads) local += __ldcg(b.shift_part + i);
  const double total_shift = dev::block_sum(local, shift_scratch);
  for (int cc = threadIdx.x; cc < k; cc += kUpdateThreads) {
    float q = 0.0f;
    for (int ch = 0; ch < b.update_chunks; ++ch) q += __ldcg(b.csq_part + cc * b.update_chunks + ch);
    b.c_sq[cc] = q;
    b.counts[cc] = 0;  // ready for the next assignment
  }
  if (threadIdx.x == 0) {
    if (total_shift <= tol_abs) {
      st->converged = 1;
      if (stop) st->done = 1;
    }
    st->it = it + 1;
    if (it + 1 >= max_iterations) st->done = 1;
    st->changed = 0;
    st->n_moves = 0;
    st->update_ticket = 0;
  }
}

template <typename T>
void enqueue_iterations_typed(const KmBuffers& b, int iterations, cudaStream_t stream) {
  const unsigned update_blocks = static_cast<unsigned>(b.k) * static_cast<unsigned>(b.update_chunks);
  const int use_half = std::is_same<T, __half>::value ? 1 : 0;
  for (int i = 0; i < iterations; ++i) {
    if (b.dense) {
      assign_kernel<T, kLloydDense><<<b.assign_blocks, kAssignThreads, 0, stream>>>(b);
      check_launch("k-means assign kernel");
      update_kernel<true><<<update_blocks, kUpdateThreads, 0, stream>>>(b, use_half);
    } else {
      assign_kernel<T, kLloydAtomic><<<b.assign_blocks, kAssignThreads, 0, stream>>>(b);
      check_launch("k-means assign kernel");
      update_kernel<false><<<update_blocks, kUpdateThreads, 0, stream>>>(b, use_half);
    }
    check_launch("k-means update kernel");
  }
}

}  // namespace

void enqueue_iterations(const KmBuffers& b, DType type, int iterations, cudaStream_t stream) {
  if (type == DType::kFloat16) {
    enqueue_iterations_typed<__half>(b, iterations, stream);
  } else {
    enqueue_iterations_typed<float>(b, iterations, stream);
  }
}

// Final labels of a run (skipped on device when the run stopped on stable labels).
void enqueue_final_assign(const KmBuffers& b, DType type, cudaStream_t stream) {
  if (type == DType::kFloat16) {
    assign_kernel<__half, kFinal><<<b.assign_blocks, kAssignThreads, 0, stream>>>(b);
  } else {
    assign_kernel<float, kFinal><<<b.assign_blocks, kAssignThreads, 0, stream>>>(b);
  }
  check_launch("k-means final assign kernel");
}

void enqueue_plain_assign(const KmBuffers& b, DType type, cudaStream_t stream) {
  if (type == DType::kFloat16) {
    assign_kernel<__half, kPublic><<<b.assign_blocks, kAssignThreads, 0, stream>>>(b);
  } else {
    assign_kernel<float, kPublic><<<b.assign_blocks, kAssignThreads, 0, stream>>>(b);
  }
  check_launch("assign_nearest kernel");
}

}  // namespace dinov3::cuda::km
