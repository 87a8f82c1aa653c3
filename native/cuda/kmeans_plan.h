// A k-means "plan": every device buffer one k-means call of a given shape needs, plus either the
// geometry of the persistent kernel (kmeans_persistent.cu: one cooperative launch per run) or
// the CUDA graphs that replay the graph path's kernels; kept in a small pool and reused across
// calls.
//
// Why: recording and instantiating the ~100-node graphs of a 50-iteration run costs more host
// time than running them, and the persistent geometry needs occupancy queries. Plans are keyed by
// what fixes the kernels' grids and buffer sizes (device, dtype, rows, dim, k, iterations per
// graph, accumulation mode, path); what varies per call goes through KmCall (see
// kmeans_device.h). A plan is used by one call at a time.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "cuda_api.h"
#include "kmeans_device.h"

namespace dinov3::cuda::km {

struct PlanKey {
  int device = 0;
  DType dtype = DType::kFloat32;
  int64_t rows = 0;
  int64_t dim = 0;
  int k = 0;
  int iterations_per_graph = 0;
  bool dense = true;
  bool persistent = true;  // use the persistent kernel when the device and shape allow it
  bool cache = true;       // ... and keep the rows in shared memory when they fit
  bool stage = true;       // ... and stage centroids / k-means++ trial rows in shared memory

  bool operator==(const PlanKey& o) const {
    return device == o.device && dtype == o.dtype && rows == o.rows && dim == o.dim && k == o.k &&
           iterations_per_graph == o.iterations_per_graph && dense == o.dense && persistent == o.persistent &&
           cache == o.cache && stage == o.stage;
  }
};

// Lloyd iterations per graph replay for max_iterations: at most 32 per graph, spread evenly so
// that the last replay wastes few no-op kernels (50 -> 2 x 25).
int iterations_per_graph(int max_iterations);

// True when the per-tile partial sums fit the 64 MB budget (or atomics are forced for testing).
bool dense_accumulation(int64_t rows, int64_t dim, int k);
void set_force_atomic(bool on);
bool atomic_forced();

// Testing: 0 = automatic, 1 = graph path only, 2 = persistent path without the row cache,
// 3 = persistent path without the shared-memory staging of centroids and trial rows.
void set_forced_path(int path);
int forced_path();

// Testing / benchmarking: persistent runs record a per-phase profile (kmeans_device.h) when on.
// Initially on when the environment variable DINOV3_KMEANS_PROFILE is 1.
void set_profiling(bool on);
bool profiling();

// Devices whose driver refused a persistent (cooperative) launch: later calls there use the graphs.
void mark_persistent_refused(int device);
bool persistent_refused(int device);

class Plan {
 public:
  explicit Plan(const PlanKey& key);
  ~Plan();
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

  const PlanKey& key() const { return key_; }
  const KmBuffers& buffers() const { return b_; }

  // Which path this plan runs: the persistent kernel, or the graphs (key().dense: per-tile sums).
  bool persistent() const { return persistent_; }
  // "persistent, rows in shared memory", "persistent", "graphs" or "graphs, atomic sums".
  const char* path_name() const;

  KmCall* host_call() { return host_call_; }   // pinned; upload with upload_call()
  void upload_call(cudaStream_t stream);
  // Random numbers of the call: fill host_uniforms(count) (pinned), then upload_uniforms().
  double* host_uniforms(size_t count);  // grows the plan's buffers as needed
  const double* device_uniforms() const { return static_cast<const double*>(uniforms_); }
  void upload_uniforms(size_t count, cudaStream_t stream);

  // Column-statistics scratch for the tolerance.
  double* stats() const { return stats_; }
  int stats_chunks() const { return stats_chunks_; }

  // Replays of the recorded graphs (recorded on first use).
  void launch_seeding(cudaStream_t stream);
  void launch_run_start(cudaStream_t stream);
  void launch_iterations(cudaStream_t stream);  // iterations_per_graph Lloyd iterations
  void launch_run_finish(cudaStream_t stream);

  // Persistent path: one cooperative kernel for run `run` (PersistentMode). False when the driver
  // refused the cooperative launch (nothing queued): use the graph path instead.
  bool launch_persistent(int run, int mode, cudaStream_t stream);
  // Whether the persistent geometry stages centroids / trial rows in shared memory.
  bool staged() const { return b_.staged != 0; }
  // The profile words of the last persistent run launched with profiling on (synchronises the
  // stream); empty when the plan is not persistent.
  std::vector<unsigned long long> download_profile(cudaStream_t stream);

  // Header + labels + centroids of the best run, copied with one transfer into pinned memory.
  void download_result(cudaStream_t stream);  // synchronises the stream
  const KmResultHeader& result_header() const { return *reinterpret_cast<const KmResultHeader*>(host_result_); }
  const int32_t* result_labels() const;
  const float* result_centroids() const;

 private:
  void free_all() noexcept;
  cudaGraphExec_t record(const std::function<void(cudaStream_t)>& enqueue);
  void launch(cudaGraphExec_t& exec, const std::function<void(cudaStream_t)>& enqueue, cudaStream_t stream);

  PlanKey key_;
  KmBuffers b_{};
  void* device_ = nullptr;  // one allocation for all buffers
  size_t result_offset_ = 0, result_bytes_ = 0, labels_offset_ = 0, centroids_offset_ = 0;
  bool persistent_ = false;
  size_t persistent_smem_ = 0;
  unsigned long long* prof_ = nullptr;  // persistent plans: the profile buffer (prof_words(grid))
  void* uniforms_ = nullptr;
  double* host_uniforms_ = nullptr;  // pinned, uniforms_count_ values
  size_t uniforms_count_ = 0;
  double* stats_ = nullptr;
  int stats_chunks_ = 0;
  KmCall* host_call_ = nullptr;
  void* host_result_ = nullptr;
  cudaStream_t capture_ = nullptr;
  cudaGraphExec_t seeding_ = nullptr, start_ = nullptr, iterations_ = nullptr, finish_ = nullptr;
};

// Pool of idle plans (at most kMaxIdlePlans; the oldest are freed first).
inline constexpr size_t kMaxIdlePlans = 8;
std::unique_ptr<Plan> acquire_plan(const PlanKey& key);
void release_plan(std::unique_ptr<Plan> plan);

}  // namespace dinov3::cuda::km
