// Persistent k-means: one cooperative kernel per run does the k-means++ seeding, every Lloyd
// iteration, the final labels and the inertia, with grid-wide barriers (cooperative groups)
// between the steps that need all blocks' results. The graph path (kmeans_seed.cu,
// kmeans_lloyd.cu) is the fallback where cooperative launches are unavailable (e.g. Windows WDDM)
// or the problem does not fit (k > kPersistMaxK, partial sums over 64 MB).
//
// Why: a Lloyd iteration of 4096 x 1024, k = 8 is ~2 us of arithmetic; what costs is latency:
// kernel boundaries (graph path), grid barriers, and chains of dependent global-memory round
// trips (~0.5-1 us each under load). So the kernel keeps every block's rows in shared memory for
// the whole run (4096 x 1024 fp32 is 128 KB per block on 128 SMs), stages what all blocks read
// (the centroids, the k-means++ trial rows) into shared memory once per step with all loads in
// flight at once, and never loops over dependent global loads: every copy loads a batch of values
// into registers first and stores them afterwards (a store to shared memory between two global
// loads would otherwise serialise them, the compiler cannot prove they do not alias).
//
// Layout: block b owns rows [b * tiles_per_block * 32, ...) in 32-row tiles (8 warps x 4 rows).
// Per Lloyd iteration, two grid barriers:
//   assign   (own rows)   nearest centroid (fp32, |x|^2 - 2 x.c + |c|^2 as the CPU) against the
//                         staged centroids, labels, then the tile's rows sorted by label and summed
//                         per label into the block's partial sums (fp32, grid x k x dim_pad),
//                         cluster sizes with integer atomics (exact), "some label changed" flag.
//   -- barrier A --
//   decide   (every block) sizes and changed flag (strict convergence); (rare) empty clusters:
//                         block 0 repairs them exactly as the CPU, -- barrier --
//   update   (units)      unit = one cluster x 128 columns: the blocks' partial sums reduced in a
//                         fixed order in double (16 blocks' values in flight per lane, loads issued
//                         before the decision above), repair moves applied, divided by the count,
//                         squared centre shift per unit.
//   -- barrier B --
//   stage    (every block, redundantly, same order -> same result everywhere) centroids into
//                         shared memory, |c|^2, total shift, convergence decision.
// Every loop exit and every barrier is reached by all blocks: decisions are taken from values
// every block reads after the same barrier and reduces in the same order, and nothing such a
// decision reads is written again before the next barrier (double-buffered per-iteration slots;
// the repair corrects a copy of the sizes).
//
// Seeding (k-means++, the CPU's choices for the host-drawn random numbers), one grid barrier per
// centre: a distance pass evaluates the centre's trial rows (staged as doubles) against own rows
// (candidate = min(distance, closest), double), and each block writes, per trial, the inclusive
// cumulative sums of its rows (row order) and their last value T_b (the block's potential).
// After the barrier every block does the same arithmetic on the same values: potentials of the
// trials (sum of T_b, fixed order), the best trial (first minimum, as the CPU's strict <), the
// exclusive prefix P_b of the best trial's T_b over blocks, and for each trial of the next centre
// the first block with P_b + T_b >= u * total and, within it, the first row with
// P_b + S(row) >= u * total (numpy.searchsorted side='left', as the CPU's std::lower_bound); the
// sums differ from the CPU's sequential std::partial_sum only by rounding order, so a choice can
// differ only where a target falls within double rounding of a cumulative-sum boundary. Candidate
// distances and cumulative sums are double-buffered by centre parity (a slow block may still read
// the previous centre's while a fast one writes the next).
//
// Memory ordering: data written by other blocks is read with ordinary loads after grid.sync()
// (its release/acquire makes them visible); __ldg (non-coherent) is used only for the features,
// which no kernel writes.
//
// Profiling (KmBuffers::prof non-null; off by default): thread 0 of every block adds clock64()
// deltas per phase (ProfPhase) at the phase boundaries, which are block-wide barriers, and writes
// them at the end; block 0 also writes snapshots after every seeding centre and Lloyd iteration.
#include <cooperative_groups.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <cmath>

#include "cuda_check.h"
#include "device_math.cuh"
#include "kmeans_kernels.h"
#include "kmeans_repair.cuh"

namespace dinov3::cuda::km {
namespace {

namespace cg = cooperative_groups;

constexpr int kThreads = kPersistThreads;
constexpr int kWarps = kThreads / 32;
constexpr int kTileRows = 32;
constexpr int kRowsPerWarp = 4;
constexpr int kClusterTile = 8;
constexpr int kColumnsPerThread = 4;  // scalar M-step accumulation: columns d0 + j * kThreads
constexpr int kTrialTile = 4;         // seeding: 4 rows x 4 trials per warp and column sweep
constexpr int kUpdateBatch = 16;      // update: partial sums in flight per lane
constexpr int kLoadBatch = 8;         // copies: loads in flight per thread
constexpr int kMaxT = kPersistMaxTrials;
constexpr size_t kPartialBudget = size_t{64} << 20;
static_assert(kWarps * kRowsPerWarp == kTileRows, "a tile is one row group per warp");
static_assert(kRowsPerWarp * kClusterTile == 32, "one (row, centroid) pair per lane after the reduction");
static_assert(kRowsPerWarp * kTrialTile == 16, "one (row, trial) pair per half-warp after the reduction");
static_assert(kThreads == kAssignThreads, "repair_empty_clusters is written for kAssignThreads threads");
static_assert(kUnitColumns == 32 * 4, "an update unit is one float4 per lane");
static_assert(kPersistMaxGrid <= kThreads, "grid-wide scans hold one block value per thread");
static_assert(kMaxT <= kWarps, "seeding: one warp scans each trial's cumulative sums");

// Block-level scratch (static shared memory).
struct Shared {
  // assign: the tile's labels, and the rows sorted by label
  int tile_label[kTileRows];
  int pos_row[kTileRows];    // sorted position -> row within the tile
  int pos_label[kTileRows];  // label at the sorted position
  int pos_end[kTileRows];    // 1: last position of its label's run
  int pos_first[kTileRows];  // at a run's end: 1 when the label had no rows in earlier tiles
  double red[33];
  double scan[2 * kWarps];
  // seeding
  double seed_val[kMaxT][kTileRows];  // candidate distances of a tile, per trial
  double pot_w[kWarps][kMaxT];        // per-warp sums of the blocks' potentials
  double pots[kMaxT];
  double prefix[kPersistMaxGrid];  // P_b of the best trial
  double target[kMaxT];
  unsigned hit_mask[kMaxT][kWarps];
  int hit_block[kMaxT];
  unsigned long long found[kMaxT];
  long long ids[kMaxT];  // rows of the trials being evaluated
  double total;
  // update
  double unit_part[kWarps][4][32];
  // profiling (thread 0)
  long long prof_last;
  long long prof_acc[kProfPhases];
};

// Dynamic shared memory: c_sq[k] (float), cnt[k] and counts[k] (int), then the staging area
// (b.stage_bytes), then the row cache.
__host__ __device__ constexpr size_t small_bytes(int k) { return (size_t{12} * static_cast<size_t>(k) + 15) / 16 * 16; }

// Staging area: centroids (k x dim_pad floats) or k-means++ trial rows (trials x dim_pad doubles).
constexpr size_t stage_bytes_for(int k, int trials, int64_t dim_pad) {
  const size_t cents = static_cast<size_t>(k) * static_cast<size_t>(dim_pad) * 4;
  const size_t rows = k > 1 ? static_cast<size_t>(trials) * static_cast<size_t>(dim_pad) * 8 : 0;
  return ((cents > rows ? cents : rows) + 15) / 16 * 16;
}

// ---- element access: the shared-memory row cache (plain loads) or the features (__ldg) ----
template <bool kShared>
struct Ld;

template <>
struct Ld<true> {
  __device__ static __forceinline__ float one(const float* p) { return *p; }
  __device__ static __forceinline__ float one(const __half* p) { return __half2float(*p); }
  __device__ static __forceinline__ float4 four(const float* p) { return *reinterpret_cast<const float4*>(p); }
  __device__ static __forceinline__ float4 four(const __half* p) {
    const uint2 raw = *reinterpret_cast<const uint2*>(p);
    return make_float4(dev::half_bits_to_float(raw.x), dev::half_bits_to_float(raw.x >> 16),
                       dev::half_bits_to_float(raw.y), dev::half_bits_to_float(raw.y >> 16));
  }
};

template <>
struct Ld<false> {
  template <typename T>
  __device__ static __forceinline__ float one(const T* p) {
    return dev::load(p);
  }
  template <typename T>
  __device__ static __forceinline__ float4 four(const T* p) {
    return dev::load4(p);
  }
};

// Raw element bits (copies into the cache without conversion).
template <typename T>
struct Raw;
template <>
struct Raw<float> {
  using One = unsigned int;
  using Four = uint4;
};
template <>
struct Raw<__half> {
  using One = unsigned short;
  using Four = uint2;
};

// Rows of this block: from the shared-memory cache or from the features.
template <typename T, bool kCached>
struct Rows {
  const T* x;
  int64_t stride;
  const T* cache;
  int64_t dim_pad;
  int64_t rb0;
  __device__ __forceinline__ const T* row(int64_t r) const {
    if constexpr (kCached) {
      return cache + (r - rb0) * dim_pad;
    } else {
      return x + r * stride;
    }
  }
};

struct Geo {
  int bid, grid, tid, lane, warp, k;
  int64_t n, dim, rb0, rb1, rpb;  // rpb: rows per block (tiles_per_block * 32)
};

// ---- profiling ----
struct Prof {
  unsigned long long* out;  // null: off
  __device__ __forceinline__ void start(Shared& sh) const {
    if (out != nullptr && threadIdx.x == 0) {
      for (int p = 0; p < kProfPhases; ++p) sh.prof_acc[p] = 0;
      sh.prof_last = clock64();
      if (blockIdx.x == 0) {
        unsigned long long ns = 0;
        asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(ns));
        out[0] = ns;
        out[2] = static_cast<unsigned long long>(sh.prof_last);
      }
    }
  }
  // Time since the previous mark goes to `phase` (thread 0; call where the block is in step).
  __device__ __forceinline__ void mark(Shared& sh, int phase) const {
    if (out != nullptr && threadIdx.x == 0) {
      const long long now = clock64();
      sh.prof_acc[phase] += now - sh.prof_last;
      sh.prof_last = now;
    }
  }
  // Block 0: running totals after seeding centre / Lloyd iteration `index`.
  __device__ __forceinline__ void snapshot(const Shared& sh, int64_t base, int index, int limit) const {
    if (out != nullptr && threadIdx.x == 0 && blockIdx.x == 0 && index < limit) {
      for (int p = 0; p < kProfPhases; ++p)
        out[base + static_cast<int64_t>(index) * kProfPhases + p] = static_cast<unsigned long long>(sh.prof_acc[p]);
    }
  }
  __device__ __forceinline__ void finish(const Shared& sh, const KmBuffers& b, int iterations) const {
    if (out != nullptr && threadIdx.x == 0) {
      for (int p = 0; p < kProfPhases; ++p)
        out[kProfHeader + static_cast<int64_t>(blockIdx.x) * kProfPhases + p] =
            static_cast<unsigned long long>(sh.prof_acc[p]);
      if (blockIdx.x == 0) {
        unsigned long long ns = 0;
        asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(ns));
        out[1] = ns;
        out[3] = static_cast<unsigned long long>(clock64());
        out[4] = gridDim.x;
        out[5] = static_cast<unsigned long long>(iterations);
        out[6] = static_cast<unsigned long long>((b.staged != 0 ? 1 : 0) | (b.cached != 0 ? 2 : 0));
        out[7] = static_cast<unsigned long long>(b.tiles_per_block);
      }
    }
  }
};

__host__ __device__ constexpr int64_t prof_centre_base(int grid) {
  return kProfHeader + static_cast<int64_t>(grid) * kProfPhases;
}
__host__ __device__ constexpr int64_t prof_iteration_base(int grid) {
  return prof_centre_base(grid) + static_cast<int64_t>(kProfCentres) * kProfPhases;
}

// ---- reductions ----
// Exclusive prefix sum over the block's threads in thread order; *total = sum of all. Fixed order.
__device__ double block_exclusive_scan(double v, Shared& sh, double* total) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const double incl = dev::warp_inclusive_scan(v, lane);
  double excl = __shfl_up_sync(dev::kFullMask, incl, 1);
  if (lane == 0) excl = 0.0;
  __syncthreads();  // sh.scan may still be read by a previous call
  if (lane == 31) sh.scan[warp] = incl;
  __syncthreads();
  if (warp == 0) {
    const double w = dev::warp_inclusive_scan(lane < kWarps ? sh.scan[lane] : 0.0, lane);
    if (lane < kWarps) sh.scan[kWarps + lane] = w;
  }
  __syncthreads();
  *total = sh.scan[2 * kWarps - 1];
  return (warp == 0 ? 0.0 : sh.scan[kWarps + warp - 1]) + excl;
}

// One step of the transposing warp reduction: lanes with bit kOff set keep the upper half of the
// live values, their partners the lower half, and each adds what the partner sent.
template <int kOff, typename V, int N>
__device__ __forceinline__ void transpose_step(V (&v)[N], int lane) {
  const bool upper = (lane & kOff) != 0;
#pragma unroll
  for (int i = 0; i < kOff; ++i) {
    const V send = upper ? v[i] : v[i + kOff];
    const V keep = upper ? v[i + kOff] : v[i];
    v[i] = keep + __shfl_xor_sync(dev::kFullMask, send, kOff);
  }
}

// Sums 32 per-lane values over the warp with 31 shuffles (instead of 32 x 5): lane L returns the
// warp total of v[L]. Fixed order, so deterministic.
template <typename V>
__device__ __forceinline__ V transpose_reduce(V (&v)[32], int lane) {
  transpose_step<16>(v, lane);
  transpose_step<8>(v, lane);
  transpose_step<4>(v, lane);
  transpose_step<2>(v, lane);
  transpose_step<1>(v, lane);
  return v[0];
}

// The same for 16 values: lanes L and L ^ 16 return the warp total of v[L & 15] (the last step
// adds the same two numbers in both lanes, so they agree exactly).
template <typename V>
__device__ __forceinline__ V transpose_reduce16(V (&v)[16], int lane) {
  transpose_step<8>(v, lane);
  transpose_step<4>(v, lane);
  transpose_step<2>(v, lane);
  transpose_step<1>(v, lane);
  return v[0] + __shfl_xor_sync(dev::kFullMask, v[0], 16);
}

// ---- staging (centroids, |c|^2) ----
// stage[c * dim_pad + d] = centroid c (zero padding), all loads of a batch in flight. Block-wide.
__device__ void copy_centroids(const KmBuffers& b, const Geo& g, float* stage) {
  const int per = static_cast<int>(b.dim_pad / 4);
  const int total = g.k * per;
  const int dim = static_cast<int>(g.dim);
  const bool vec = dim % 4 == 0;
  for (int base = g.tid; base < total; base += kThreads * kLoadBatch) {
    float4 v[kLoadBatch];
#pragma unroll
    for (int j = 0; j < kLoadBatch; ++j) {
      const int e = base + j * kThreads;
      v[j] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
      if (e < total) {
        const int c = e / per;
        const int d = (e - c * per) * 4;
        const float* src = b.centroids + static_cast<int64_t>(c) * dim + d;
        if (vec) {
          v[j] = *reinterpret_cast<const float4*>(src);
        } else {
          if (d < dim) v[j].x = src[0];
          if (d + 1 < dim) v[j].y = src[1];
          if (d + 2 < dim) v[j].z = src[2];
          if (d + 3 < dim) v[j].w = src[3];
        }
      }
    }
#pragma unroll
    for (int j = 0; j < kLoadBatch; ++j) {
      const int e = base + j * kThreads;
      if (e < total) reinterpret_cast<float4*>(stage)[e] = v[j];
    }
  }
  __syncthreads();
}

// c_sq[c] = |centroid c|^2 (fp32; warp per centroid, lane-strided float4s, then the warp sum), from
// the staging area or from b.centroids. Same order in every block.
__device__ void centroid_norms(const KmBuffers& b, const Geo& g, const float* stage, float* c_sq) {
  const bool vec = stage != nullptr || g.dim % 4 == 0;
  const int64_t stride = stage != nullptr ? b.dim_pad : g.dim;
  const float* base = stage != nullptr ? stage : b.centroids;
  for (int c = g.warp; c < g.k; c += kWarps) {
    const float* cp = base + static_cast<int64_t>(c) * stride;
    float acc = 0.0f;
    if (vec) {
#pragma unroll 4
      for (int64_t d = g.lane * 4; d < stride; d += 128) {
        const float4 q = *reinterpret_cast<const float4*>(cp + d);
        acc += q.x * q.x;
        acc += q.y * q.y;
        acc += q.z * q.z;
        acc += q.w * q.w;
      }
    } else {
#pragma unroll 4
      for (int64_t d = g.lane; d < g.dim; d += 32) acc += cp[d] * cp[d];
    }
    acc = dev::warp_sum(acc);
    if (g.lane == 0) c_sq[c] = acc;
  }
}

// After a barrier that published new centroids (and, with_shift, the update units' shifts):
// centroids into the staging area, their norms into c_sq, and the total squared shift (units in a
// fixed order). Block-wide; c_sq is visible to the block on return.
__device__ double stage_step(const KmBuffers& b, const Geo& g, Shared& sh, float* stage, float* c_sq,
                             bool with_shift) {
  double us[kLoadBatch];  // loaded first: their latency overlaps the centroid copy
#pragma unroll
  for (int j = 0; j < kLoadBatch; ++j) {
    const int u = g.tid + j * kThreads;
    us[j] = with_shift && u < b.units ? b.unit_shift[u] : 0.0;
  }
  if (stage != nullptr) copy_centroids(b, g, stage);
  centroid_norms(b, g, stage, c_sq);
  double local = 0.0;
#pragma unroll
  for (int j = 0; j < kLoadBatch; ++j) local += us[j];
  if (with_shift)
    for (int u = g.tid + kLoadBatch * kThreads; u < b.units; u += kThreads) local += b.unit_shift[u];
  return dev::block_sum(local, sh.red);  // its barriers also publish c_sq
}

// ---- E-step ----
// Per-lane partial dot products of the warp's 4 rows with centroids 0 .. nc - 1 of `cents`
// (row stride cstride): v[i * 8 + j] = row i . centroid j over this lane's columns.
template <typename T, bool kCached, bool kVector>
__device__ __forceinline__ void dot_tile(const T* const rows[kRowsPerWarp], const float* cents, int64_t cstride,
                                         int64_t dim, int nc, int lane, float (&v)[32]) {
#pragma unroll
  for (int q = 0; q < 32; ++q) v[q] = 0.0f;
  if constexpr (kVector) {
#pragma unroll 2
    for (int64_t d = lane * 4; d < dim; d += 128) {
      float4 xv[kRowsPerWarp];
#pragma unroll
      for (int i = 0; i < kRowsPerWarp; ++i) xv[i] = Ld<kCached>::four(rows[i] + d);
#pragma unroll
      for (int j = 0; j < kClusterTile; ++j) {
        if (j < nc) {
          const float4 cv = *reinterpret_cast<const float4*>(cents + j * cstride + d);
#pragma unroll
          for (int i = 0; i < kRowsPerWarp; ++i) v[i * kClusterTile + j] += dev::dot4(xv[i], cv);
        }
      }
    }
  } else {
    for (int64_t d = lane; d < dim; d += 32) {
      float xv[kRowsPerWarp];
#pragma unroll
      for (int i = 0; i < kRowsPerWarp; ++i) xv[i] = Ld<kCached>::one(rows[i] + d);
#pragma unroll
      for (int j = 0; j < kClusterTile; ++j) {
        if (j < nc) {
          const float cv = cents[j * cstride + d];
#pragma unroll
          for (int i = 0; i < kRowsPerWarp; ++i) v[i * kClusterTile + j] += xv[i] * cv;
        }
      }
    }
  }
}

// Centroid access of the E-step: the staging area or b.centroids, and how to sweep the columns.
struct Cents {
  const float* p;
  int64_t stride;    // between centroids
  int64_t loop_dim;  // columns swept (dim_pad when vec: zero padding on both sides, or dim == dim_pad)
  bool vec;          // rows and centroids read as float4
};

// Nearest centroid of row r0 + (lane >> 3) (every lane of that row's 8-lane group gets it). Same
// decision as the CPU: first centroid with the smallest distance, NaN never chosen, label 0 and
// distance +inf when nothing is finite.
template <typename T, bool kCached>
__device__ __forceinline__ void nearest(const KmBuffers& b, const Rows<T, kCached>& src, const Cents& cs,
                                        const float* c_sq, const Geo& g, int64_t tile0, int64_t r0, int& best_c,
                                        float& best_d) {
  const T* rows[kRowsPerWarp];
#pragma unroll
  for (int i = 0; i < kRowsPerWarp; ++i) rows[i] = src.row(r0 + i < g.n ? r0 + i : tile0);  // past the end: unused
  const int j = g.lane & (kClusterTile - 1);
  const int64_t r = r0 + (g.lane >> 3);
  const float row_sq = r < g.n ? b.row_sq[r] : 0.0f;
  best_c = 0;
  best_d = INFINITY;
  for (int c0 = 0; c0 < g.k; c0 += kClusterTile) {
    const int nc = g.k - c0 < kClusterTile ? g.k - c0 : kClusterTile;
    float v[32];
    const float* cents = cs.p + c0 * cs.stride;
    if (cs.vec) {
      dot_tile<T, kCached, true>(rows, cents, cs.stride, cs.loop_dim, nc, g.lane, v);
    } else {
      dot_tile<T, kCached, false>(rows, cents, cs.stride, cs.loop_dim, nc, g.lane, v);
    }
    const float dot = transpose_reduce(v, g.lane);
    float d = INFINITY;
    int c = c0 + j;
    if (j < nc) {
      // (|x|^2 - 2 x.c) + |c|^2 with explicit rounding, the CPU's operation order.
      const float e = __fadd_rn(__fsub_rn(row_sq, __fmul_rn(2.0f, dot)), c_sq[c]);
      if (!isnan(e)) d = e;
    }
    // Smallest (distance, index) of the 8 lanes: the first minimum, as the CPU's strict <.
#pragma unroll
    for (int off = 1; off < kClusterTile; off <<= 1) {
      const float od = __shfl_xor_sync(dev::kFullMask, d, off);
      const int oc = __shfl_xor_sync(dev::kFullMask, c, off);
      if (od < d || (od == d && oc < c)) d = od, c = oc;
    }
    if (d < best_d) best_d = d, best_c = c;
  }
}

// Warp 0: stable counting sort of the tile's rows by label (rows past the end carry INT_MAX and
// sort last), the label runs, and the block's cluster sizes.
__device__ void sort_tile(Shared& sh, int* cnt, int n_valid, int lane) {
  const int label = sh.tile_label[lane];
  int rank = 0;
#pragma unroll 8
  for (int j = 0; j < kTileRows; ++j) {
    const int other = sh.tile_label[j];
    rank += (other < label || (other == label && j < lane)) ? 1 : 0;
  }
  sh.pos_row[rank] = lane;
  sh.pos_label[rank] = label;
  __syncwarp();
  const int mine = sh.pos_label[lane];
  const int next = __shfl_down_sync(dev::kFullMask, mine, 1);
  const int prev = __shfl_up_sync(dev::kFullMask, mine, 1);
  const bool valid = lane < n_valid;
  const bool head = valid && (lane == 0 || prev != mine);
  const bool end = valid && (lane == n_valid - 1 || next != mine);
  const unsigned heads = __ballot_sync(dev::kFullMask, head);
  int first = 0;
  if (end) {
    const unsigned upto = lane == 31 ? 0xffffffffu : (2u << lane) - 1u;
    const int start = 31 - __clz(static_cast<int>(heads & upto));  // this run's head
    first = cnt[mine] == 0 ? 1 : 0;
    cnt[mine] += lane - start + 1;  // one run per label in a tile: no two lanes share `mine`
  }
  sh.pos_end[lane] = end ? 1 : 0;
  sh.pos_first[lane] = first;
}

// M-step accumulation of one sorted tile into the block's partial sums (fp32, rows of one label in
// row order). Each thread owns fixed columns, so a partial element is only ever touched by one
// thread of one block; the rows' loads are issued 8 at a time before they are summed.
template <typename T, bool kCached>
__device__ __forceinline__ void accumulate_tile(const KmBuffers& b, const Rows<T, kCached>& src, const Shared& sh,
                                                const Geo& g, int64_t tile0, int n_valid, bool rows_vec) {
  float* part = b.partial + static_cast<int64_t>(g.bid) * g.k * b.dim_pad;
  if (rows_vec) {  // cached (zero-padded to dim_pad) or dim == dim_pad
    for (int64_t d = g.tid * 4; d < b.dim_pad; d += kThreads * 4) {
      float4 acc = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
      for (int s0 = 0; s0 < n_valid; s0 += 8) {
        float4 v[8];
#pragma unroll
        for (int j = 0; j < 8; ++j) {
          const int s = s0 + j;
          v[j] = s < n_valid ? Ld<kCached>::four(src.row(tile0 + sh.pos_row[s]) + d) : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        }
#pragma unroll
        for (int j = 0; j < 8; ++j) {
          const int s = s0 + j;
          if (s < n_valid) {
            acc.x += v[j].x;
            acc.y += v[j].y;
            acc.z += v[j].z;
            acc.w += v[j].w;
            if (sh.pos_end[s] != 0) {
              float4* out = reinterpret_cast<float4*>(part + static_cast<int64_t>(sh.pos_label[s]) * b.dim_pad + d);
              if (sh.pos_first[s] == 0) {
                const float4 o = *out;
                acc.x += o.x;
                acc.y += o.y;
                acc.z += o.z;
                acc.w += o.w;
              }
              *out = acc;
              acc = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
            }
          }
        }
      }
    }
  } else {
    for (int64_t d0 = g.tid; d0 < g.dim; d0 += kThreads * kColumnsPerThread) {
      float acc[kColumnsPerThread];
#pragma unroll
      for (int q = 0; q < kColumnsPerThread; ++q) acc[q] = 0.0f;
#pragma unroll 4
      for (int s = 0; s < n_valid; ++s) {
        const T* xr = src.row(tile0 + sh.pos_row[s]) + d0;
#pragma unroll
        for (int q = 0; q < kColumnsPerThread; ++q)
          if (d0 + q * kThreads < g.dim) acc[q] += Ld<kCached>::one(xr + q * kThreads);
        if (sh.pos_end[s] != 0) {
          float* out = part + static_cast<int64_t>(sh.pos_label[s]) * b.dim_pad + d0;
          const bool first = sh.pos_first[s] != 0;
#pragma unroll
          for (int q = 0; q < kColumnsPerThread; ++q) {
            if (d0 + q * kThreads < g.dim) out[q * kThreads] = first ? acc[q] : acc[q] + out[q * kThreads];
            acc[q] = 0.0f;
          }
        }
      }
    }
  }
}

// Labels (and, in a Lloyd iteration, distances, partial sums, sizes, changed flag) of own rows.
template <typename T, bool kCached, bool kLloyd>
__device__ void assign_phase(const KmBuffers& b, const Rows<T, kCached>& src, const Geo& g, Shared& sh,
                             const Cents& cs, const float* c_sq, int* cnt, bool rows_vec, int32_t* counts,
                             int32_t* changed_flag, const Prof& prof) {
  if constexpr (kLloyd) {
    for (int c = g.tid; c < g.k; c += kThreads) cnt[c] = 0;
    __syncthreads();
  }
  bool changed = false;
  for (int64_t tile0 = g.rb0; tile0 < g.rb1; tile0 += kTileRows) {
    const int64_t r0 = tile0 + g.warp * kRowsPerWarp;
    const int i = g.lane >> 3;
    const int64_t r = r0 + i;
    const bool writer = (g.lane & (kClusterTile - 1)) == 0;
    int old = -1;
    if (kLloyd && writer && r < g.n) old = b.labels[r];  // issued before the dot products
    int best_c;
    float best_d;
    nearest<T, kCached>(b, src, cs, c_sq, g, tile0, r0, best_c, best_d);
    if (writer && r < g.n) {
      if constexpr (kLloyd) {
        changed |= old != best_c;
        b.distance[r] = best_d < 0.0f ? 0.0f : best_d;
      }
      b.labels[r] = best_c;
    }
    if constexpr (kLloyd) {
      if (writer) sh.tile_label[g.warp * kRowsPerWarp + i] = r < g.n ? best_c : INT_MAX;
      __syncthreads();
      prof.mark(sh, kPfAssign);
      const int n_valid = static_cast<int>(g.n - tile0 < kTileRows ? g.n - tile0 : kTileRows);
      if (g.warp == 0) sort_tile(sh, cnt, n_valid, g.lane);
      __syncthreads();
      accumulate_tile<T, kCached>(b, src, sh, g, tile0, n_valid, rows_vec);
      __syncthreads();  // the tile arrays are rewritten by the next tile
      prof.mark(sh, kPfAccum);
    }
  }
  if constexpr (kLloyd) {
    for (int c = g.tid; c < g.k; c += kThreads) {
      const int v = cnt[c];
      b.block_counts[static_cast<int64_t>(g.bid) * g.k + c] = v;
      if (v > 0) atomicAdd(counts + c, v);
    }
    if (__syncthreads_or(changed ? 1 : 0) && g.tid == 0) atomicOr(changed_flag, 1);
    prof.mark(sh, kPfAccum);
  }
}

// ---- update (units of one cluster x 128 columns) ----
template <int kBatch>
struct UnitLoads {
  float4 p[kBatch];  // partial sums of blocks base + j * kWarps
  int present[kBatch];
  float old[4];  // warp 0: the unit's current centroid values
};

template <int kBatch>
__device__ __forceinline__ void load_partials(const KmBuffers& b, const Geo& g, int c, int64_t d, bool in_range,
                                              int base, UnitLoads<kBatch>& L) {
#pragma unroll
  for (int j = 0; j < kBatch; ++j) {
    const int blk = base + j * kWarps;
    int present = 0;
    float4 p = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    if (blk < g.grid) {
      present = b.block_counts[blk * g.k + c];
      // Unwritten partials (no rows of c in that block) are loaded but never added.
      if (in_range) p = *reinterpret_cast<const float4*>(b.partial + (static_cast<int64_t>(blk) * g.k + c) * b.dim_pad + d);
    }
    L.present[j] = present;
    L.p[j] = p;
  }
}

// Issues the loads of unit u (its first batch of partial sums and its old centroid values).
template <int kBatch>
__device__ __forceinline__ void prefetch_unit(const KmBuffers& b, const Geo& g, int u, UnitLoads<kBatch>& L) {
  const int c = u / b.unit_chunks;
  const int64_t d = static_cast<int64_t>(u % b.unit_chunks) * kUnitColumns + g.lane * 4;
  const bool in_range = d < g.dim;
  if (g.warp == 0) {
    const float* cp = b.centroids + static_cast<int64_t>(c) * g.dim + d;
#pragma unroll
    for (int q = 0; q < 4; ++q) L.old[q] = d + q < g.dim ? cp[q] : 0.0f;
  }
  load_partials(b, g, c, d, in_range, g.warp, L);
}

// Unit u (prefetched into L): warp w sums blocks w, w + 8, ... in order (double), warp 0 adds the
// 8 warp sums in warp order, applies the repair moves, divides, writes the centroid values and the
// unit's squared shift. Block-wide.
template <typename T, int kBatch>
__device__ void update_unit(const KmBuffers& b, const Geo& g, Shared& sh, const int* counts, int n_moves, int u,
                            UnitLoads<kBatch>& L) {
  const KmCall* call = b.call;
  const int c = u / b.unit_chunks;
  const int64_t d = static_cast<int64_t>(u % b.unit_chunks) * kUnitColumns + g.lane * 4;
  const bool in_range = d < g.dim;
  double s[4] = {0.0, 0.0, 0.0, 0.0};
  for (int base = g.warp; base < g.grid; base += kWarps * kBatch) {
    if (base != g.warp) load_partials(b, g, c, d, in_range, base, L);
#pragma unroll
    for (int j = 0; j < kBatch; ++j) {
      if (L.present[j] > 0) {
        s[0] += static_cast<double>(L.p[j].x);
        s[1] += static_cast<double>(L.p[j].y);
        s[2] += static_cast<double>(L.p[j].z);
        s[3] += static_cast<double>(L.p[j].w);
      }
    }
  }
#pragma unroll
  for (int q = 0; q < 4; ++q) sh.unit_part[g.warp][q][g.lane] = s[q];
  __syncthreads();
  if (g.warp == 0) {
    double shift = 0.0;
    if (in_range) {
      const int count = counts[c];
      float* cp = b.centroids + static_cast<int64_t>(c) * g.dim + d;
#pragma unroll
      for (int q = 0; q < 4; ++q) {
        const int64_t dq = d + q;
        if (dq < g.dim) {
          double total = 0.0;
          for (int w = 0; w < kWarps; ++w) total += sh.unit_part[w][q][g.lane];
          for (int m = 0; m < n_moves; ++m) {  // empty-cluster moves, in order (as the CPU)
            const int from = b.move_from[m], to = b.move_to[m];
            if (from != c && to != c) continue;
            const double xv = dev::load(static_cast<const T*>(call->x) + b.move_row[m] * call->stride + dq);
            if (from == c) total -= xv;
            if (to == c) total = xv;
          }
          const float v = count > 0 ? static_cast<float>(total / static_cast<double>(count)) : L.old[q];
          cp[q] = v;
          const double delta = static_cast<double>(v) - L.old[q];
          shift += delta * delta;
        }
      }
    }
    shift = dev::warp_sum(shift);
    if (g.lane == 0) b.unit_shift[u] = shift;
  }
  __syncthreads();  // unit_part is rewritten by the next unit
}

// ---- seeding ----
// Trial rows sh.ids[0 .. nt) as doubles into st[t * dim_pad + d] (zero padding). Block-wide.
template <typename T>
__device__ void stage_trials(const KmBuffers& b, const Geo& g, const Shared& sh, double* st, int nt) {
  const KmCall* call = b.call;
  const T* x = static_cast<const T*>(call->x);
  const int64_t stride = call->stride;
  const int dim = static_cast<int>(g.dim), dim_pad = static_cast<int>(b.dim_pad);
  if (call->vec != 0) {  // dim == dim_pad, rows 4-element aligned
    const int per = dim_pad / 4, total = nt * per;
    for (int base = g.tid; base < total; base += kThreads * kLoadBatch) {
      float4 v[kLoadBatch];
#pragma unroll
      for (int j = 0; j < kLoadBatch; ++j) {
        const int e = base + j * kThreads;
        v[j] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        if (e < total) {
          const int t = e / per;
          v[j] = dev::load4(x + sh.ids[t] * stride + (e - t * per) * 4);
        }
      }
#pragma unroll
      for (int j = 0; j < kLoadBatch; ++j) {
        const int e = base + j * kThreads;
        if (e < total) {
          double2* out = reinterpret_cast<double2*>(st + static_cast<int64_t>(e) * 4);
          out[0] = make_double2(v[j].x, v[j].y);
          out[1] = make_double2(v[j].z, v[j].w);
        }
      }
    }
  } else {
    const int total = nt * dim_pad;
    for (int base = g.tid; base < total; base += kThreads * kLoadBatch) {
      double v[kLoadBatch];
#pragma unroll
      for (int j = 0; j < kLoadBatch; ++j) {
        const int e = base + j * kThreads;
        v[j] = 0.0;
        if (e < total) {
          const int t = e / dim_pad, d = e - t * dim_pad;
          if (d < dim) v[j] = dev::load(x + sh.ids[t] * stride + d);
        }
      }
#pragma unroll
      for (int j = 0; j < kLoadBatch; ++j) {
        const int e = base + j * kThreads;
        if (e < total) st[e] = v[j];
      }
    }
  }
  __syncthreads();
}

// Distance pass of one centre: for own rows r and trials t < nt (rows sh.ids[t]; staged: st),
// cand[t][r] = squared distance (double), min'ed with closest[r] when closest is given, and per
// trial the inclusive cumulative sums of own rows in row order (scan[t][r]) and their last value
// (the block's potential, pot[t * grid + bid]). Warp w, per tile: rows 4w .. 4w + 3 against 4
// trials at a time, lanes over columns; then warp t scans trial t of the tile.
template <typename T, bool kCached, bool kStaged>
__device__ void seed_pass(const KmBuffers& b, const Rows<T, kCached>& src, const Geo& g, Shared& sh, const double* st,
                          int nt, const double* closest, double* cand, double* scan, double* pot, bool vec,
                          int64_t loop_dim) {
  const KmCall* call = b.call;
  const T* x = static_cast<const T*>(call->x);
  const int64_t stride = call->stride;
  const int idx = g.lane & 15, i = idx >> 2, tt = idx & 3;
  double carry = 0.0;  // warp t < nt: the last cumulative sum of trial t so far
  for (int64_t tile0 = g.rb0; tile0 < g.rb1; tile0 += kTileRows) {
    const int64_t r0 = tile0 + g.warp * kRowsPerWarp;
    const T* rows[kRowsPerWarp];
#pragma unroll
    for (int q = 0; q < kRowsPerWarp; ++q) rows[q] = src.row(r0 + q < g.n ? r0 + q : tile0);  // past the end: unused
    const int64_t r = r0 + i;
    const bool row_ok = r < g.n;
    const double close = closest != nullptr && row_ok ? closest[r] : 0.0;  // issued before the sweep
    for (int t0 = 0; t0 < nt; t0 += kTrialTile) {
      double acc[16];
#pragma unroll
      for (int q = 0; q < 16; ++q) acc[q] = 0.0;
      const T* trow[kTrialTile];
#pragma unroll
      for (int q = 0; q < kTrialTile; ++q) trow[q] = x + sh.ids[t0 + q < nt ? t0 + q : t0] * stride;
      if (vec) {
#pragma unroll 2
        for (int64_t d = g.lane * 4; d < loop_dim; d += 128) {
          float4 xv[kRowsPerWarp];
#pragma unroll
          for (int q = 0; q < kRowsPerWarp; ++q) xv[q] = Ld<kCached>::four(rows[q] + d);
#pragma unroll
          for (int q = 0; q < kTrialTile; ++q) {
            if (t0 + q < nt) {
              double c0, c1, c2, c3;
              if constexpr (kStaged) {
                const double2 lo = *reinterpret_cast<const double2*>(st + (t0 + q) * b.dim_pad + d);
                const double2 hi = *reinterpret_cast<const double2*>(st + (t0 + q) * b.dim_pad + d + 2);
                c0 = lo.x, c1 = lo.y, c2 = hi.x, c3 = hi.y;
              } else {
                const float4 cv = dev::load4(trow[q] + d);
                c0 = cv.x, c1 = cv.y, c2 = cv.z, c3 = cv.w;
              }
#pragma unroll
              for (int w = 0; w < kRowsPerWarp; ++w) {
                double a = acc[w * kTrialTile + q];
                const double e0 = static_cast<double>(xv[w].x) - c0, e1 = static_cast<double>(xv[w].y) - c1;
                const double e2 = static_cast<double>(xv[w].z) - c2, e3 = static_cast<double>(xv[w].w) - c3;
                a = fma(e0, e0, a);
                a = fma(e1, e1, a);
                a = fma(e2, e2, a);
                a = fma(e3, e3, a);
                acc[w * kTrialTile + q] = a;
              }
            }
          }
        }
      } else {
        for (int64_t d = g.lane; d < g.dim; d += 32) {
          double xs[kRowsPerWarp];
#pragma unroll
          for (int q = 0; q < kRowsPerWarp; ++q) xs[q] = Ld<kCached>::one(rows[q] + d);
#pragma unroll
          for (int q = 0; q < kTrialTile; ++q) {
            if (t0 + q < nt) {
              double cv;
              if constexpr (kStaged) {
                cv = st[(t0 + q) * b.dim_pad + d];
              } else {
                cv = dev::load(trow[q] + d);
              }
#pragma unroll
              for (int w = 0; w < kRowsPerWarp; ++w) {
                const double e = xs[w] - cv;
                acc[w * kTrialTile + q] = fma(e, e, acc[w * kTrialTile + q]);
              }
            }
          }
        }
      }
      double m = transpose_reduce16(acc, g.lane);  // (row i, trial t0 + tt)
      const int t = t0 + tt;
      if (closest != nullptr) m = close < m ? close : m;  // std::min(candidate, closest)
      if (g.lane < 16 && t < nt) {
        if (row_ok) cand[t * g.n + r] = m;
        sh.seed_val[t][g.warp * kRowsPerWarp + i] = row_ok ? m : 0.0;
      }
    }
    __syncthreads();
    if (g.warp < nt) {
      // Warp t: running sum of trial t over own rows, one row after the other as the CPU's
      // std::partial_sum (so it never decreases); every lane adds the same values in the same
      // order, lane j keeps row j's sum. Rows past the end add 0 (s + 0.0 == s).
      const int64_t rr = tile0 + g.lane;
      const bool ok = rr < g.rb1;
      const double v = ok ? sh.seed_val[g.warp][g.lane] : 0.0;
      double s = carry, mine = 0.0;
#pragma unroll
      for (int j = 0; j < kTileRows; ++j) {
        s += __shfl_sync(dev::kFullMask, v, j);
        if (g.lane == j) mine = s;
      }
      if (ok) scan[g.warp * g.n + rr] = mine;
      carry = s;
    }
    __syncthreads();  // seed_val is rewritten by the next tile
  }
  if (g.warp < nt && g.lane == 0) pot[g.warp * g.grid + g.bid] = carry;
}

// Centre c's row = row `row` of the features (fp32). Block-wide.
template <typename T>
__device__ void copy_row(const KmBuffers& b, const Geo& g, int c, int64_t row) {
  const KmCall* call = b.call;
  const T* xr = static_cast<const T*>(call->x) + row * call->stride;
  float* out = b.centroids + static_cast<int64_t>(c) * g.dim;
  for (int64_t base = g.tid; base < g.dim; base += kThreads * kLoadBatch) {
    float v[kLoadBatch];
#pragma unroll
    for (int j = 0; j < kLoadBatch; ++j) {
      const int64_t d = base + j * kThreads;
      v[j] = d < g.dim ? dev::load(xr + d) : 0.0f;
    }
#pragma unroll
    for (int j = 0; j < kLoadBatch; ++j) {
      const int64_t d = base + j * kThreads;
      if (d < g.dim) out[d] = v[j];
    }
  }
}

// After the barrier of a distance pass (every block, the same arithmetic on the same values):
// the evaluated trials' potentials and the best trial (returned; its row in *chosen_row), and,
// when next_nt > 0, the next centre's trial rows into sh.ids (targets u_next[t] * total).
// Block-wide; ends with a barrier.
__device__ int seed_pick(const KmBuffers& b, const Geo& g, Shared& sh, int nt, const double* pot,
                         const double* scan_buf, int next_nt, const double* u_next, int64_t* chosen_row) {
  double tv[kMaxT];  // thread b: T_b of each trial
#pragma unroll
  for (int t = 0; t < kMaxT; ++t) tv[t] = t < nt && g.tid < g.grid ? pot[t * g.grid + g.tid] : 0.0;
  const double ut = g.tid < next_nt ? u_next[g.tid] : 0.0;
#pragma unroll
  for (int t = 0; t < kMaxT; ++t) {
    if (t < nt) {
      const double w = dev::warp_sum(tv[t]);
      if (g.lane == 0) sh.pot_w[g.warp][t] = w;
    }
  }
  __syncthreads();
  if (g.tid < nt) {
    double s = 0.0;
    for (int w = 0; w < kWarps; ++w) s += sh.pot_w[w][g.tid];
    sh.pots[g.tid] = s;
  }
  __syncthreads();
  int best = 0;
  double best_pot = 0.0;
  for (int t = 0; t < nt; ++t) {
    const double p = sh.pots[t];
    if (t == 0 || p < best_pot) best_pot = p, best = t;
  }
  *chosen_row = sh.ids[best];
  if (next_nt > 0) {
    const double* scan = scan_buf + static_cast<int64_t>(best) * g.n;
    double tb = 0.0;
#pragma unroll
    for (int t = 0; t < kMaxT; ++t)
      if (t == best) tb = tv[t];
    double unused = 0.0;
    const double p = block_exclusive_scan(tb, sh, &unused);  // P_b (fixed order)
    const double last = p + tb;                              // the block's last cumulative sum
    if (g.tid < g.grid) sh.prefix[g.tid] = p;
    if (g.tid == g.grid - 1) sh.total = last;
    __syncthreads();
    if (g.tid < next_nt) {
      sh.target[g.tid] = ut * sh.total;
      sh.found[g.tid] = static_cast<unsigned long long>(g.n);
    }
    __syncthreads();
    // First block whose last cumulative sum reaches each target.
#pragma unroll
    for (int t = 0; t < kMaxT; ++t) {
      if (t < next_nt) {
        const unsigned mask = __ballot_sync(dev::kFullMask, g.tid < g.grid && last >= sh.target[t]);
        if (g.lane == 0) sh.hit_mask[t][g.warp] = mask;
      }
    }
    __syncthreads();
    if (g.tid < next_nt) {
      int hit = -1;
      for (int w = 0; w < kWarps && hit < 0; ++w) {
        const unsigned m = sh.hit_mask[g.tid][w];
        if (m != 0) hit = w * 32 + __ffs(static_cast<int>(m)) - 1;
      }
      sh.hit_block[g.tid] = hit;
    }
    __syncthreads();
    // First row of that block whose cumulative sum reaches the target.
    const int64_t work = static_cast<int64_t>(next_nt) * g.rpb;
    for (int64_t base = g.tid; base < work; base += kThreads * kLoadBatch) {
      double sv[kLoadBatch];
      int64_t rv[kLoadBatch];
#pragma unroll
      for (int j = 0; j < kLoadBatch; ++j) {
        const int64_t e = base + j * kThreads;
        rv[j] = -1;
        sv[j] = 0.0;
        if (e < work) {
          const int t = static_cast<int>(e / g.rpb);
          const int hb = sh.hit_block[t];
          const int64_t r = static_cast<int64_t>(hb) * g.rpb + (e - t * g.rpb);
          if (hb >= 0 && r < g.n) {
            rv[j] = r;
            sv[j] = scan[r];
          }
        }
      }
#pragma unroll
      for (int j = 0; j < kLoadBatch; ++j) {
        if (rv[j] >= 0) {
          const int t = static_cast<int>((base + j * kThreads) / g.rpb);
          if (sh.prefix[sh.hit_block[t]] + sv[j] >= sh.target[t])
            atomicMin(&sh.found[t], static_cast<unsigned long long>(rv[j]));
        }
      }
    }
    __syncthreads();
    if (g.tid < next_nt) {
      const unsigned long long f = sh.found[g.tid];
      const unsigned long long last_row = static_cast<unsigned long long>(g.n - 1);
      sh.ids[g.tid] = static_cast<long long>(f < last_row ? f : last_row);  // past the end -> last row, as the CPU
    }
  }
  __syncthreads();
  return best;
}

template <typename T, bool kCached>
__device__ void seeding(const KmBuffers& b, const Rows<T, kCached>& src, const Geo& g, Shared& sh,
                        const cg::grid_group& grid, int run, double* st, const Prof& prof) {
  const KmCall* call = b.call;
  const double* u = call->uniforms + static_cast<int64_t>(run) * call->uniforms_per_run;
  const int trials = b.trials;
  const int64_t first = static_cast<int64_t>(u[0] * static_cast<double>(g.n));  // Rng::below(n)
  if (g.k == 1) {
    if (g.bid == 0) copy_row<T>(b, g, 0, first);
    return;
  }
  if (g.tid == 0) sh.ids[0] = first;
  __syncthreads();
  const bool vec = (kCached || call->vec != 0) && (st != nullptr || call->vec != 0);
  const int64_t loop_dim = vec ? b.dim_pad : g.dim;
  const int64_t buf = static_cast<int64_t>(trials) * g.n;  // one parity's candidates / sums
  const int64_t pot_buf = static_cast<int64_t>(kMaxT) * g.grid;
  int nt = 1, best = 0;
  prof.snapshot(sh, prof_centre_base(g.grid), 0, kProfCentres);
  for (int c = 0; c < g.k; ++c) {
    const int par = c & 1;
    // Candidates of the previous centre's best trial are the closest distances.
    const double* closest = c > 0 ? b.candidate + (par ^ 1) * buf + static_cast<int64_t>(best) * g.n : nullptr;
    double* cand = b.candidate + par * buf;
    double* scan = b.seed_scan + par * buf;
    double* pot = b.pot_part + par * pot_buf;
    if (st != nullptr) stage_trials<T>(b, g, sh, st, nt);
    prof.mark(sh, kPfSeedStage);
    if (st != nullptr) {
      seed_pass<T, kCached, true>(b, src, g, sh, st, nt, closest, cand, scan, pot, vec, loop_dim);
    } else {
      seed_pass<T, kCached, false>(b, src, g, sh, st, nt, closest, cand, scan, pot, vec, loop_dim);
    }
    prof.mark(sh, kPfSeedDist);
    grid.sync();  // every block's candidates, cumulative sums and potentials of centre c
    prof.mark(sh, kPfSeedWait);
    const int next_nt = c + 1 < g.k ? trials : 0;
    int64_t row = 0;
    best = seed_pick(b, g, sh, nt, pot, scan, next_nt, u + 1 + static_cast<int64_t>(c) * trials, &row);
    if (g.bid == c % g.grid) copy_row<T>(b, g, c, row);
    nt = trials;
    prof.mark(sh, kPfSeedPick);
    prof.snapshot(sh, prof_centre_base(g.grid), c + 1, kProfCentres);
  }
}

// Copies own rows into the shared-memory cache (raw bits), zero padding to dim_pad; all loads of a
// batch in flight.
template <typename T>
__device__ void load_cache(const KmBuffers& b, const Geo& g, T* cache) {
  using One = typename Raw<T>::One;
  using Four = typename Raw<T>::Four;
  const KmCall* call = b.call;
  const int rows = static_cast<int>(g.rb1 - g.rb0);
  const int dim = static_cast<int>(g.dim), dim_pad = static_cast<int>(b.dim_pad);
  const T* x0 = static_cast<const T*>(call->x) + g.rb0 * call->stride;
  if (call->vec != 0) {  // dim == dim_pad, rows 4-element aligned
    const int per = dim_pad / 4, total = rows * per;
    for (int base = g.tid; base < total; base += kThreads * kLoadBatch) {
      Four v[kLoadBatch];
#pragma unroll
      for (int j = 0; j < kLoadBatch; ++j) {
        const int e = base + j * kThreads;
        if (e < total) {
          const int r = e / per;
          v[j] = __ldg(reinterpret_cast<const Four*>(x0 + r * call->stride) + (e - r * per));
        }
      }
#pragma unroll
      for (int j = 0; j < kLoadBatch; ++j) {
        const int e = base + j * kThreads;
        if (e < total) reinterpret_cast<Four*>(cache)[e] = v[j];
      }
    }
  } else {
    const int total = rows * dim_pad;
    for (int base = g.tid; base < total; base += kThreads * kLoadBatch) {
      One v[kLoadBatch];
#pragma unroll
      for (int j = 0; j < kLoadBatch; ++j) {
        const int e = base + j * kThreads;
        v[j] = 0;
        if (e < total) {
          const int r = e / dim_pad, d = e - r * dim_pad;
          if (d < dim) v[j] = __ldg(reinterpret_cast<const One*>(x0 + r * call->stride) + d);
        }
      }
#pragma unroll
      for (int j = 0; j < kLoadBatch; ++j) {
        const int e = base + j * kThreads;
        if (e < total) reinterpret_cast<One*>(cache)[e] = v[j];
      }
    }
  }
}

// Squared distances (double) of own rows to their centres, summed per block in a fixed order.
// Warp w takes rows w, w + 8, ...; the labels of 32 of its rows are loaded at once.
template <typename T, bool kCached>
__device__ void inertia_phase(const KmBuffers& b, const Rows<T, kCached>& src, const Geo& g, Shared& sh,
                              const Cents& cs) {
  double sum = 0.0;
  for (int64_t chunk = g.rb0; chunk < g.rb1; chunk += kThreads) {
    const int64_t mine = chunk + g.warp + static_cast<int64_t>(g.lane) * kWarps;
    const int label = mine < g.rb1 ? b.labels[mine] : 0;
    for (int j = 0; j < 32; ++j) {
      const int64_t r = chunk + g.warp + static_cast<int64_t>(j) * kWarps;
      if (r >= g.rb1) break;  // uniform over the warp
      const int c = __shfl_sync(dev::kFullMask, label, j);
      const T* xr = src.row(r);
      const float* cp = cs.p + static_cast<int64_t>(c) * cs.stride;
      double acc = 0.0;
      if (cs.vec) {
#pragma unroll 4
        for (int64_t d = g.lane * 4; d < cs.loop_dim; d += 128) {
          const float4 xv = Ld<kCached>::four(xr + d);
          const float4 cv = *reinterpret_cast<const float4*>(cp + d);
          const double e0 = static_cast<double>(xv.x) - cv.x, e1 = static_cast<double>(xv.y) - cv.y;
          const double e2 = static_cast<double>(xv.z) - cv.z, e3 = static_cast<double>(xv.w) - cv.w;
          acc += e0 * e0;
          acc += e1 * e1;
          acc += e2 * e2;
          acc += e3 * e3;
        }
      } else {
#pragma unroll 4
        for (int64_t d = g.lane; d < g.dim; d += 32) {
          const double e = static_cast<double>(Ld<kCached>::one(xr + d)) - cp[d];
          acc += e * e;
        }
      }
      sum += dev::warp_sum(acc);
    }
  }
  if (g.lane == 0) sh.unit_part[0][0][g.warp] = sum;
  __syncthreads();
  if (g.tid == 0) {
    double s = 0.0;
    for (int w = 0; w < kWarps; ++w) s += sh.unit_part[0][0][w];
    b.inertia_part[g.bid] = s;
  }
}

template <typename T, bool kCached>
__global__ void __launch_bounds__(kThreads, 1) persistent_kernel(KmBuffers b, int run, int mode) {
  const cg::grid_group grid = cg::this_grid();
  __shared__ Shared sh;
  extern __shared__ __align__(16) unsigned char dyn[];
  const Prof prof{b.prof};
  prof.start(sh);
  Geo g;
  g.bid = static_cast<int>(blockIdx.x);
  g.grid = static_cast<int>(gridDim.x);
  g.tid = static_cast<int>(threadIdx.x);
  g.lane = g.tid & 31;
  g.warp = g.tid >> 5;
  g.k = b.k;
  g.n = b.rows;
  g.dim = b.dim;
  g.rpb = static_cast<int64_t>(b.tiles_per_block) * kTileRows;
  g.rb0 = static_cast<int64_t>(g.bid) * g.rpb;
  g.rb1 = g.rb0 + g.rpb < g.n ? g.rb0 + g.rpb : g.n;
  float* c_sq = reinterpret_cast<float*>(dyn);
  int* cnt = reinterpret_cast<int*>(dyn + size_t{4} * g.k);
  int* counts = reinterpret_cast<int*>(dyn + size_t{8} * g.k);
  unsigned char* stage_raw = dyn + small_bytes(g.k);
  float* stage = b.staged != 0 ? reinterpret_cast<float*>(stage_raw) : nullptr;
  T* cache = reinterpret_cast<T*>(stage_raw + b.stage_bytes);
  const KmCall* call = b.call;
  // Read before the first barrier: block 0 replaces it only after the last one.
  const double best_before = b.header->inertia;

  // ---- prologue ----
  if constexpr (kCached) load_cache<T>(b, g, cache);
  for (int64_t r = g.rb0 + g.tid; r < g.rb1; r += kThreads) b.labels[r] = -1;
  if (g.bid == 0) {
    for (int i = g.tid; i < 2 * g.k; i += kThreads) b.slot_counts[i] = 0;
    if (g.tid < 2) b.slot_changed[g.tid] = 0;
  }
  __syncthreads();
  prof.mark(sh, kPfPrologue);
  const Rows<T, kCached> src{static_cast<const T*>(call->x), call->stride, cache, b.dim_pad, g.rb0};

  if (mode != kPersistWarm) {
    seeding<T, kCached>(b, src, g, sh, grid, run, reinterpret_cast<double*>(stage), prof);
    if (mode == kPersistSeedOnly) {  // every block: the kernel's end publishes the centroids
      prof.finish(sh, b, 0);
      return;
    }
  }
  grid.sync();  // starting centroids
  prof.mark(sh, kPfStartWait);
  stage_step(b, g, sh, stage, c_sq, false);
  prof.mark(sh, kPfStage);

  // ---- Lloyd iterations (the CPU's lloyd(), step for step) ----
  const bool rows_vec = kCached || call->vec != 0;
  Cents cs;
  cs.p = stage != nullptr ? stage : b.centroids;
  cs.stride = stage != nullptr ? b.dim_pad : g.dim;
  cs.vec = rows_vec && (stage != nullptr || g.dim % 4 == 0);
  cs.loop_dim = cs.vec ? b.dim_pad : g.dim;
  const bool stop = call->stop_at_convergence != 0;
  const int max_iterations = call->max_iterations;
  const double tol_abs = b.state->tol_abs;
  const int64_t iter_base = prof_iteration_base(g.grid);
  int it = 0, iterations = 0;
  bool converged = false, strict = false;
  prof.snapshot(sh, iter_base, 0, kProfIterations);
  for (;;) {
    const int p = it & 1;
    int32_t* slot_counts = b.slot_counts + p * g.k;
    assign_phase<T, kCached, true>(b, src, g, sh, cs, c_sq, cnt, rows_vec, slot_counts, b.slot_changed + p, prof);
    grid.sync();  // labels, distances, partial sums, sizes, changed flag
    prof.mark(sh, kPfWaitA);
    UnitLoads<kUpdateBatch> loads;
    if (g.bid < b.units) prefetch_unit(b, g, g.bid, loads);  // in flight during the decisions below
    const int changed = b.slot_changed[p];
    int any_empty = 0;
    for (int c = g.tid; c < g.k; c += kThreads) {
      const int v = slot_counts[c];
      counts[c] = v;
      any_empty |= v == 0 ? 1 : 0;
    }
    iterations = it + 1;
    if (changed == 0 && it > 0) {  // same labels as with the previous centres
      converged = true;
      if (stop) {
        strict = true;
        prof.snapshot(sh, iter_base, it + 1, kProfIterations);
        break;
      }
    }
    int n_moves = 0;
    if (__syncthreads_or(any_empty)) {  // the same in every block: the same sizes
      if (g.bid == 0) {
        // The repair corrects the sizes in b.counts, a copy: slot_counts stays as every block
        // reads it for this decision (a block may still be reading it).
        for (int c = g.tid; c < g.k; c += kThreads) b.counts[c] = counts[c];
        if (g.tid == 0) b.state->n_moves = 0;
        __threadfence();
        __syncthreads();
        repair_empty_clusters(b);
      }
      grid.sync();  // moves, moved labels and corrected sizes
      for (int c = g.tid; c < g.k; c += kThreads) counts[c] = b.counts[c];
      n_moves = b.state->n_moves;
      __syncthreads();
    }
    if (g.bid == 0) {  // the other slot was last read before this iteration's first barrier
      for (int c = g.tid; c < g.k; c += kThreads) b.slot_counts[(p ^ 1) * g.k + c] = 0;
      if (g.tid == 0) b.slot_changed[p ^ 1] = 0;
    }
    prof.mark(sh, kPfDecide);
    for (int u = g.bid; u < b.units; u += g.grid) {
      if (u != g.bid) prefetch_unit(b, g, u, loads);
      update_unit<T>(b, g, sh, counts, n_moves, u, loads);  // (kBatch deduced)
    }
    prof.mark(sh, kPfUpdate);
    grid.sync();  // new centroids and unit shifts
    prof.mark(sh, kPfWaitB);
    const double shift = stage_step(b, g, sh, stage, c_sq, true);
    bool done = false;
    if (shift <= tol_abs) {
      converged = true;
      done = stop;
    }
    if (++it >= max_iterations) done = true;
    prof.mark(sh, kPfStage);
    prof.snapshot(sh, iter_base, it, kProfIterations);
    if (done) break;
  }

  // ---- end of run ----
  if (!strict) {  // labels that match the final centres (as scikit-learn's final E-step)
    assign_phase<T, kCached, false>(b, src, g, sh, cs, c_sq, cnt, rows_vec, nullptr, nullptr, prof);
    __syncthreads();
  }
  inertia_phase<T, kCached>(b, src, g, sh, cs);
  prof.mark(sh, kPfFinal);
  grid.sync();  // every block's inertia
  prof.mark(sh, kPfFinalWait);
  const double inertia = dev::block_sum(g.tid < g.grid ? b.inertia_part[g.tid] : 0.0, sh.red);
  if (inertia < best_before) {  // strict <, as the CPU: the first best run wins ties
    for (int64_t r = g.rb0 + g.tid; r < g.rb1; r += kThreads) b.best_labels[r] = b.labels[r];
    const int64_t values = static_cast<int64_t>(g.k) * g.dim;
    for (int64_t i = static_cast<int64_t>(g.bid) * kThreads + g.tid; i < values;
         i += static_cast<int64_t>(g.grid) * kThreads)
      b.best_centroids[i] = b.centroids[i];
    if (g.bid == 0 && g.tid == 0) {
      b.header->inertia = inertia;
      b.header->iterations = iterations;
      b.header->converged = converged ? 1 : 0;
    }
  }
  __syncthreads();
  prof.mark(sh, kPfEpilogue);
  prof.finish(sh, b, iterations);
}

template <typename T, bool kCached>
const void* kernel_address() {
  return reinterpret_cast<const void*>(&persistent_kernel<T, kCached>);
}

const void* kernel_for(DType type, bool cached) {
  if (type == DType::kFloat16) return cached ? kernel_address<__half, true>() : kernel_address<__half, false>();
  return cached ? kernel_address<float, true>() : kernel_address<float, false>();
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

int persistent_trials(int k) { return 2 + static_cast<int>(std::log(static_cast<double>(k))); }

size_t persistent_stage_bytes(int k, int64_t dim) {
  return stage_bytes_for(k, persistent_trials(k), ceil_div(dim, 4) * 4);
}

PersistentGeometry persistent_geometry(int device, DType type, int64_t rows, int64_t dim, int k, bool allow_cache,
                                       bool allow_stage) {
  PersistentGeometry geo;
  if (k < 1 || k > kPersistMaxK || rows < 1 || dim < 1 || persistent_trials(k) > kPersistMaxTrials) return geo;
  int coop = 0, sms = 0, optin = 0;
  if (cudaDeviceGetAttribute(&coop, cudaDevAttrCooperativeLaunch, device) != cudaSuccess ||
      cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) != cudaSuccess ||
      cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device) != cudaSuccess) {
    (void)cudaGetLastError();
    return geo;
  }
  if (coop == 0 || sms < 1) return geo;
  const int64_t tiles = ceil_div(rows, kTileRows);
  const int64_t dim_pad = ceil_div(dim, 4) * 4;
  const size_t esize = type == DType::kFloat16 ? 2 : 4;
  const size_t fixed = small_bytes(k);
  const size_t stage = persistent_stage_bytes(k, dim);
  const size_t tile_bytes = static_cast<size_t>(kTileRows) * static_cast<size_t>(dim_pad) * esize;

  auto try_mode = [&](bool cached, bool staged) -> bool {
    const void* fn = kernel_for(type, cached);
    cudaFuncAttributes attr{};
    if (cudaFuncGetAttributes(&attr, fn) != cudaSuccess) return false;
    const size_t max_dynamic =
        static_cast<size_t>(optin) > attr.sharedSizeBytes ? static_cast<size_t>(optin) - attr.sharedSizeBytes : 0;
    if (cudaFuncSetAttribute(fn, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(max_dynamic)) !=
        cudaSuccess)
      return false;
    auto smem_for = [&](int64_t tpb) {
      return fixed + (staged ? stage : 0) + (cached ? static_cast<size_t>(tpb) * tile_bytes : 0);
    };
    int64_t cap = std::min<int64_t>(kPersistMaxGrid, sms);  // first guess: one block per SM
    int64_t tpb = ceil_div(tiles, std::min(tiles, cap));
    if (smem_for(tpb) > max_dynamic) return false;
    int per_sm = 0;
    if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, fn, kThreads, smem_for(tpb)) != cudaSuccess ||
        per_sm < 1)
      return false;
    // More blocks fit: fewer tiles per block (less shared memory, so they still fit).
    cap = std::min<int64_t>(kPersistMaxGrid, static_cast<int64_t>(sms) * per_sm);
    tpb = std::min(tpb, ceil_div(tiles, std::min(tiles, cap)));
    geo.cached = cached;
    geo.staged = staged;
    geo.stage_bytes = staged ? stage : 0;
    geo.tiles_per_block = static_cast<int>(tpb);
    geo.grid = static_cast<int>(ceil_div(tiles, tpb));
    geo.smem_bytes = smem_for(tpb);
    return true;
  };
  const bool fits = (allow_cache && allow_stage && try_mode(true, true)) || (allow_cache && try_mode(true, false)) ||
                    (allow_stage && try_mode(false, true)) || try_mode(false, false);
  (void)cudaGetLastError();  // a failed attribute query must not surface in a later launch check
  if (!fits) return PersistentGeometry{};
  const double partial_bytes = static_cast<double>(geo.grid) * k * static_cast<double>(dim_pad) * sizeof(float);
  if (partial_bytes > static_cast<double>(kPartialBudget)) return PersistentGeometry{};
  geo.ok = true;
  geo.dim_pad = dim_pad;
  geo.unit_chunks = static_cast<int>(ceil_div(dim, kUnitColumns));
  geo.units = k * geo.unit_chunks;
  return geo;
}

bool launch_persistent(const KmBuffers& b, DType type, size_t smem_bytes, int run, int mode, cudaStream_t stream) {
  KmBuffers arg = b;
  void* args[] = {&arg, &run, &mode};
  const cudaError_t err = cudaLaunchCooperativeKernel(kernel_for(type, b.cached != 0),
                                                      dim3(static_cast<unsigned>(b.grid)), dim3(kThreads), args,
                                                      smem_bytes, stream);
  if (err == cudaErrorCooperativeLaunchTooLarge || err == cudaErrorNotSupported) {
    (void)cudaGetLastError();  // not sticky: clear it so later checks do not see it
    return false;
  }
  check_cuda(err, "k-means persistent kernel");
  return true;
}

}  // namespace dinov3::cuda::km
