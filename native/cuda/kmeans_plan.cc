#include "kmeans_plan.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "cuda_check.h"
#include "device_scratch.h"
#include "kmeans_kernels.h"
#include "matrix_stats.h"

namespace dinov3::cuda::km {
namespace {

constexpr int kMaxIterationsPerGraph = 32;
constexpr size_t kDensePartialBudget = size_t{64} << 20;
std::atomic<bool> force_atomic{false};
std::atomic<int> force_path{0};
std::atomic<uint64_t> refused_devices{0};  // bit d: device d (devices >= 64 share bit 63)

bool profiling_from_env() {
  const char* v = std::getenv("DINOV3_KMEANS_PROFILE");
  return v != nullptr && v[0] == '1' && v[1] == '\0';
}
std::atomic<bool> profile_on{profiling_from_env()};

uint64_t device_bit(int device) { return uint64_t{1} << (device < 0 ? 0 : device < 63 ? device : 63); }

template <typename T>
T* at(void* base, size_t offset) {
  return reinterpret_cast<T*>(static_cast<char*>(base) + offset);
}

int64_t blocks(int64_t n, int64_t per_block) { return (n + per_block - 1) / per_block; }

}  // namespace

int iterations_per_graph(int max_iterations) {
  const int graphs = (max_iterations + kMaxIterationsPerGraph - 1) / kMaxIterationsPerGraph;
  return (max_iterations + graphs - 1) / graphs;
}

bool dense_accumulation(int64_t rows, int64_t dim, int k) {
  if (force_atomic.load()) return false;
  const double bytes = static_cast<double>(blocks(rows, kAssignTileRows)) * k * dim * sizeof(float);
  return bytes <= static_cast<double>(kDensePartialBudget);
}

void set_force_atomic(bool on) { force_atomic.store(on); }
bool atomic_forced() { return force_atomic.load(); }
void set_forced_path(int path) { force_path.store(path); }
int forced_path() { return force_path.load(); }
void set_profiling(bool on) { profile_on.store(on); }
bool profiling() { return profile_on.load(); }
void mark_persistent_refused(int device) { refused_devices.fetch_or(device_bit(device)); }
bool persistent_refused(int device) { return (refused_devices.load() & device_bit(device)) != 0; }

Plan::Plan(const PlanKey& key) : key_(key) {
  const int64_t n = key.rows, dim = key.dim;
  const int k = key.k;
  b_.rows = n;
  b_.dim = dim;
  b_.k = k;
  b_.trials = std::min(kMaxTrials, 2 + static_cast<int>(std::log(static_cast<double>(k))));
  b_.dense = key.dense ? 1 : 0;
  b_.assign_blocks = static_cast<int>(blocks(n, kAssignTileRows));
  b_.update_chunks = static_cast<int>(blocks(dim, kUpdateColumns));
  b_.seed_blocks = static_cast<int>(blocks(n, kRowWarpsPerBlock));
  b_.inertia_blocks = b_.seed_blocks;
  stats_chunks_ = column_stats_chunks(n);
  if (key.persistent) {
    const PersistentGeometry geo = persistent_geometry(key.device, key.dtype, n, dim, k, key.cache, key.stage);
    if (geo.ok) {
      persistent_ = true;
      persistent_smem_ = geo.smem_bytes;
      b_.grid = geo.grid;
      b_.tiles_per_block = geo.tiles_per_block;
      b_.cached = geo.cached ? 1 : 0;
      b_.units = geo.units;
      b_.unit_chunks = geo.unit_chunks;
      b_.dim_pad = geo.dim_pad;
      b_.staged = geo.staged ? 1 : 0;
      b_.stage_bytes = static_cast<int64_t>(geo.stage_bytes);
      b_.inertia_blocks = geo.grid;
    }
  }
  const bool graphs = !persistent_;
  const bool dense = graphs && key.dense;
  const bool atomic = graphs && !key.dense;
  const int64_t grid = b_.grid;

  ScratchLayout layout;
  const size_t call = layout.add<KmCall>(1);
  const size_t state = layout.add<KmState>(1);
  // The result block: header, labels, centroids back to back (one device-to-host copy).
  result_offset_ = layout.bytes();
  const size_t header_bytes = (sizeof(KmResultHeader) + 255) / 256 * 256;
  labels_offset_ = header_bytes;
  centroids_offset_ = header_bytes + (static_cast<size_t>(n) * sizeof(int32_t) + 255) / 256 * 256;
  result_bytes_ = centroids_offset_ + static_cast<size_t>(k) * dim * sizeof(float);
  layout.add<char>(result_bytes_);
  const size_t row_sq = layout.add<float>(n);
  const size_t centroids = layout.add<float>(static_cast<size_t>(k) * dim);
  const size_t c_sq = layout.add<float>(k);
  const size_t labels = layout.add<int32_t>(n);
  const size_t distance = layout.add<float>(n);
  size_t partial = 0, block_counts = 0, sums = 0, shift_part = 0, csq_part = 0;
  size_t slot_counts = 0, slot_changed = 0, unit_shift = 0, pot_part = 0, seed_scan = 0, prof = 0;
  if (dense) {
    partial = layout.add<float>(static_cast<size_t>(b_.assign_blocks) * k * dim);
    block_counts = layout.add<int32_t>(static_cast<size_t>(b_.assign_blocks) * k);
  }
  if (atomic) sums = layout.add<double>(static_cast<size_t>(k) * dim);
  if (graphs) {
    shift_part = layout.add<double>(static_cast<size_t>(k) * b_.update_chunks);
    csq_part = layout.add<float>(static_cast<size_t>(k) * b_.update_chunks);
  } else {
    partial = layout.add<float>(static_cast<size_t>(grid) * k * b_.dim_pad);
    block_counts = layout.add<int32_t>(static_cast<size_t>(grid) * k);
    slot_counts = layout.add<int32_t>(2 * static_cast<size_t>(k));
    slot_changed = layout.add<int32_t>(2);
    unit_shift = layout.add<double>(static_cast<size_t>(b_.units));
    pot_part = layout.add<double>(2 * static_cast<size_t>(kPersistMaxTrials) * grid);
    seed_scan = layout.add<double>(2 * static_cast<size_t>(b_.trials) * n);
    prof = layout.add<unsigned long long>(static_cast<size_t>(prof_words(static_cast<int>(grid))));
  }
  const size_t counts = layout.add<int32_t>(k);
  const size_t empty_list = layout.add<int32_t>(k);
  const size_t far_rows = layout.add<int64_t>(k);
  const size_t move_row = layout.add<int64_t>(k);
  const size_t move_from = layout.add<int32_t>(k);
  const size_t move_to = layout.add<int32_t>(k);
  const size_t closest = layout.add<double>(n);
  // The persistent kernel double-buffers the candidates by centre parity.
  const size_t candidate = layout.add<double>((persistent_ ? 2 : 1) * static_cast<size_t>(b_.trials) * n);
  const size_t seed_part = layout.add<double>(static_cast<size_t>(b_.trials) * b_.seed_blocks);
  const size_t seed_ids = layout.add<int64_t>(kMaxTrials);
  const size_t inertia_part = layout.add<double>(static_cast<size_t>(b_.inertia_blocks));
  const size_t stats = layout.add<double>(2 * static_cast<size_t>(stats_chunks_) * dim + 2 * dim);

  try {
    check_cuda(cudaMalloc(&device_, layout.bytes()), "k-means buffers");
    b_.call = at<KmCall>(device_, call);
    b_.state = at<KmState>(device_, state);
    b_.header = at<KmResultHeader>(device_, result_offset_);
    b_.best_labels = at<int32_t>(device_, result_offset_ + labels_offset_);
    b_.best_centroids = at<float>(device_, result_offset_ + centroids_offset_);
    b_.row_sq = at<float>(device_, row_sq);
    b_.centroids = at<float>(device_, centroids);
    b_.c_sq = at<float>(device_, c_sq);
    b_.labels = at<int32_t>(device_, labels);
    b_.distance = at<float>(device_, distance);
    b_.partial = dense || persistent_ ? at<float>(device_, partial) : nullptr;
    b_.block_counts = dense || persistent_ ? at<int32_t>(device_, block_counts) : nullptr;
    b_.sums = atomic ? at<double>(device_, sums) : nullptr;
    b_.counts = at<int32_t>(device_, counts);
    b_.shift_part = graphs ? at<double>(device_, shift_part) : nullptr;
    b_.csq_part = graphs ? at<float>(device_, csq_part) : nullptr;
    if (persistent_) {
      b_.slot_counts = at<int32_t>(device_, slot_counts);
      b_.slot_changed = at<int32_t>(device_, slot_changed);
      b_.unit_shift = at<double>(device_, unit_shift);
      b_.pot_part = at<double>(device_, pot_part);
      b_.seed_scan = at<double>(device_, seed_scan);
      prof_ = at<unsigned long long>(device_, prof);
    }
    b_.empty_list = at<int32_t>(device_, empty_list);
    b_.far_rows = at<int64_t>(device_, far_rows);
    b_.move_row = at<int64_t>(device_, move_row);
    b_.move_from = at<int32_t>(device_, move_from);
    b_.move_to = at<int32_t>(device_, move_to);
    b_.closest = at<double>(device_, closest);
    b_.candidate = at<double>(device_, candidate);
    b_.seed_part = at<double>(device_, seed_part);
    b_.seed_ids = at<int64_t>(device_, seed_ids);
    b_.inertia_part = at<double>(device_, inertia_part);
    stats_ = at<double>(device_, stats);
    check_cuda(cudaMallocHost(reinterpret_cast<void**>(&host_call_), sizeof(KmCall)), "k-means pinned call");
    check_cuda(cudaMallocHost(&host_result_, result_bytes_), "k-means pinned result");
    check_cuda(cudaStreamCreateWithFlags(&capture_, cudaStreamNonBlocking), "k-means capture stream");
  } catch (...) {
    free_all();
    throw;
  }
}

Plan::~Plan() { free_all(); }

void Plan::free_all() noexcept {
  for (cudaGraphExec_t* g : {&seeding_, &start_, &iterations_, &finish_}) {
    if (*g != nullptr) cudaGraphExecDestroy(*g);
    *g = nullptr;
  }
  if (capture_ != nullptr) cudaStreamDestroy(capture_);
  if (host_call_ != nullptr) cudaFreeHost(host_call_);
  if (host_result_ != nullptr) cudaFreeHost(host_result_);
  if (host_uniforms_ != nullptr) cudaFreeHost(host_uniforms_);
  if (uniforms_ != nullptr) cudaFree(uniforms_);
  if (device_ != nullptr) cudaFree(device_);
  capture_ = nullptr;
  host_call_ = nullptr;
  host_uniforms_ = nullptr;
  host_result_ = uniforms_ = device_ = nullptr;
}

const char* Plan::path_name() const {
  if (persistent_) return b_.cached != 0 ? "persistent, rows in shared memory" : "persistent";
  return key_.dense ? "graphs" : "graphs, atomic sums";
}

void Plan::upload_call(cudaStream_t stream) {
  check_cuda(cudaMemcpyAsync(const_cast<KmCall*>(b_.call), host_call_, sizeof(KmCall), cudaMemcpyHostToDevice, stream),
             "k-means call upload");
}

double* Plan::host_uniforms(size_t count) {
  if (count > uniforms_count_) {
    // The plan is idle between calls: nothing queued uses the old buffers.
    if (uniforms_ != nullptr) cudaFree(uniforms_);
    if (host_uniforms_ != nullptr) cudaFreeHost(host_uniforms_);
    uniforms_ = nullptr;
    host_uniforms_ = nullptr;
    uniforms_count_ = 0;
    check_cuda(cudaMalloc(&uniforms_, count * sizeof(double)), "k-means random numbers");
    check_cuda(cudaMallocHost(reinterpret_cast<void**>(&host_uniforms_), count * sizeof(double)),
               "k-means pinned random numbers");
    uniforms_count_ = count;
  }
  return host_uniforms_;
}

void Plan::upload_uniforms(size_t count, cudaStream_t stream) {
  check_cuda(cudaMemcpyAsync(uniforms_, host_uniforms_, count * sizeof(double), cudaMemcpyHostToDevice, stream),
             "k-means random numbers upload");
}

cudaGraphExec_t Plan::record(const std::function<void(cudaStream_t)>& enqueue) {
  // Thread-local capture mode: other threads' CUDA calls do not disturb the recording.
  check_cuda(cudaStreamBeginCapture(capture_, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
  try {
    enqueue(capture_);
  } catch (...) {
    cudaGraph_t broken = nullptr;
    cudaStreamEndCapture(capture_, &broken);
    if (broken != nullptr) cudaGraphDestroy(broken);
    (void)cudaGetLastError();
    throw;
  }
  cudaGraph_t graph = nullptr;
  check_cuda(cudaStreamEndCapture(capture_, &graph), "cudaStreamEndCapture");
  cudaGraphExec_t exec = nullptr;
  const cudaError_t err = cudaGraphInstantiateWithFlags(&exec, graph, 0);
  cudaGraphDestroy(graph);
  check_cuda(err, "cudaGraphInstantiate");
  return exec;
}

void Plan::launch(cudaGraphExec_t& exec, const std::function<void(cudaStream_t)>& enqueue, cudaStream_t stream) {
  if (exec == nullptr) exec = record(enqueue);
  check_cuda(cudaGraphLaunch(exec, stream), "cudaGraphLaunch");
}

void Plan::launch_seeding(cudaStream_t stream) {
  launch(seeding_, [this](cudaStream_t s) { enqueue_seeding(b_, key_.dtype, s); }, stream);
}

void Plan::launch_run_start(cudaStream_t stream) {
  launch(start_, [this](cudaStream_t s) { enqueue_run_start(b_, s); }, stream);
}

void Plan::launch_iterations(cudaStream_t stream) {
  launch(iterations_, [this](cudaStream_t s) { enqueue_iterations(b_, key_.dtype, key_.iterations_per_graph, s); },
         stream);
}

void Plan::launch_run_finish(cudaStream_t stream) {
  launch(finish_, [this](cudaStream_t s) { enqueue_run_finish(b_, key_.dtype, s); }, stream);
}

bool Plan::launch_persistent(int run, int mode, cudaStream_t stream) {
  KmBuffers b = b_;
  b.prof = profiling() ? prof_ : nullptr;
  return km::launch_persistent(b, key_.dtype, persistent_smem_, run, mode, stream);
}

std::vector<unsigned long long> Plan::download_profile(cudaStream_t stream) {
  std::vector<unsigned long long> words;
  if (!persistent_ || prof_ == nullptr) return words;
  words.resize(static_cast<size_t>(prof_words(b_.grid)));
  check_cuda(cudaMemcpyAsync(words.data(), prof_, words.size() * sizeof(unsigned long long), cudaMemcpyDeviceToHost,
                             stream),
             "k-means profile download");
  check_cuda(cudaStreamSynchronize(stream), "k-means synchronise");
  return words;
}

void Plan::download_result(cudaStream_t stream) {
  check_cuda(cudaMemcpyAsync(host_result_, b_.header, result_bytes_, cudaMemcpyDeviceToHost, stream),
             "k-means result download");
  check_cuda(cudaStreamSynchronize(stream), "k-means synchronise");
}

const int32_t* Plan::result_labels() const {
  return reinterpret_cast<const int32_t*>(static_cast<const char*>(host_result_) + labels_offset_);
}

const float* Plan::result_centroids() const {
  return reinterpret_cast<const float*>(static_cast<const char*>(host_result_) + centroids_offset_);
}

namespace {
std::mutex pool_mutex;
std::vector<std::unique_ptr<Plan>>& idle_plans() {
  static auto* plans = new std::vector<std::unique_ptr<Plan>>();  // never destroyed: no CUDA calls at exit
  return *plans;
}
}  // namespace

std::unique_ptr<Plan> acquire_plan(const PlanKey& key) {
  {
    std::lock_guard<std::mutex> lock(pool_mutex);
    auto& plans = idle_plans();
    for (auto it = plans.begin(); it != plans.end(); ++it) {
      if ((*it)->key() == key) {
        std::unique_ptr<Plan> plan = std::move(*it);
        plans.erase(it);
        return plan;
      }
    }
  }
  return std::make_unique<Plan>(key);
}

void release_plan(std::unique_ptr<Plan> plan) {
  std::unique_ptr<Plan> evicted;
  std::lock_guard<std::mutex> lock(pool_mutex);
  auto& plans = idle_plans();
  plans.push_back(std::move(plan));
  if (plans.size() > kMaxIdlePlans) {
    evicted = std::move(plans.front());
    plans.erase(plans.begin());
  }
}

}  // namespace dinov3::cuda::km
