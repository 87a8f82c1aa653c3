// Timings of the CUDA kernels against the memory-bandwidth floor of each shape.
//
//   dinov3_cuda_bench [data.f32]     (or DINOV3_BENCH_DATA=data.f32)
//
// Prints a Markdown table: median microseconds over >= 100 repetitions (CUDA events around each
// call on one stream, after warm-up), the floor = bytes that must move / peak DRAM bandwidth,
// and their ratio. Peak bandwidth comes from the device attributes (2 x memory clock x bus
// width); when those read 0 the H100 SXM figure, 3.35 TB/s, is used; the output says which.
// When a path is given, the 4096 x 1024 fp32 k-means input is written there (raw little-endian,
// row-major) so bench/gpu/kmeans_peers.py can time scikit-learn and PyTorch on the same data.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "color.h"
#include "cuda_api.h"
#include "half.h"
#include "kmeans.h"
#include "kmeans_device.h"
#include "kmeans_internal.h"
#include "test_data.h"

namespace cu = dinov3::cuda;
namespace km = dinov3::cuda::km;

namespace {

constexpr int kReps = 100;
constexpr int kWarmup = 3;

void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) {
    std::fprintf(stderr, "%s: %s\n", what, cudaGetErrorString(err));
    std::exit(1);
  }
}

struct Timing {
  double median_us = 0;
  double wall_median_us = 0;
};

// Median over kReps of the event time around fn() on stream s (fn may synchronise itself).
Timing time_it(cudaStream_t s, const std::function<void()>& fn, int reps = kReps) {
  for (int i = 0; i < kWarmup; ++i) fn();
  check(cudaStreamSynchronize(s), "warm-up");
  cudaEvent_t a, b;
  check(cudaEventCreate(&a), "event");
  check(cudaEventCreate(&b), "event");
  std::vector<double> gpu, wall;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    check(cudaEventRecord(a, s), "record");
    fn();
    check(cudaEventRecord(b, s), "record");
    check(cudaEventSynchronize(b), "sync");
    const auto t1 = std::chrono::steady_clock::now();
    float ms = 0;
    check(cudaEventElapsedTime(&ms, a, b), "elapsed");
    gpu.push_back(ms * 1000.0);
    wall.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  std::sort(gpu.begin(), gpu.end());
  std::sort(wall.begin(), wall.end());
  return {gpu[gpu.size() / 2], wall[wall.size() / 2]};
}

double peak_bandwidth = 0;  // bytes per second
std::string bandwidth_source;

void row(const std::string& kernel, const std::string& shape, const Timing& t, double bytes, const std::string& notes) {
  const double floor_us = bytes / peak_bandwidth * 1e6;
  std::printf("| %s | %s | %.1f | %.1f | %.2f | %s |\n", kernel.c_str(), shape.c_str(), t.median_us, floor_us,
              t.median_us / floor_us, notes.c_str());
  std::fflush(stdout);
}

std::vector<uint8_t> random_bytes(size_t n, uint64_t seed) {
  const auto v = testdata::uniform(static_cast<int64_t>(n), seed, 0.0f, 255.99f);
  std::vector<uint8_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(v[i]);
  return out;
}

template <typename T>
T* upload(const std::vector<T>& host, std::vector<cu::DeviceBuffer>& keep) {
  keep.emplace_back(host.size() * sizeof(T));
  cu::copy_to_device(keep.back().data(), host.data(), host.size() * sizeof(T), nullptr);
  return static_cast<T*>(keep.back().data());
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// Markdown tables of a persistent k-means profile (dinov3::cuda::testing::last_kmeans_profile).
std::string profile_table(const cu::testing::KMeansProfile& p, const std::string& what, const std::string& note) {
  std::string out = "\n### k-means phase profile: " + what + "\n\n";
  if (!p.valid) return out + "no profile (not the persistent kernel, or profiling unavailable); " + note + "\n";
  out += "grid " + std::to_string(p.grid) + " blocks x " + std::to_string(p.tiles_per_block) + " tile(s) of 32 rows, rows " +
         (p.cached ? "in shared memory" : "from global memory") + ", centroids / trial rows " +
         (p.staged ? "staged in shared memory" : "from global memory") + "; kernel " + fmt("%.1f", p.kernel_us) +
         " us (block 0, globaltimer), SM clock " + fmt("%.3f", p.ns_per_cycle > 0 ? 1.0 / p.ns_per_cycle : 0.0) +
         " GHz; " + note + "\n\n";
  const int iters = p.iterations, centres = static_cast<int>(p.centre_us.size());
  out += "| phase | block 0 us | mean over blocks us | max over blocks us | block 0 per iteration / centre us |\n";
  out += "|---|---|---|---|---|\n";
  double total = 0;
  for (size_t i = 0; i < p.phases.size(); ++i) {
    const int ph = static_cast<int>(i);
    const bool seeding = ph >= km::kPfSeedStage && ph <= km::kPfSeedPick;
    const bool lloyd = ph >= km::kPfStage && ph <= km::kPfWaitB;
    std::string per = "";
    if (seeding && centres > 0) per = fmt("%.2f", p.block0_us[i] / centres) + " per centre";
    if (lloyd && iters > 0) per = fmt("%.2f", p.block0_us[i] / iters) + " per iteration";
    out += "| " + p.phases[i] + " | " + fmt("%.1f", p.block0_us[i]) + " | " + fmt("%.1f", p.mean_us[i]) + " | " +
           fmt("%.1f", p.max_us[i]) + " | " + per + " |\n";
    total += p.block0_us[i];
  }
  out += "| **total** | " + fmt("%.1f", total) + " | | | |\n";
  // Seeding per centre (block 0): stage, distances, barrier, pick.
  if (centres > 0) {
    out += "\nk-means++ per centre (block 0, us): stage / distances / barrier / pick / total\n\n| centre | stage | "
           "distances | barrier | pick | total |\n|---|---|---|---|---|---|\n";
    for (int c = 0; c < centres; ++c) {
      const auto& r = p.centre_us[c];
      const double stage = r[km::kPfSeedStage], dist = r[km::kPfSeedDist], wait = r[km::kPfSeedWait],
                   pick = r[km::kPfSeedPick];
      out += "| " + std::to_string(c) + " | " + fmt("%.2f", stage) + " | " + fmt("%.2f", dist) + " | " +
             fmt("%.2f", wait) + " | " + fmt("%.2f", pick) + " | " + fmt("%.2f", stage + dist + wait + pick) + " |\n";
    }
  }
  // Lloyd iterations (block 0): mean / min / max of each phase over the recorded iterations.
  if (!p.iteration_us.empty()) {
    out += "\nLloyd iterations (block 0, us over " + std::to_string(p.iteration_us.size()) +
           " iterations): mean / min / max\n\n| phase | mean | min | max |\n|---|---|---|---|\n";
    std::vector<double> totals;
    for (const auto& r : p.iteration_us) {
      double t = 0;
      for (double v : r) t += v;
      totals.push_back(t);
    }
    auto stats_row = [&](const std::string& name, const std::vector<double>& v) {
      double mean = 0, lo = 1e300, hi = 0;
      for (double x : v) mean += x / static_cast<double>(v.size()), lo = std::min(lo, x), hi = std::max(hi, x);
      out += "| " + name + " | " + fmt("%.2f", mean) + " | " + fmt("%.2f", lo) + " | " + fmt("%.2f", hi) + " |\n";
    };
    for (size_t i = km::kPfStage; i <= static_cast<size_t>(km::kPfWaitB) && i < p.phases.size(); ++i) {
      std::vector<double> v;
      for (const auto& r : p.iteration_us) v.push_back(r[i]);
      stats_row(p.phases[i], v);
    }
    stats_row("**iteration total**", totals);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const cu::RuntimeInfo info = cu::runtime_info();
  if (!info.available) {
    std::printf("no CUDA device (%s): nothing to time\n", info.reason.c_str());
    return 0;
  }
  int device = 0;
  check(cudaGetDevice(&device), "device");
  int clock_khz = 0, bus_bits = 0;
  cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, device);
  cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, device);
  if (clock_khz > 0 && bus_bits > 0) {
    peak_bandwidth = 2.0 * clock_khz * 1e3 * bus_bits / 8.0;
    bandwidth_source = "device attributes (2 x " + std::to_string(clock_khz / 1000) + " MHz x " +
                       std::to_string(bus_bits) + " bit)";
  } else {
    peak_bandwidth = 3.35e12;
    bandwidth_source = "assumed H100 SXM 3.35 TB/s (device attributes unavailable)";
  }
  int l2 = 0;
  cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, device);
  std::printf("device: %s (sm_%d%d, %d SMs, L2 %d MB), driver %d, runtime %d\n", info.devices[device].name.c_str(),
              info.devices[device].major, info.devices[device].minor, info.devices[device].multiprocessors,
              l2 >> 20, info.driver_version, info.runtime_version);
  std::printf("peak DRAM bandwidth %.2f TB/s from %s\n", peak_bandwidth / 1e12, bandwidth_source.c_str());
  std::printf("floor = bytes that must cross DRAM once / peak bandwidth; inputs smaller than L2 can beat it "
              "when repeated passes hit L2 (ratio < 1)\n\n");
  std::printf("| kernel | shape | median us | floor us | ratio | notes |\n|---|---|---|---|---|---|\n");

  cudaStream_t s;
  check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "stream");
  std::vector<cu::DeviceBuffer> keep;
  const dinov3::Normalization norm;

  // ---- preprocessing ----
  struct Pre {
    cu::FrameFormat format;
    int w, h, ow, oh;
  };
  const Pre pres[] = {{cu::FrameFormat::kRGBA, 1920, 1080, 448, 448},
                      {cu::FrameFormat::kNV12, 1920, 1080, 448, 448},
                      {cu::FrameFormat::kRGBA, 640, 480, 224, 224},
                      {cu::FrameFormat::kNV12, 640, 480, 224, 224}};
  for (const Pre& p : pres) {
    const bool nv12 = p.format == cu::FrameFormat::kNV12;
    cu::DeviceFrame f;
    f.width = p.w;
    f.height = p.h;
    f.format = p.format;
    f.pitch = nv12 ? p.w : static_cast<int64_t>(p.w) * 4;
    f.data = upload(random_bytes(static_cast<size_t>(f.pitch) * p.h, 1), keep);
    double in_bytes = static_cast<double>(f.pitch) * p.h;
    if (nv12) {
      f.uv_pitch = p.w;
      f.uv = upload(random_bytes(static_cast<size_t>(p.w) * (p.h / 2), 2), keep);
      in_bytes += static_cast<double>(p.w) * (p.h / 2);
    }
    for (cu::DType t : {cu::DType::kFloat32, cu::DType::kFloat16}) {
      const size_t esize = t == cu::DType::kFloat16 ? 2 : 4;
      keep.emplace_back(3 * static_cast<size_t>(p.ow) * p.oh * esize);
      void* dst = keep.back().data();
      const Timing tm = time_it(s, [&] { cu::preprocess(f, p.ow, p.oh, norm, dst, t, s); });
      row(std::string("preprocess ") + (nv12 ? "NV12" : "RGBA") + (esize == 2 ? " -> fp16" : " -> fp32"),
          std::to_string(p.w) + "x" + std::to_string(p.h) + " -> 3x" + std::to_string(p.oh) + "x" +
              std::to_string(p.ow),
          tm, in_bytes + 3.0 * p.ow * p.oh * esize, "");
    }
  }

  // ---- similarity ----
  const int64_t rows = 4096, dim = 1024;
  const auto x = testdata::uniform(rows * dim, 42);
  const char* data_path = argc > 1 ? argv[1] : std::getenv("DINOV3_BENCH_DATA");
  if (data_path != nullptr && *data_path != '\0') {
    FILE* out = std::fopen(data_path, "wb");
    if (out == nullptr || std::fwrite(x.data(), sizeof(float), x.size(), out) != x.size()) {
      std::fprintf(stderr, "could not write %s\n", data_path);
      return 1;
    }
    std::fclose(out);
    std::fprintf(stderr, "wrote the 4096x1024 k-means input to %s\n", data_path);
  }
  std::vector<uint16_t> x16(x.size());
  dinov3::floats_to_halves(x.data(), x16.data(), x.size());
  const cu::DeviceMatrix x32{upload(x, keep), cu::DType::kFloat32, rows, dim, dim};
  const cu::DeviceMatrix xh{upload(x16, keep), cu::DType::kFloat16, rows, dim, dim};
  const float* queries = upload(testdata::uniform(8 * dim, 43), keep);
  keep.emplace_back(8 * rows * sizeof(float));
  float* sim = static_cast<float*>(keep.back().data());
  for (int64_t nq : {1, 8}) {
    for (const cu::DeviceMatrix* m : {&x32, &xh}) {
      const double esize = m->dtype == cu::DType::kFloat16 ? 2 : 4;
      const Timing tm = time_it(s, [&] { cu::cosine_similarity(*m, queries, nq, sim, s); });
      row(std::string("cosine similarity ") + (esize == 2 ? "fp16" : "fp32"),
          "4096x1024, " + std::to_string(nq) + (nq == 1 ? " query" : " queries"), tm,
          rows * dim * esize + nq * dim * 4.0 + nq * rows * 4.0, nq == 1 && esize == 4 ? "target <= 20 us" : "");
    }
  }

  // ---- k-means ----
  auto kmeans_rows = [&](const cu::DeviceMatrix& m, int k, int iterations, const std::string& shape) {
    const double esize = m.dtype == cu::DType::kFloat16 ? 2 : 4;
    dinov3::KMeansOptions o;
    o.k = k;
    o.max_iterations = iterations;
    o.tolerance = 0;
    o.stop_at_convergence = false;  // time exactly `iterations` Lloyd iterations
    int ran = 0;
    const Timing fixed = time_it(s, [&] { ran = cu::kmeans(m, o, s).iterations; });
    row(std::string("k-means ") + (esize == 2 ? "fp16" : "fp32"),
        shape + ", k=" + std::to_string(k) + ", " + std::to_string(ran) + " iterations", fixed,
        iterations * m.rows * m.dim * esize,
        "k-means++ seeding + exactly " + std::to_string(ran) + " iterations; wall " +
            std::to_string(static_cast<int>(fixed.wall_median_us)) + " us; floor = one read of X per iteration" +
            (k == 8 && m.rows == 4096 ? "; target <= 1000 us (stretch 300)" : "") + "; path: " +
            cu::testing::last_kmeans_path());
    dinov3::KMeansOptions d;
    d.k = k;
    d.max_iterations = iterations;
    const Timing stop = time_it(s, [&] { ran = cu::kmeans(m, d, s).iterations; });
    row(std::string("k-means ") + (esize == 2 ? "fp16" : "fp32") + " (default: stop at convergence)",
        shape + ", k=" + std::to_string(k) + ", max " + std::to_string(iterations), stop, ran * m.rows * m.dim * esize,
        std::to_string(ran) + " iterations ran");
  };
  kmeans_rows(x32, 8, 50, "4096x1024");
  // Where the time of the persistent kernel goes: one extra, profiled run of a shape (after its
  // timed runs, so the timings above are unaffected); the tables are printed after the main table.
  std::vector<std::string> profile_tables;
  auto profile_run = [&](const cu::DeviceMatrix& m, int k, int iterations, const std::string& what) {
    dinov3::KMeansOptions o;
    o.k = k;
    o.max_iterations = iterations;
    o.tolerance = 0;
    o.stop_at_convergence = false;
    cu::testing::set_kmeans_profiling(true);
    cu::kmeans(m, o, s);
    const auto prof = cu::testing::last_kmeans_profile();
    cu::testing::set_kmeans_profiling(false);
    profile_tables.push_back(profile_table(prof, what, "path: " + cu::testing::last_kmeans_path()));
  };
  profile_run(x32, 8, 50, "4096x1024 fp32, k=8, exactly 50 iterations");
  kmeans_rows(xh, 8, 50, "4096x1024");
  const auto small = testdata::uniform(784 * 768, 44);
  const cu::DeviceMatrix s32{upload(small, keep), cu::DType::kFloat32, 784, 768, 768};
  kmeans_rows(s32, 3, 50, "784x768");
  profile_run(s32, 3, 50, "784x768 fp32, k=3, exactly 50 iterations");
  // The other implementations on the main shape, for comparison (not the default on this device
  // when the path above says "persistent").
  cu::testing::force_kmeans_path(cu::testing::KMeansPath::kPersistentUncached);
  kmeans_rows(x32, 8, 50, "4096x1024 (forced: persistent, rows from global memory)");
  cu::testing::force_kmeans_path(cu::testing::KMeansPath::kPersistentUnstaged);
  kmeans_rows(x32, 8, 50, "4096x1024 (forced: persistent, centroids / trial rows from global memory)");
  cu::testing::force_kmeans_path(cu::testing::KMeansPath::kGraphs);
  kmeans_rows(x32, 8, 50, "4096x1024 (forced: graph path)");
  cu::testing::force_kmeans_path(cu::testing::KMeansPath::kAuto);
  {  // seeding alone (k-means++ for k = 8: 1 + 7 x 4 distance passes), through the testing hook
    const Timing seed = time_it(s, [&] { cu::testing::kmeans_plus_plus(x32, 8, 7, s); });
    row("k-means++ seeding fp32", "4096x1024, k=8", seed, 29.0 * rows * dim * 4,
        "includes the per-call preparation (|x|^2, column statistics) and the centroid download; path: " +
            cu::testing::last_kmeans_path());
  }
  {
    dinov3::KMeansOptions o;
    o.k = 8;
    o.tolerance = 0;
    o.stop_at_convergence = false;
    std::vector<double> times;
    for (int i = 0; i < 3; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      dinov3::kmeans(dinov3::MatrixView{x.data(), rows, dim, dim}, o);
      times.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(times.begin(), times.end());
    std::printf("| k-means CPU core (reference) | 4096x1024, k=8, 50 iterations | %.0f | - | - | wall clock, median "
                "of 3, DINOV3_NUM_THREADS or all cores |\n",
                times[1]);
  }

  // ---- PCA ----
  dinov3::PcaOptions po;
  for (const cu::DeviceMatrix* m : {&x32, &xh}) {
    const double esize = m->dtype == cu::DType::kFloat16 ? 2 : 4;
    const Timing tm = time_it(s, [&] { cu::pca(*m, po, s); });
    row(std::string("PCA ") + (esize == 2 ? "fp16" : "fp32"), "4096x1024, 3 components, 40 iterations", tm,
        2.0 * po.iterations * rows * dim * esize, "floor = two reads of X per subspace iteration");
  }
  // After the main table (which it would split): where the persistent k-means spends its time.
  for (const std::string& t : profile_tables) std::fputs(t.c_str(), stdout);
  std::fflush(stdout);
  cudaStreamDestroy(s);
  return 0;
}
