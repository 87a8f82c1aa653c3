// Host-side launchers of the k-means kernels. Each enqueues on `stream` (and may be recorded
// into a CUDA graph); kernels that read the features take their pointer from b.call.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "cuda_api.h"
#include "kmeans_device.h"

namespace dinov3::cuda::km {

// Per call, before any run: result header reset, run = 0, |x|^2 with the non-finite scan, and
// the absolute tolerance (column statistics -> state->tol_abs; tolerance = false: the option is 0,
// so is tol_abs, and the statistics are skipped). `stats` holds 2 * chunks * dim + 2 * dim doubles.
void enqueue_call_prep(const KmBuffers& b, const DeviceMatrix& x, double* stats, int chunks, bool tolerance,
                       cudaStream_t stream);

// k-means++ seeding of the current run (state->run) into b.centroids: for every centre one
// single-block pick (prefix sums + search for all trials), one distance pass over the rows for
// all trials at once, and one choose step.
void enqueue_seeding(const KmBuffers& b, DType type, cudaStream_t stream);

// Start of a run: state reset, labels = -1, |c|^2 of the starting centroids.
void enqueue_run_start(const KmBuffers& b, cudaStream_t stream);

// `iterations` Lloyd iterations, two kernels each (fused assign + accumulate, then update);
// once state->done is set the remaining kernels return immediately.
void enqueue_iterations(const KmBuffers& b, DType type, int iterations, cudaStream_t stream);

// End of a run: labels for the final centroids (unless the run stopped on stable labels), exact
// inertia, keep the run if it beats the best so far, run += 1.
void enqueue_run_finish(const KmBuffers& b, DType type, cudaStream_t stream);

// assign_nearest: labels and distances for b.centroids / b.c_sq (no run state involved), and
// the sum of the distances into *total.
void enqueue_public_assign(const KmBuffers& b, DType type, double* total, cudaStream_t stream);

// Internal pieces of the above (kmeans_lloyd.cu): the final-labels pass of a run (returns at once
// when state->strict) and the plain assignment used by assign_nearest.
void enqueue_final_assign(const KmBuffers& b, DType type, cudaStream_t stream);
void enqueue_plain_assign(const KmBuffers& b, DType type, cudaStream_t stream);

// c_sq[c] = |centroid c|^2 (fp32).
void enqueue_centroid_norms(const float* centroids, int k, int64_t dim, float* c_sq, cudaStream_t stream);

// ---- persistent path (kmeans_persistent.cu): one cooperative kernel per run ----

// What the persistent kernel of a run does.
enum PersistentMode : int {
  kPersistSeedOnly = 0,  // k-means++ seeding into b.centroids, nothing else (testing)
  kPersistSeeded = 1,    // seeding, Lloyd iterations, final labels, inertia, keep the best run
  kPersistWarm = 2,      // the same from the centroids already in b.centroids
};

struct PersistentGeometry {
  bool ok = false;        // false: use the graph path
  bool cached = false;    // rows kept in shared memory for the whole run
  int grid = 0;           // blocks (all co-resident)
  int tiles_per_block = 0;
  int64_t dim_pad = 0;    // dim rounded up to 4
  int unit_chunks = 0;    // ceil(dim / kUnitColumns)
  int units = 0;          // k * unit_chunks
  bool staged = false;    // centroids / k-means++ trial rows staged in shared memory
  size_t stage_bytes = 0; // their shared-memory area (0 when not staged)
  size_t smem_bytes = 0;  // dynamic shared memory per block
};

// Whether and how the persistent kernel runs this shape on `device`: needs cooperative launch
// support, k <= kPersistMaxK and per-block partial sums within 64 MB. Preference when shared
// memory is short: rows + staging area, rows only, staging area only, neither. allow_cache = false
// keeps the rows in global memory, allow_stage = false the centroids and trial rows (testing).
PersistentGeometry persistent_geometry(int device, DType type, int64_t rows, int64_t dim, int k, bool allow_cache,
                                       bool allow_stage);

// One run (see PersistentMode); b holds the geometry (grid, tiles_per_block, cached, ...).
// Returns false, queuing nothing, when the driver refuses the cooperative launch (grid too large
// for what is resident, e.g. under MPS limits or instrumentation); throws on other errors.
bool launch_persistent(const KmBuffers& b, DType type, size_t smem_bytes, int run, int mode, cudaStream_t stream);

}  // namespace dinov3::cuda::km
