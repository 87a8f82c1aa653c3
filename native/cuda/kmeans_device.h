// Device-side data of the CUDA k-means (native/cuda/kmeans*.cu), shared by the kernels and the
// host code that owns the buffers and records the CUDA graphs. Plain C++ (no CUDA types).
//
// Why the indirection through KmCall: the graphs are recorded once per plan (shape, k, dtype)
// and replayed for every call; whatever changes between calls (the feature pointer and stride,
// options, the seeding random numbers) is uploaded into KmCall before the replay, and kernels
// read it from there. Everything else a kernel needs is a fixed plan buffer baked into the graph.
// The persistent kernel (kmeans_persistent.cu) is launched directly, but reads KmCall the same way.
#pragma once
#include <cstdint>

namespace dinov3::cuda::km {

inline constexpr int kMaxTrials = 24;  // 2 + ln(k) local k-means++ trials for any int k

struct KmCall {
  const void* x = nullptr;  // element (0, 0) of the features (fp32 or fp16, per the plan)
  int64_t stride = 0;       // elements between rows
  int vec = 0;              // rows can be read as 4-element vectors
  int stop_at_convergence = 1;
  int max_iterations = 0;
  int uniforms_per_run = 0;          // 1 + (k - 1) * trials
  const double* uniforms = nullptr;  // runs * uniforms_per_run values of the host Rng, in order
  double tolerance = 0;              // relative to the mean per-feature variance
};

// Mutable run state, in device memory; only kernels write it.
struct KmState {
  double tol_abs;          // tolerance * mean per-feature variance
  int run;                 // restart index (selects the run's random numbers)
  int it;                  // Lloyd iterations completed in this run
  int done;                // no more iterations: later iteration kernels return at once
  int strict;              // stopped because labels did not change (no final assignment needed)
  int converged;
  int changed;             // some label changed in this iteration's assignment
  int iterations;          // reported iteration count of this run
  int n_moves;             // empty-cluster moves to apply in this iteration's update
  unsigned assign_ticket;  // "last block done" counters
  unsigned update_ticket;
};

// Result of the call (best run), copied to the host in one transfer with the labels and centroids
// that follow it in the same allocation.
struct KmResultHeader {
  double inertia;
  int iterations;
  int converged;
  unsigned long long bad_index;  // row * dim + column of the first non-finite value, or ~0
};

struct KmBuffers {
  const KmCall* call;
  KmState* state;
  KmResultHeader* header;
  int32_t* best_labels;    // rows
  float* best_centroids;   // k * dim
  float* row_sq;           // rows: |x|^2 (fp32, as the CPU)
  float* centroids;        // k * dim, current run
  float* c_sq;             // k: |c|^2
  int32_t* labels;         // rows
  float* distance;         // rows: squared distance to the assigned centre (for empty-cluster repair)
  float* partial;          // dense mode: assign_blocks * k * dim per-tile cluster sums;
                           // persistent: grid * k * dim_pad per-block cluster sums
  int32_t* block_counts;   // dense mode: assign_blocks * k; persistent: grid * k
  double* sums;            // atomic mode: k * dim
  int32_t* counts;         // k
  double* shift_part;      // k * update_chunks (update_chunks = ceil(dim / kUpdateColumns))
  float* csq_part;         // k * update_chunks
  int32_t* empty_list;     // k
  int64_t* far_rows;       // k
  int64_t* move_row;       // k
  int32_t* move_from;      // k
  int32_t* move_to;        // k
  double* closest;         // rows: k-means++ distance to the nearest chosen centre
  double* candidate;       // kMaxTrials * rows
  double* seed_part;       // kMaxTrials * seed_blocks
  int64_t* seed_ids;       // kMaxTrials
  double* inertia_part;    // inertia_blocks (graphs) or grid (persistent)
  // Persistent path only (kmeans_persistent.cu); null on the graph path.
  int32_t* slot_counts;    // 2 * k: cluster sizes of the even / odd iteration (integer atomics)
  int32_t* slot_changed;   // 2: some label changed in the even / odd iteration
  double* unit_shift;      // units: squared centre shift of each (cluster, 128 columns) unit
  double* pot_part;        // 2 * kPersistMaxTrials * grid: k-means++ potential of each trial per
                           // block (the last cumulative sum of its rows), even / odd centre
  double* seed_scan;       // 2 * trials * rows: k-means++ cumulative sums of each trial within
                           // its block (inclusive, in row order), even / odd centre
  unsigned long long* prof;  // null, or the profile buffer (prof_words(grid) words; see below)
  int64_t rows;
  int64_t dim;
  int k;
  int trials;
  int dense;  // 1: per-tile partial sums, 0: double atomics (very large k * dim)
  int assign_blocks;
  int update_chunks;
  int seed_blocks;
  int inertia_blocks;
  // Persistent path geometry: grid blocks, 32-row tiles per block (block b owns rows
  // [b * tiles_per_block * 32, ...)), rows cached in shared memory or read from global memory,
  // partial-sum row length (dim rounded up to 4), update units (k * unit_chunks) of 128 columns.
  int grid;
  int tiles_per_block;
  int cached;
  int units;
  int unit_chunks;
  int64_t dim_pad;
  // Staging area in shared memory (after the per-cluster arrays, before the row cache): the
  // centroids (k x dim_pad floats) during the Lloyd iterations and the k-means++ trial rows
  // (trials x dim_pad doubles) during seeding. staged = 0: both are read from global memory.
  int staged;
  int64_t stage_bytes;
};

// Kernel geometry (also used by the host to size the buffers).
inline constexpr int kAssignThreads = 256;   // 8 warps
inline constexpr int kAssignTileRows = 32;   // 4 rows per warp
inline constexpr int kUpdateThreads = 256;   // 8 warps sharing one cluster x kUpdateColumns elements
inline constexpr int kUpdateColumns = 32;
inline constexpr int kRowWarpsPerBlock = 8;  // warp-per-row kernels (seeding distances, inertia)
inline constexpr int kPersistThreads = 256;  // persistent kernel: 8 warps, 32-row tiles
inline constexpr int kPersistMaxGrid = 256;  // at most one value per thread in grid-wide scans
inline constexpr int kPersistMaxK = 1024;    // per-cluster arrays in shared memory
inline constexpr int kUnitColumns = 128;     // update unit: one cluster x 128 columns (float4 per lane)
inline constexpr int kPersistMaxTrials = 8;  // 2 + ln k for k <= kPersistMaxK

// Profile of one persistent run (testing / benchmarking: dinov3::cuda::testing::
// set_kmeans_profiling). Thread 0 of every block adds clock64() deltas per phase; block 0 also
// writes snapshots of its running totals after every seeding centre and Lloyd iteration.
// Layout (64-bit words): header[kProfHeader] | per block [grid][kProfPhases] |
// centre snapshots [kProfCentres][kProfPhases] | iteration snapshots [kProfIterations][kProfPhases].
enum ProfPhase : int {
  kPfPrologue = 0,  // row cache load, label / counter resets
  kPfSeedStage,     // k-means++: trial rows into shared memory
  kPfSeedDist,      // k-means++: distances of own rows to the trials, within-block prefix sums
  kPfSeedWait,      // k-means++: grid barrier after each distance pass
  kPfSeedPick,      // k-means++: potentials, best trial, block prefix sums, next trials' rows
  kPfStartWait,     // grid barrier before the first Lloyd iteration
  kPfStage,         // centroids into shared memory, |c|^2, total shift and convergence test
  kPfAssign,        // nearest centroid of own rows
  kPfAccum,         // rows sorted by label, per-block partial sums, cluster sizes
  kPfWaitA,         // grid barrier after the assignment
  kPfDecide,        // sizes / changed flag, empty-cluster repair (with its barrier)
  kPfUpdate,        // new centroids from the partial sums (update units)
  kPfWaitB,         // grid barrier after the update
  kPfFinal,         // final assignment, inertia of own rows
  kPfFinalWait,     // grid barrier before the run's inertia
  kPfEpilogue,      // inertia total, best-run copy
  kProfPhases
};
inline constexpr int kProfHeader = 8;  // globaltimer start/end (ns), clock64 start/end, grid,
                                       // iterations, staged | cached << 1, tiles_per_block
inline constexpr int kProfCentres = 64;
inline constexpr int kProfIterations = 64;
inline constexpr int64_t prof_words(int grid) {
  return kProfHeader + static_cast<int64_t>(grid + kProfCentres + kProfIterations) * kProfPhases;
}

}  // namespace dinov3::cuda::km
