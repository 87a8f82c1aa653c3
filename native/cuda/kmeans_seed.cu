// k-means++ seeding on the device (graph path; the persistent kernel in kmeans_persistent.cu makes
// the same choices with one grid barrier per centre), choosing exactly the centres the CPU core's
// kmeans_plus_plus chooses for the same seed: the host draws the run's uniform numbers up front
// (same Rng, same order) and these kernels make the data-dependent choices, so seeding needs no
// host round trip.
//
// Per centre c:
//   pick    (1 block)   prefix sums of the current closest-centre distances and, for each of the
//                       2 + ln k trials, the first index whose cumulative sum reaches
//                       u * total (numpy.searchsorted side='left', as the CPU);
//   distance (grid)     squared distances (double) of every row to all trial candidates at once,
//                       min'ed with the closest distances: one pass over the rows per centre;
//   choose  (grid)      the trial with the smallest total potential (first on ties, as the CPU's
//                       strict <), its distances become the closest distances, its row the centre.
// Sums use fixed reduction orders, so the choice is deterministic; it can differ from the CPU's
// only where a target falls within double rounding of a cumulative-sum boundary.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "cuda_check.h"
#include "device_math.cuh"
#include "kmeans_kernels.h"

namespace dinov3::cuda::km {
namespace {

constexpr int kPickThreads = 1024;
constexpr int kPickItems = 8;  // consecutive elements per thread in a scan tile
constexpr int kChooseThreads = 256;

__global__ void __launch_bounds__(kPickThreads) seed_pick_kernel(KmBuffers b, int c) {
  __shared__ double warp_total[32];
  __shared__ double target[kMaxTrials];
  __shared__ unsigned long long found[kMaxTrials];
  const KmCall* call = b.call;
  const double* u = call->uniforms + static_cast<int64_t>(b.state->run) * call->uniforms_per_run;
  const int64_t n = b.rows;
  if (c == 0) {  // Rng::below(n)
    if (threadIdx.x == 0) b.seed_ids[0] = static_cast<int64_t>(u[0] * static_cast<double>(n));
    return;
  }
  const int nt = b.trials;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (threadIdx.x < nt) found[threadIdx.x] = static_cast<unsigned long long>(n);
  unsigned hit_mask = 0;
  // Pass 0 computes the total exactly as pass 1 accumulates it, so u * total never exceeds the
  // last cumulative sum by rounding.
  for (int pass = 0; pass < 2; ++pass) {
    double carry = 0;
    for (int64_t base = 0; base < n; base += static_cast<int64_t>(kPickThreads) * kPickItems) {
      const int64_t i0 = base + static_cast<int64_t>(threadIdx.x) * kPickItems;
      double local = 0;
#pragma unroll
      for (int j = 0; j < kPickItems; ++j)
        if (i0 + j < n) local += b.closest[i0 + j];
      const double inclusive = dev::warp_inclusive_scan(local, lane);
      double exclusive = __shfl_up_sync(dev::kFullMask, inclusive, 1);
      if (lane == 0) exclusive = 0;
      if (lane == 31) warp_total[warp] = inclusive;
      __syncthreads();
      if (warp == 0) {
        const double w = dev::warp_inclusive_scan(warp_total[lane], lane);
        warp_total[lane] = w;
      }
      __syncthreads();
      const double warp_prefix = warp == 0 ? 0.0 : warp_total[warp - 1];
      const double tile_total = warp_total[31];
      if (pass == 1) {
        double cum = carry + (warp_prefix + exclusive);
#pragma unroll
        for (int j = 0; j < kPickItems; ++j) {
          const int64_t i = i0 + j;
          if (i < n) {
            cum += b.closest[i];
            for (int t = 0; t < nt; ++t) {
              if (!(hit_mask >> t & 1u) && cum >= target[t]) {  // cum grows within a thread:
                hit_mask |= 1u << t;                              // its first hit is its smallest
                atomicMin(&found[t], static_cast<unsigned long long>(i));
              }
            }
          }
        }
      }
      carry += tile_total;
      __syncthreads();  // warp_total is rewritten by the next tile
    }
    if (pass == 0 && threadIdx.x < nt) target[threadIdx.x] = u[1 + (c - 1) * nt + threadIdx.x] * carry;
    __syncthreads();
  }
  if (threadIdx.x < nt) {
    const long long id = static_cast<long long>(found[threadIdx.x]);
    b.seed_ids[threadIdx.x] = id < n - 1 ? id : n - 1;  // past the end -> last row, as the CPU
  }
}

template <typename T>
__global__ void __launch_bounds__(kRowWarpsPerBlock * 32) seed_distance_kernel(KmBuffers b, int c) {
  __shared__ int64_t ids[kMaxTrials];
  __shared__ double part[kMaxTrials][kRowWarpsPerBlock];
  const KmCall* call = b.call;
  const T* x = static_cast<const T*>(call->x);
  const int64_t stride = call->stride, n = b.rows, dim = b.dim;
  const bool vec = call->vec != 0;
  const int nt = c == 0 ? 1 : b.trials;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (threadIdx.x < nt) ids[threadIdx.x] = b.seed_ids[threadIdx.x];
  __syncthreads();
  const int64_t r = static_cast<int64_t>(blockIdx.x) * kRowWarpsPerBlock + warp;
  const bool valid = r < n;  // uniform over the warp
  double acc[kMaxTrials];
#pragma unroll
  for (int t = 0; t < kMaxTrials; ++t) acc[t] = 0.0;
  if (valid) {
    const T* xr = x + r * stride;
    if (vec) {
      for (int64_t d = lane * 4; d < dim; d += 128) {
        const float4 a = dev::load4(xr + d);
#pragma unroll
        for (int t = 0; t < kMaxTrials; ++t) {
          if (t < nt) {
            const float4 q = dev::load4(x + ids[t] * stride + d);
            const double e0 = static_cast<double>(a.x) - q.x, e1 = static_cast<double>(a.y) - q.y;
            const double e2 = static_cast<double>(a.z) - q.z, e3 = static_cast<double>(a.w) - q.w;
            acc[t] += (e0 * e0 + e1 * e1) + (e2 * e2 + e3 * e3);
          }
        }
      }
    } else {
      for (int64_t d = lane; d < dim; d += 32) {
        const double a = dev::load(xr + d);
#pragma unroll
        for (int t = 0; t < kMaxTrials; ++t) {
          if (t < nt) {
            const double e = a - dev::load(x + ids[t] * stride + d);
            acc[t] += e * e;
          }
        }
      }
    }
  }
#pragma unroll
  for (int t = 0; t < kMaxTrials; ++t) {
    if (t < nt) {
      double m = dev::warp_sum(acc[t]);
      if (lane == 0) {
        if (valid) {
          if (c > 0) {
            const double closest = b.closest[r];
            m = closest < m ? closest : m;  // std::min(candidate, closest)
          }
          b.candidate[t * n + r] = m;
        }
        part[t][warp] = valid ? m : 0.0;
      }
    }
  }
  __syncthreads();
  if (threadIdx.x < nt) {
    double s = 0;
    for (int w = 0; w < kRowWarpsPerBlock; ++w) s += part[threadIdx.x][w];
    b.seed_part[static_cast<int64_t>(threadIdx.x) * b.seed_blocks + blockIdx.x] = s;
  }
}

template <typename T>
__global__ void __launch_bounds__(kChooseThreads) seed_choose_kernel(KmBuffers b, int c) {
  __shared__ double scratch[33];
  const int nt = c == 0 ? 1 : b.trials;
  // Every block reduces the potentials in the same order and so reaches the same choice.
  double best_pot = 0;
  int best = 0;
  for (int t = 0; t < nt; ++t) {
    double local = 0;
    for (int i = threadIdx.x; i < b.seed_blocks; i += kChooseThreads) local += b.seed_part[t * b.seed_blocks + i];
    const double pot = dev::block_sum(local, scratch);
    if (t == 0 || pot < best_pot) best_pot = pot, best = t;
  }
  const int64_t n = b.rows;
  const double* chosen = b.candidate + best * n;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * kChooseThreads + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * kChooseThreads)
    b.closest[i] = chosen[i];
  if (blockIdx.x == 0) {
    const KmCall* call = b.call;
    const T* row = static_cast<const T*>(call->x) + b.seed_ids[best] * call->stride;
    for (int64_t d = threadIdx.x; d < b.dim; d += kChooseThreads) b.centroids[c * b.dim + d] = dev::load(row + d);
  }
}

template <typename T>
void enqueue_seeding_typed(const KmBuffers& b, cudaStream_t stream) {
  const int64_t choose_blocks64 = (b.rows + kChooseThreads - 1) / kChooseThreads;
  const unsigned choose_blocks = static_cast<unsigned>(choose_blocks64 < 1024 ? choose_blocks64 : 1024);
  for (int c = 0; c < b.k; ++c) {
    seed_pick_kernel<<<1, kPickThreads, 0, stream>>>(b, c);
    check_launch("k-means++ pick kernel");
    seed_distance_kernel<T><<<b.seed_blocks, kRowWarpsPerBlock * 32, 0, stream>>>(b, c);
    check_launch("k-means++ distance kernel");
    seed_choose_kernel<T><<<choose_blocks, kChooseThreads, 0, stream>>>(b, c);
    check_launch("k-means++ choose kernel");
  }
}

}  // namespace

void enqueue_seeding(const KmBuffers& b, DType type, cudaStream_t stream) {
  if (type == DType::kFloat16) {
    enqueue_seeding_typed<__half>(b, stream);
  } else {
    enqueue_seeding_typed<float>(b, stream);
  }
}

}  // namespace dinov3::cuda::km
