// Device-side data of the CUDA k-means (native/cuda/kmeans*.cu), shared by the kernels and the
// host code that owns the buffers and records the CUDA graphs. Plain C++ (no CUDA types).
//
// Why the indirection through KmCall: the graphs are recorded once per plan (shape, k, dtype)
// and replayed for every call; whatever changes between calls (the feature pointer and stride,
// options, the seeding random numbers) is uploaded into KmCall before the replay, and kernels
// read it from there. Everything else a kernel needs is a fixed plan buffer baked into the graph.
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
  float* partial;          // dense mode: assign_blocks * k * dim per-tile cluster sums
  int32_t* block_counts;   // dense mode: assign_blocks * k
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
  double* inertia_part;    // inertia_blocks
  int64_t rows;
  int64_t dim;
  int k;
  int trials;
  int dense;  // 1: per-tile partial sums, 0: double atomics (very large k * dim)
  int assign_blocks;
  int update_chunks;
  int seed_blocks;
  int inertia_blocks;
};

// Kernel geometry (also used by the host to size the buffers).
inline constexpr int kAssignThreads = 256;   // 8 warps
inline constexpr int kAssignTileRows = 32;   // 4 rows per warp
inline constexpr int kUpdateThreads = 256;   // 8 warps sharing one cluster x kUpdateColumns elements
inline constexpr int kUpdateColumns = 32;
inline constexpr int kRowWarpsPerBlock = 8;  // warp-per-row kernels (seeding distances, inertia)

}  // namespace dinov3::cuda::km
