// Empty-cluster repair of the CUDA k-means, run by the last block of the assign kernel
// (kmeans_lloyd.cu): the CPU core's update_centroids step, decision for decision.
#pragma once
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "kmeans_device.h"

namespace dinov3::cuda::km {

// Orders rows for the empty-cluster repair: larger distance first, then lower index.
__device__ __forceinline__ bool farther(float da, int64_t ia, float db, int64_t ib) {
  if (ib < 0) return ia >= 0;
  if (ia < 0) return false;
  return da > db || (da == db && ia < ib);
}

// The CPU's update_centroids empty-cluster step, run by one block of kAssignThreads threads (the
// last assign block of the graph path, block 0 of the persistent kernel) with b.counts complete.
// Rare: most iterations leave it after checking the counts, which all threads do at once (the
// empty clusters are listed in cluster order with warp ballots).
__device__ inline void repair_empty_clusters(const KmBuffers& b) {
  constexpr int kWarps = kAssignThreads / 32;
  __shared__ int warp_empty[kWarps];
  __shared__ float red_d[kAssignThreads];
  __shared__ int64_t red_i[kAssignThreads];
  const int k = b.k;
  const int64_t n = b.rows;
  const int lane = static_cast<int>(threadIdx.x) & 31, warp = static_cast<int>(threadIdx.x) >> 5;
  int n_empty = 0;  // the same in every thread
  for (int c0 = 0; c0 < k; c0 += kAssignThreads) {
    const int c = c0 + static_cast<int>(threadIdx.x);
    const bool empty = c < k && __ldcg(b.counts + c) == 0;
    const unsigned mask = __ballot_sync(0xffffffffu, empty);
    if (lane == 0) warp_empty[warp] = __popc(mask);
    __syncthreads();
    int at = n_empty, round = 0;
    for (int w = 0; w < kWarps; ++w) {
      if (w < warp) at += warp_empty[w];
      round += warp_empty[w];
    }
    if (empty) b.empty_list[at + __popc(mask & ((1u << lane) - 1u))] = c;
    n_empty += round;
    __syncthreads();  // warp_empty is rewritten by the next round; empty_list is complete
  }
  const int n_move = static_cast<int>(n_empty < n ? n_empty : n);
  if (n_move == 0) return;
  // The n_move farthest rows, in order: each round takes the best key strictly after the last.
  float prev_d = INFINITY;
  int64_t prev_i = -1;
  for (int m = 0; m < n_move; ++m) {
    float best_d = 0;
    int64_t best_i = -1;
    for (int64_t r = threadIdx.x; r < n; r += kAssignThreads) {
      const float d = __ldcg(b.distance + r);
      const bool after = d < prev_d || (d == prev_d && r > prev_i);
      if (after && farther(d, r, best_d, best_i)) best_d = d, best_i = r;
    }
    red_d[threadIdx.x] = best_d;
    red_i[threadIdx.x] = best_i;
    __syncthreads();
    for (int half = kAssignThreads / 2; half > 0; half >>= 1) {
      if (threadIdx.x < half &&
          farther(red_d[threadIdx.x + half], red_i[threadIdx.x + half], red_d[threadIdx.x], red_i[threadIdx.x])) {
        red_d[threadIdx.x] = red_d[threadIdx.x + half];
        red_i[threadIdx.x] = red_i[threadIdx.x + half];
      }
      __syncthreads();
    }
    prev_d = red_d[0];
    prev_i = red_i[0];
    if (threadIdx.x == 0) b.far_rows[m] = prev_i;
    __syncthreads();
  }
  if (threadIdx.x == 0) {  // apply in order, as the CPU
    int moves = 0;
    for (int m = 0; m < n_move; ++m) {
      const int64_t far = b.far_rows[m];
      if (far < 0) continue;
      const int from = __ldcg(b.labels + far), to = b.empty_list[m];
      if (__ldcg(b.counts + from) <= 1) continue;  // never empty another cluster
      b.counts[from] = __ldcg(b.counts + from) - 1;
      b.counts[to] = 1;
      b.labels[far] = to;
      b.distance[far] = 0.0f;
      b.move_row[moves] = far;
      b.move_from[moves] = from;
      b.move_to[moves] = to;
      ++moves;
    }
    b.state->n_moves = moves;
  }
}

}  // namespace dinov3::cuda::km
