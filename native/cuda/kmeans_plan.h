// A k-means "plan": every device buffer one k-means call of a given shape needs, plus the CUDA
// graphs that replay its kernels, kept in a small pool and reused across calls.
//
// Why: recording and instantiating the ~100-node graphs of a 50-iteration run costs more host
// time than running them. Plans are keyed by what fixes the kernels' grids and buffer sizes
// (device, dtype, rows, dim, k, iterations per graph, accumulation mode); what varies per call
// goes through KmCall (see kmeans_device.h). A plan is used by one call at a time.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

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

  bool operator==(const PlanKey& o) const {
    return device == o.device && dtype == o.dtype && rows == o.rows && dim == o.dim && k == o.k &&
           iterations_per_graph == o.iterations_per_graph && dense == o.dense;
  }
};

// Lloyd iterations per graph replay for max_iterations: at most 32 per graph, spread evenly so
// that the last replay wastes few no-op kernels (50 -> 2 x 25).
int iterations_per_graph(int max_iterations);

// True when the per-tile partial sums fit the 64 MB budget (or atomics are forced for testing).
bool dense_accumulation(int64_t rows, int64_t dim, int k);
void set_force_atomic(bool on);

class Plan {
 public:
  explicit Plan(const PlanKey& key);
  ~Plan();
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

  const PlanKey& key() const { return key_; }
  const KmBuffers& buffers() const { return b_; }

  KmCall* host_call() { return host_call_; }   // pinned; upload with upload_call()
  void upload_call(cudaStream_t stream);
  const double* device_uniforms(size_t count);  // grows the plan's buffer as needed

  // Column-statistics scratch for the tolerance.
  double* stats() const { return stats_; }
  int stats_chunks() const { return stats_chunks_; }

  // Replays of the recorded graphs (recorded on first use).
  void launch_seeding(cudaStream_t stream);
  void launch_run_start(cudaStream_t stream);
  void launch_iterations(cudaStream_t stream);  // iterations_per_graph Lloyd iterations
  void launch_run_finish(cudaStream_t stream);

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
  void* uniforms_ = nullptr;
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
