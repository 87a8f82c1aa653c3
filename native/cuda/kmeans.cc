// Host side of the CUDA k-means: option checks (the CPU core's rules and messages), the
// host-drawn random numbers for seeding, and per run either one cooperative kernel (the
// persistent path, kmeans_persistent.cu) or a sequence of graph replays (the graph path,
// kmeans_seed.cu and kmeans_lloyd.cu); one device-to-host copy at the end.
//
// Cancellation: polled before every restart. With several restarts and a cancel flag the stream
// is synchronised after each restart so the poll sees the flag in time (one round trip per
// restart, never per iteration); a single run (designed to take well under a millisecond for
// 4096 x 1024, k = 8, 50 iterations on an H100) is not interrupted.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "../core/error.h"
#include "../core/rng.h"
#include "cuda_api.h"
#include "cuda_check.h"
#include "device_scratch.h"
#include "kmeans_internal.h"
#include "kmeans_kernels.h"
#include "kmeans_plan.h"
#include "matrix_checks.h"
#include "matrix_stats.h"

namespace dinov3::cuda {
namespace {

using km::KmCall;
using km::Plan;

thread_local std::string last_path = "none";
thread_local testing::KMeansProfile last_profile;

const char* const kPhaseNames[km::kProfPhases] = {
    "prologue (row cache, resets)", "seeding: stage trial rows", "seeding: distance pass + scans",
    "seeding: barrier wait", "seeding: pick (potentials, sampling)", "barrier before Lloyd",
    "stage centroids + |c|^2 + decision", "assign (nearest centroid)", "accumulate (sort, partial sums)",
    "barrier A wait (after assign)", "decide (sizes, changed, repair)", "update (reduce partials)",
    "barrier B wait (after update)", "final assign + inertia", "barrier before inertia total",
    "epilogue (inertia total, best copy)"};

// Turns the profile words of the plan's last persistent run into microseconds (seeded: the run
// did the k-means++ seeding, so the per-centre snapshots are its own).
void record_profile(Plan& plan, int k, bool seeded, cudaStream_t stream) {
  testing::KMeansProfile out;
  if (!km::profiling() || !plan.persistent()) {
    last_profile = out;
    return;
  }
  const std::vector<unsigned long long> w = plan.download_profile(stream);
  const int grid = plan.buffers().grid;
  if (w.size() < static_cast<size_t>(km::prof_words(grid)) || w[4] != static_cast<unsigned long long>(grid)) {
    last_profile = out;
    return;
  }
  const double ns = static_cast<double>(w[1] - w[0]);
  const double cycles = static_cast<double>(w[3] - w[2]);
  out.valid = cycles > 0;
  out.ns_per_cycle = cycles > 0 ? ns / cycles : 0.0;
  out.kernel_us = ns / 1000.0;
  out.grid = grid;
  out.iterations = static_cast<int>(w[5]);
  out.staged = (w[6] & 1) != 0;
  out.cached = (w[6] & 2) != 0;
  out.tiles_per_block = static_cast<int>(w[7]);
  out.k = k;
  const double us = out.ns_per_cycle / 1000.0;
  const int phases = km::kProfPhases;
  out.phases.assign(kPhaseNames, kPhaseNames + phases);
  out.block0_us.assign(phases, 0.0);
  out.mean_us.assign(phases, 0.0);
  out.max_us.assign(phases, 0.0);
  for (int b = 0; b < grid; ++b) {
    for (int p = 0; p < phases; ++p) {
      const double v = static_cast<double>(w[km::kProfHeader + static_cast<size_t>(b) * phases + p]) * us;
      if (b == 0) out.block0_us[p] = v;
      out.mean_us[p] += v / grid;
      out.max_us[p] = std::max(out.max_us[p], v);
    }
  }
  // Snapshots are running totals; slot 0 is taken just before the seeding loop / the first
  // Lloyd iteration, slot i + 1 after centre / iteration i.
  auto deltas = [&](size_t base, int count) {
    std::vector<std::vector<double>> rows;
    for (int i = 1; i <= count; ++i) {
      std::vector<double> row(phases);
      for (int p = 0; p < phases; ++p) {
        const unsigned long long now = w[base + static_cast<size_t>(i) * phases + p];
        const unsigned long long before = w[base + static_cast<size_t>(i - 1) * phases + p];
        row[p] = static_cast<double>(now - before) * us;
      }
      rows.push_back(std::move(row));
    }
    return rows;
  };
  const size_t centre_base = km::kProfHeader + static_cast<size_t>(grid) * phases;
  const size_t iteration_base = centre_base + static_cast<size_t>(km::kProfCentres) * phases;
  out.centre_us = deltas(centre_base, seeded && k > 1 ? std::min(k, km::kProfCentres - 1) : 0);
  out.iteration_us = deltas(iteration_base, std::min(out.iterations, km::kProfIterations - 1));
  last_profile = std::move(out);
}

void check_options(int64_t rows, const KMeansOptions& o) {
  require(o.k >= 1, codes::kInvalidArgument, "k must be at least 1, got " + std::to_string(o.k));
  require(o.k <= rows, codes::kInvalidArgument,
          "k = " + std::to_string(o.k) + " is larger than the number of patches (" + std::to_string(rows) + ")");
  require(o.max_iterations >= 1, codes::kInvalidArgument, "iterations must be at least 1");
  require(o.restarts >= 1, codes::kInvalidArgument, "restarts must be at least 1");
  require(o.tolerance >= 0 && std::isfinite(o.tolerance), codes::kInvalidArgument, "tolerance must be >= 0");
}

bool cancelled(const std::atomic<bool>* cancel) { return cancel != nullptr && cancel->load(std::memory_order_relaxed); }

int trials_for(int k) { return 2 + static_cast<int>(std::log(static_cast<double>(k))); }

// The uniform numbers dinov3::kmeans_plus_plus draws for one seed, in its order: one for the
// first centre, then `trials` per further centre.
void draw_uniforms(uint64_t seed, int k, double* out) {
  Rng rng(seed);
  const int count = 1 + (k - 1) * trials_for(k);
  for (int i = 0; i < count; ++i) out[i] = rng.uniform();
}

// The per-restart seed of dinov3::kmeans (native/core/kmeans.cc).
uint64_t restart_seed(uint64_t seed, int run) {
  return seed * 0x100000001b3ull + static_cast<uint64_t>(run) * 0x9e3779b97f4a7c15ull;
}

int current_device() {
  int device = 0;
  check_cuda(cudaGetDevice(&device), "cudaGetDevice");
  return device;
}

// Holds a plan for one call. If the call fails after queuing work, the stream is drained before
// the plan is freed, so no queued kernel outlives its buffers.
class PlanLease {
 public:
  PlanLease(const km::PlanKey& key, cudaStream_t stream) : plan_(km::acquire_plan(key)), stream_(stream) {}
  ~PlanLease() {
    if (!plan_) return;
    if (queued_) {
      cudaStreamSynchronize(stream_);
      (void)cudaGetLastError();
      plan_.reset();  // state unknown after a failure: do not reuse
      return;
    }
    km::release_plan(std::move(plan_));
  }
  Plan& operator*() { return *plan_; }
  Plan* operator->() { return plan_.get(); }
  void queued(bool q) { queued_ = q; }

 private:
  std::unique_ptr<Plan> plan_;
  cudaStream_t stream_;
  bool queued_ = false;
};

km::PlanKey key_for(const DeviceMatrix& x, int k, int max_iterations) {
  km::PlanKey key;
  key.device = current_device();
  key.dtype = x.dtype;
  key.rows = x.rows;
  key.dim = x.dim;
  key.k = k;
  key.iterations_per_graph = km::iterations_per_graph(max_iterations);
  key.dense = km::dense_accumulation(x.rows, x.dim, k);
  // Forcing the atomic accumulation (testing) means the graph path, which alone has it.
  key.persistent = !km::atomic_forced() && km::forced_path() != 1 && !km::persistent_refused(key.device);
  key.cache = km::forced_path() != 2;
  key.stage = km::forced_path() != 3;
  return key;
}

void fill_call(KmCall& call, const DeviceMatrix& x, const KMeansOptions& o, const double* uniforms) {
  call.x = x.data;
  call.stride = x.stride;
  call.vec = vector_loads_ok(x) ? 1 : 0;
  call.stop_at_convergence = o.stop_at_convergence ? 1 : 0;
  call.max_iterations = o.max_iterations;
  call.uniforms_per_run = 1 + (o.k - 1) * trials_for(o.k);
  call.uniforms = uniforms;
  call.tolerance = o.tolerance;
}

[[noreturn]] void fail_non_finite(const DeviceMatrix& x, unsigned long long index, cudaStream_t stream) {
  const int64_t row = static_cast<int64_t>(index / x.dim), col = static_cast<int64_t>(index % x.dim);
  const size_t esize = element_bytes(x.dtype);
  const char* at = static_cast<const char*>(x.data) + (row * x.stride + col) * esize;
  uint32_t bits = 0;
  const bool read = cudaMemcpyAsync(&bits, at, esize, cudaMemcpyDeviceToHost, stream) == cudaSuccess &&
                    cudaStreamSynchronize(stream) == cudaSuccess;
  // NaN: all-ones exponent with a non-zero mantissa (fp32 0x7f800000 / fp16 0x7c00).
  const bool nan = read && (esize == 4 ? (bits & 0x7fffffffu) > 0x7f800000u : (bits & 0x7fffu) > 0x7c00u);
  fail(codes::kInvalidFeatures, std::string("features contain a non-finite value (") +
                                    (read ? (nan ? "NaN" : "Inf") : "NaN or Inf") + ") at row " +
                                    std::to_string(row) + ", column " + std::to_string(col));
}

// Thrown when the driver refuses the persistent kernel's cooperative launch (nothing of that run
// was queued); the call is then redone on the graph path.
struct PersistentRefused {};

void launch_persistent_or_throw(Plan& plan, int run, int mode, cudaStream_t stream) {
  if (!plan.launch_persistent(run, mode, stream)) throw PersistentRefused{};
}

// Runs `attempt` and, if the persistent launch was refused, marks the device and runs it again
// (the plan key then selects the graph path).
template <typename F>
auto with_fallback(F&& attempt) -> decltype(attempt()) {
  try {
    return attempt();
  } catch (const PersistentRefused&) {
    km::mark_persistent_refused(current_device());
  }
  return attempt();
}

KMeansResult kmeans_attempt(const DeviceMatrix& x, const KMeansOptions& options, Stream stream,
                            const std::atomic<bool>* cancel) {
  const auto s = static_cast<cudaStream_t>(stream);
  const int k = options.k;
  const size_t centroid_values = static_cast<size_t>(k) * x.dim;
  const bool warm = options.initial_centroids != nullptr;
  if (cancelled(cancel)) fail(codes::kAborted, "k-means was cancelled");

  PlanLease plan(key_for(x, k, options.max_iterations), s);
  last_path = plan->path_name();
  const int runs = warm ? 1 : options.restarts;  // a warm start is one run, as on the CPU
  const int per_run = 1 + (k - 1) * trials_for(k);
  const size_t n_uniforms = warm ? 0 : static_cast<size_t>(runs) * per_run;
  if (!warm) {
    double* uniforms = plan->host_uniforms(n_uniforms);  // pinned: the upload below is asynchronous
    for (int run = 0; run < runs; ++run)
      draw_uniforms(restart_seed(options.seed, run), k, uniforms + static_cast<size_t>(run) * per_run);
  }
  fill_call(*plan->host_call(), x, options, warm ? nullptr : plan->device_uniforms());
  const km::KmBuffers& b = plan->buffers();

  plan.queued(true);
  plan->upload_call(s);
  if (warm) {
    // Pageable source: cudaMemcpyAsync has staged it before it returns.
    check_cuda(cudaMemcpyAsync(b.centroids, options.initial_centroids, centroid_values * sizeof(float),
                               cudaMemcpyHostToDevice, s),
               "initial centroids upload");
  } else {
    plan->upload_uniforms(n_uniforms, s);
  }
  km::enqueue_call_prep(b, x, plan->stats(), plan->stats_chunks(), options.tolerance > 0, s);
  const int graphs_per_run = (options.max_iterations + plan->key().iterations_per_graph - 1) /
                             plan->key().iterations_per_graph;
  for (int run = 0; run < runs; ++run) {
    if (cancelled(cancel)) fail(codes::kAborted, "k-means was cancelled");
    if (plan->persistent()) {
      launch_persistent_or_throw(*plan, run, warm ? km::kPersistWarm : km::kPersistSeeded, s);
    } else {
      if (!warm) plan->launch_seeding(s);
      plan->launch_run_start(s);
      for (int g = 0; g < graphs_per_run; ++g) plan->launch_iterations(s);
      plan->launch_run_finish(s);
    }
    if (cancel != nullptr && run + 1 < runs) check_cuda(cudaStreamSynchronize(s), "k-means synchronise");
  }
  plan->download_result(s);
  plan.queued(false);
  record_profile(*plan, k, !warm, s);

  const km::KmResultHeader& header = plan->result_header();
  if (header.bad_index != ~0ull) fail_non_finite(x, header.bad_index, s);
  KMeansResult result;
  result.labels.assign(plan->result_labels(), plan->result_labels() + x.rows);
  result.centroids.assign(plan->result_centroids(), plan->result_centroids() + centroid_values);
  result.inertia = header.inertia;
  result.iterations = header.iterations;
  result.converged = header.converged != 0;
  return result;
}

}  // namespace

KMeansResult kmeans(const DeviceMatrix& x, const KMeansOptions& options, Stream stream,
                    const std::atomic<bool>* cancel) {
  check_matrix(x, "features");
  check_options(x.rows, options);
  require_device();
  const size_t centroid_values = static_cast<size_t>(options.k) * x.dim;
  if (options.initial_centroids != nullptr) {
    for (size_t i = 0; i < centroid_values; ++i)
      require(std::isfinite(options.initial_centroids[i]), codes::kInvalidFeatures,
              "initial centroids contain NaN or Inf");
  }
  return with_fallback([&] { return kmeans_attempt(x, options, stream, cancel); });
}

double assign_nearest(const DeviceMatrix& x, const float* host_centroids, int k, int32_t* device_labels,
                      Stream stream) {
  check_matrix(x, "features");
  require(host_centroids != nullptr && k >= 1, codes::kInvalidArgument, "assign_nearest needs at least one centroid");
  require(device_labels != nullptr, codes::kInvalidArgument, "assign_nearest: no label buffer");
  require_device();
  const auto s = static_cast<cudaStream_t>(stream);
  const size_t centroid_values = static_cast<size_t>(k) * x.dim;
  ScratchLayout layout;
  const size_t call_at = layout.add<KmCall>(1);
  const size_t centroids_at = layout.add<float>(centroid_values);
  const size_t c_sq_at = layout.add<float>(k);
  const size_t row_sq_at = layout.add<float>(x.rows);
  const size_t distance_at = layout.add<float>(x.rows);
  const size_t total_at = layout.add<double>(1);
  StreamScratch scratch(layout.bytes(), s);

  KmCall call;
  call.x = x.data;
  call.stride = x.stride;
  call.vec = vector_loads_ok(x) ? 1 : 0;
  km::KmBuffers b{};
  b.call = scratch.at<KmCall>(call_at);
  b.centroids = scratch.at<float>(centroids_at);
  b.c_sq = scratch.at<float>(c_sq_at);
  b.row_sq = scratch.at<float>(row_sq_at);
  b.distance = scratch.at<float>(distance_at);
  b.labels = device_labels;
  b.rows = x.rows;
  b.dim = x.dim;
  b.k = k;
  b.assign_blocks = static_cast<int>((x.rows + km::kAssignTileRows - 1) / km::kAssignTileRows);
  check_cuda(cudaMemcpyAsync(const_cast<KmCall*>(b.call), &call, sizeof call, cudaMemcpyHostToDevice, s),
             "assign_nearest upload");
  check_cuda(cudaMemcpyAsync(b.centroids, host_centroids, centroid_values * sizeof(float), cudaMemcpyHostToDevice, s),
             "assign_nearest centroids upload");
  enqueue_row_scan(x, b.row_sq, nullptr, s);
  km::enqueue_centroid_norms(b.centroids, k, x.dim, b.c_sq, s);
  double* total = scratch.at<double>(total_at);
  km::enqueue_public_assign(b, x.dtype, total, s);
  double result = 0;
  check_cuda(cudaMemcpyAsync(&result, total, sizeof result, cudaMemcpyDeviceToHost, s), "assign_nearest download");
  check_cuda(cudaStreamSynchronize(s), "assign_nearest synchronise");
  return result;
}

namespace testing {

namespace {

std::vector<float> kmeans_plus_plus_attempt(const DeviceMatrix& x, const KMeansOptions& o, uint64_t seed,
                                            Stream stream) {
  const int k = o.k;
  const auto s = static_cast<cudaStream_t>(stream);
  PlanLease plan(key_for(x, k, o.max_iterations), s);
  last_path = plan->path_name();
  const size_t n_uniforms = 1 + static_cast<size_t>(k - 1) * trials_for(k);
  draw_uniforms(seed, k, plan->host_uniforms(n_uniforms));
  fill_call(*plan->host_call(), x, o, plan->device_uniforms());
  const km::KmBuffers& b = plan->buffers();
  plan.queued(true);
  plan->upload_call(s);
  plan->upload_uniforms(n_uniforms, s);
  km::enqueue_call_prep(b, x, plan->stats(), plan->stats_chunks(), false, s);  // run = 0; no Lloyd
  if (plan->persistent()) {
    launch_persistent_or_throw(*plan, 0, km::kPersistSeedOnly, s);
  } else {
    plan->launch_seeding(s);
  }
  std::vector<float> centroids(static_cast<size_t>(k) * x.dim);
  check_cuda(cudaMemcpyAsync(centroids.data(), b.centroids, centroids.size() * sizeof(float), cudaMemcpyDeviceToHost, s),
             "seeding download");
  check_cuda(cudaStreamSynchronize(s), "seeding synchronise");
  plan.queued(false);
  record_profile(*plan, k, true, s);
  return centroids;
}

}  // namespace

std::vector<float> kmeans_plus_plus(const DeviceMatrix& x, int k, uint64_t seed, Stream stream) {
  check_matrix(x, "features");
  KMeansOptions o;
  o.k = k;
  check_options(x.rows, o);
  require_device();
  return with_fallback([&] { return kmeans_plus_plus_attempt(x, o, seed, stream); });
}

void force_kmeans_atomic_mode(bool on) { km::set_force_atomic(on); }

void force_kmeans_path(KMeansPath path) { km::set_forced_path(static_cast<int>(path)); }

std::string last_kmeans_path() { return last_path; }

void set_kmeans_profiling(bool on) { km::set_profiling(on); }

KMeansProfile last_kmeans_profile() { return last_profile; }

KMeansDeviceSupport kmeans_device_support() {
  KMeansDeviceSupport out;
  const int device = current_device();
  int coop = 0;
  check_cuda(cudaDeviceGetAttribute(&coop, cudaDevAttrCooperativeLaunch, device), "cudaDeviceGetAttribute");
  check_cuda(cudaDeviceGetAttribute(&out.multiprocessors, cudaDevAttrMultiProcessorCount, device),
             "cudaDeviceGetAttribute");
  check_cuda(cudaDeviceGetAttribute(&out.shared_per_block_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device),
             "cudaDeviceGetAttribute");
  out.cooperative_launch = coop != 0;
  return out;
}

}  // namespace testing
}  // namespace dinov3::cuda
