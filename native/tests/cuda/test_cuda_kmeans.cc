#include <algorithm>
#include <atomic>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "check.h"
#include "cuda_api.h"
#include "cuda_test_util.h"
#include "error.h"
#include "kmeans.h"
#include "kmeans_internal.h"
#include "test_data.h"

namespace cu = dinov3::cuda;
using cuda_test::DeviceArray;
using Path = cu::testing::KMeansPath;

namespace {

// Forces a k-means implementation for the scope (kAuto again afterwards).
struct ForcePath {
  explicit ForcePath(Path p) { cu::testing::force_kmeans_path(p); }
  ~ForcePath() { cu::testing::force_kmeans_path(Path::kAuto); }
  ForcePath(const ForcePath&) = delete;
  ForcePath& operator=(const ForcePath&) = delete;
};

struct NamedPath {
  Path path;
  const char* name;
};
// Automatic (the persistent kernel with the rows in shared memory where they fit), the graph
// path, and the persistent kernel reading the rows from global memory.
constexpr NamedPath kPaths[] = {
    {Path::kAuto, "auto"}, {Path::kGraphs, "graphs"}, {Path::kPersistentUncached, "persistent, uncached"}};
// The persistent kernel without the shared-memory staging of centroids and trial rows (what it
// does when they do not fit); covered by the seeding tests and a few end-to-end cases.
constexpr NamedPath kUnstaged = {Path::kPersistentUnstaged, "persistent, unstaged"};
constexpr NamedPath kSeedPaths[] = {kPaths[0], kPaths[1], kPaths[2], kUnstaged};

// GPU vs CPU on the same values: inertia within 1e-3 relative, >= 99% of labels equal (the
// seeding is identical, so cluster ids correspond).
void expect_like_cpu(const cuda_test::Features& f, const dinov3::KMeansOptions& o, const std::string& what) {
  const auto cpu = dinov3::kmeans(f.cpu_view(), o);
  const auto gpu = cu::kmeans(f.view, o, nullptr);
  const double rel = cuda_test::relative_difference(gpu.inertia, cpu.inertia);
  const double agree = cuda_test::agreement(gpu.labels, cpu.labels);
  std::printf("  %s [%s]: inertia gpu %.6g cpu %.6g (rel %.2g), labels agree %.4f, iterations gpu %d cpu %d\n",
              what.c_str(), cu::testing::last_kmeans_path().c_str(), gpu.inertia, cpu.inertia, rel, agree,
              gpu.iterations, cpu.iterations);
  CHECK(rel <= 1e-3);
  CHECK(agree >= 0.99);
  CHECK(gpu.labels.size() == static_cast<size_t>(f.rows));
  CHECK(gpu.centroids.size() == static_cast<size_t>(o.k * f.dim));
  CHECK(gpu.iterations >= 1 && gpu.iterations <= o.max_iterations);
  if (!o.stop_at_convergence) CHECK(gpu.iterations == o.max_iterations);
}

}  // namespace

TEST(cuda_kmeans_seeding_chooses_the_cpu_centres) {
  if (!cuda_test::device_or_skip()) return;
  struct Case {
    int64_t rows, dim;
    int k;
    uint64_t seed;
    bool blobs;
  };
  // Rows not multiples of 32, several 32-row tiles per block (9000, 10000, 40000 rows), more
  // blocks than one update batch covers (4200 rows: 132 one-tile blocks on an H100), k up to 64
  // (6 trials: two passes of 4 trials over the columns), dims not multiples of 4.
  const Case cases[] = {{4096, 64, 8, 7, true},   {3000, 48, 8, 1, false},   {1000, 33, 5, 3, false},
                        {10000, 16, 20, 11, true}, {64, 7, 64, 5, false},     {40000, 20, 10, 9, true},
                        {2500, 130, 64, 2, false}, {9000, 12, 64, 4, true},   {4200, 40, 8, 6, false},
                        {777, 5, 2, 8, false},     {300, 9, 1, 2, false}};
  for (const NamedPath& p : kSeedPaths) {
    ForcePath force(p.path);
    for (const Case& c : cases) {
      const auto x =
          c.blobs ? testdata::blobs(c.rows, c.dim, c.k, c.seed) : testdata::uniform(c.rows * c.dim, c.seed);
      for (auto type : {cu::DType::kFloat32, cu::DType::kFloat16}) {
        const auto f = cuda_test::upload(x, c.rows, c.dim, type);
        std::vector<float> cpu(static_cast<size_t>(c.k) * c.dim);
        dinov3::kmeans_plus_plus(f.cpu_view(), c.k, c.seed, cpu.data());
        const auto gpu = cu::testing::kmeans_plus_plus(f.view, c.k, c.seed, nullptr);
        if (gpu != cpu)
          std::printf("  seeding differs: %s [%s] %lldx%lld k=%d %s\n", p.name, cu::testing::last_kmeans_path().c_str(),
                      static_cast<long long>(c.rows), static_cast<long long>(c.dim), c.k,
                      type == cu::DType::kFloat16 ? "fp16" : "fp32");
        CHECK(gpu == cpu);
      }
    }
  }
}

// Degenerate potentials: only three distinct rows, k = 6. After three centres every distance
// is 0, the targets are 0, and the CPU takes row 0 (first cumulative sum >= 0) for every trial
// and the first trial (equal potentials); the device must do the same, in every block layout.
TEST(cuda_kmeans_seeding_with_zero_potential) {
  if (!cuda_test::device_or_skip()) return;
  const int64_t rows = 2050, dim = 6;
  const auto base = testdata::uniform(3 * dim, 31);
  std::vector<float> x(static_cast<size_t>(rows * dim));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t d = 0; d < dim; ++d) x[r * dim + d] = base[(r * 7 % 3) * dim + d];
  for (const NamedPath& p : kSeedPaths) {
    ForcePath force(p.path);
    for (auto type : {cu::DType::kFloat32, cu::DType::kFloat16}) {
      const auto f = cuda_test::upload(x, rows, dim, type);
      for (uint64_t seed : {1u, 2u, 3u}) {
        std::vector<float> cpu(6 * dim);
        dinov3::kmeans_plus_plus(f.cpu_view(), 6, seed, cpu.data());
        const auto gpu = cu::testing::kmeans_plus_plus(f.view, 6, seed, nullptr);
        if (gpu != cpu)
          std::printf("  zero-potential seeding differs: %s seed %llu\n", p.name, static_cast<unsigned long long>(seed));
        CHECK(gpu == cpu);
      }
      dinov3::KMeansOptions o;
      o.k = 6;
      o.seed = 4;
      const auto cpu = dinov3::kmeans(f.cpu_view(), o);
      const auto gpu = cu::kmeans(f.view, o, nullptr);
      CHECK(cuda_test::relative_difference(gpu.inertia, cpu.inertia) <= 1e-5 ||
            std::fabs(gpu.inertia - cpu.inertia) < 1e-6);
      CHECK(gpu.labels.size() == static_cast<size_t>(rows));
    }
  }
}

void random_data_cases() {
  dinov3::KMeansOptions o;
  o.k = 8;
  o.seed = 7;
  const auto blobs = testdata::blobs(4096, 64, 8, 3);
  const auto noise = testdata::uniform(3000 * 48, 9);
  expect_like_cpu(cuda_test::upload(blobs, 4096, 64), o, "blobs 4096x64 fp32");
  expect_like_cpu(cuda_test::upload(noise, 3000, 48), o, "uniform 3000x48 fp32");
  expect_like_cpu(cuda_test::upload(noise, 3000, 48, cu::DType::kFloat16), o, "uniform 3000x48 fp16");
  expect_like_cpu(cuda_test::upload(noise, 1000, 144, cu::DType::kFloat32, 150, 3), o, "strided 1000x144 fp32");
  expect_like_cpu(cuda_test::upload(noise, 1001, 141, cu::DType::kFloat16, 141, 1), o, "odd 1001x141 fp16");
  o.restarts = 3;
  o.k = 5;
  expect_like_cpu(cuda_test::upload(noise, 3000, 48), o, "3 restarts k=5");
  o.restarts = 1;
  o.k = 8;
  o.stop_at_convergence = false;
  o.tolerance = 0;
  o.max_iterations = 30;
  expect_like_cpu(cuda_test::upload(noise, 3000, 48), o, "fixed 30 iterations");
  o.stop_at_convergence = true;
  o.tolerance = 1e-4;
  o.k = 70;  // more than one tile of 8 centroids and 2 + ln k = 6 seeding trials
  o.max_iterations = 50;
  expect_like_cpu(cuda_test::upload(noise, 3000, 48), o, "k=70");
}

TEST(cuda_kmeans_matches_cpu_on_random_data) {
  if (!cuda_test::device_or_skip()) return;
  for (const NamedPath& p : kPaths) {
    std::printf("  -- %s\n", p.name);
    ForcePath force(p.path);
    random_data_cases();
  }
}

// The per-block partial sums and their reduction (persistent kernel: 128-column update units,
// dim padded to 4; graph path: 32-column chunks) for k up to 64 and dims that are not multiples
// of 32 or of 4, several 32-row tiles per block (40000 rows), and more blocks than one batch of
// the persistent update's loads covers (4200 rows).
TEST(cuda_kmeans_partial_sums_for_many_clusters_and_odd_dims) {
  if (!cuda_test::device_or_skip()) return;
  struct Case {
    int64_t rows, dim;
    int k;
    cu::DType type;
    int64_t stride, offset;
    bool fixed;  // exactly max_iterations iterations
  };
  const Case cases[] = {
      {3000, 77, 64, cu::DType::kFloat32, 0, 0, false},  {2000, 45, 40, cu::DType::kFloat16, 47, 1, false},
      {2500, 130, 64, cu::DType::kFloat32, 0, 0, true},  {1500, 7, 5, cu::DType::kFloat32, 9, 2, false},
      {40000, 20, 10, cu::DType::kFloat32, 0, 0, false}, {40000, 20, 10, cu::DType::kFloat16, 0, 0, true},
      {2100, 1000, 17, cu::DType::kFloat32, 0, 0, true},
      {4200, 40, 8, cu::DType::kFloat32, 0, 0, true},  // 132 one-tile blocks on an H100: two update batches
  };
  for (const NamedPath& p : kPaths) {
    ForcePath force(p.path);
    for (const Case& c : cases) {
      const auto x = testdata::blobs(c.rows, c.dim, c.k, 17);
      dinov3::KMeansOptions o;
      o.k = c.k;
      o.seed = 5;
      if (c.fixed) {
        o.stop_at_convergence = false;
        o.tolerance = 0;
        o.max_iterations = 12;
      }
      expect_like_cpu(cuda_test::upload(x, c.rows, c.dim, c.type, c.stride, c.offset), o,
                      std::string(p.name) + " " + std::to_string(c.rows) + "x" + std::to_string(c.dim) +
                          " k=" + std::to_string(c.k) + (c.type == cu::DType::kFloat16 ? " fp16" : " fp32"));
    }
  }
}

// The persistent kernel reading the centroids and k-means++ trial rows from global memory (its
// fallback when they do not fit in shared memory): the same results as the CPU, fp32 / fp16,
// strided rows (scalar loads), odd dims, k = 64, more blocks than one update batch.
TEST(cuda_kmeans_unstaged_persistent_matches_cpu) {
  if (!cuda_test::device_or_skip()) return;
  ForcePath force(kUnstaged.path);
  struct Case {
    int64_t rows, dim;
    int k;
    cu::DType type;
    int64_t stride, offset;
  };
  const Case cases[] = {{3000, 77, 64, cu::DType::kFloat32, 0, 0},
                        {2000, 45, 40, cu::DType::kFloat16, 47, 1},
                        {4200, 64, 8, cu::DType::kFloat32, 0, 0},
                        {1500, 130, 5, cu::DType::kFloat16, 0, 0}};
  for (const Case& c : cases) {
    const auto x = testdata::blobs(c.rows, c.dim, c.k, 19);
    dinov3::KMeansOptions o;
    o.k = c.k;
    o.seed = 3;
    expect_like_cpu(cuda_test::upload(x, c.rows, c.dim, c.type, c.stride, c.offset), o,
                    std::string(kUnstaged.name) + " " + std::to_string(c.rows) + "x" + std::to_string(c.dim) +
                        " k=" + std::to_string(c.k) + (c.type == cu::DType::kFloat16 ? " fp16" : " fp32"));
  }
  const auto noise = testdata::uniform(2000 * 32, 4);
  const auto f = cuda_test::upload(noise, 2000, 32);
  dinov3::KMeansOptions o;
  o.k = 6;
  o.restarts = 2;
  const auto a = cu::kmeans(f.view, o, nullptr), b = cu::kmeans(f.view, o, nullptr);
  CHECK(a.labels == b.labels);
  CHECK(a.centroids == b.centroids);
  CHECK(a.inertia == b.inertia);
}

// The profiling hook: per-phase times that add up to the kernel's time, one row per seeding
// centre and Lloyd iteration; off again afterwards (no profile recorded).
TEST(cuda_kmeans_profile_hook) {
  if (!cuda_test::device_or_skip()) return;
  const auto x = testdata::blobs(4096, 64, 8, 23);
  const auto f = cuda_test::upload(x, 4096, 64);
  dinov3::KMeansOptions o;
  o.k = 8;
  o.stop_at_convergence = false;
  o.tolerance = 0;
  o.max_iterations = 12;
  cu::testing::set_kmeans_profiling(true);
  const auto r = cu::kmeans(f.view, o, nullptr);
  const cu::testing::KMeansProfile prof = cu::testing::last_kmeans_profile();
  cu::testing::set_kmeans_profiling(false);
  CHECK(r.iterations == 12);
  if (cu::testing::last_kmeans_path().rfind("persistent", 0) == 0) {
    CHECK(prof.valid);
    CHECK(prof.iterations == 12);
    CHECK(prof.k == 8);
    CHECK(prof.grid >= 1);
    CHECK(prof.phases.size() == prof.block0_us.size());
    CHECK(prof.centre_us.size() == 8);
    CHECK(prof.iteration_us.size() == 12);
    CHECK(prof.ns_per_cycle > 0.05 && prof.ns_per_cycle < 20.0);
    double sum = 0;
    for (size_t i = 0; i < prof.block0_us.size(); ++i) {
      CHECK(prof.block0_us[i] >= 0 && prof.mean_us[i] >= 0 && prof.max_us[i] + 1e-9 >= prof.mean_us[i]);
      sum += prof.block0_us[i];
    }
    std::printf("  profile: kernel %.1f us, phases of block 0 add up to %.1f us, %.3f ns per cycle\n", prof.kernel_us,
                sum, prof.ns_per_cycle);
    CHECK(std::fabs(sum - prof.kernel_us) <= 0.05 * prof.kernel_us + 5.0);
    for (const auto& row : prof.iteration_us)
      for (double v : row) CHECK(v >= 0 && v <= prof.kernel_us + 1.0);
  }
  cu::kmeans(f.view, o, nullptr);
  CHECK(!cu::testing::last_kmeans_profile().valid);
}

// The benchmark's shape (4096 x 1024, k = 8): where the device supports cooperative launches the
// automatic choice is the persistent kernel, with the rows in shared memory on an H100 / H200.
TEST(cuda_kmeans_benchmark_shape_uses_the_persistent_kernel) {
  if (!cuda_test::device_or_skip()) return;
  const auto x = testdata::blobs(4096, 1024, 8, 23);
  for (auto type : {cu::DType::kFloat32, cu::DType::kFloat16}) {
    dinov3::KMeansOptions o;
    o.k = 8;
    o.stop_at_convergence = false;
    o.tolerance = 0;
    o.max_iterations = 10;
    expect_like_cpu(cuda_test::upload(x, 4096, 1024, type), o,
                    std::string("4096x1024 k=8 ") + (type == cu::DType::kFloat16 ? "fp16" : "fp32"));
    const std::string path = cu::testing::last_kmeans_path();
    const cu::testing::KMeansDeviceSupport support = cu::testing::kmeans_device_support();
    std::printf("  device: cooperative launch %d, %d SMs, %d KB shared memory per block\n",
                support.cooperative_launch ? 1 : 0, support.multiprocessors, support.shared_per_block_optin >> 10);
    if (support.cooperative_launch) CHECK(path.rfind("persistent", 0) == 0);
    if (support.cooperative_launch && support.multiprocessors >= 128 && support.shared_per_block_optin >= 160 * 1024)
      CHECK(path == "persistent, rows in shared memory");
  }
}

TEST(cuda_kmeans_atomic_accumulation_mode_matches_cpu) {
  if (!cuda_test::device_or_skip()) return;
  cu::testing::force_kmeans_atomic_mode(true);
  dinov3::KMeansOptions o;
  o.k = 8;
  const auto noise = testdata::uniform(3000 * 48, 21);
  expect_like_cpu(cuda_test::upload(noise, 3000, 48), o, "atomic mode fp32");
  expect_like_cpu(cuda_test::upload(noise, 3000, 48, cu::DType::kFloat16), o, "atomic mode fp16");
  cu::testing::force_kmeans_atomic_mode(false);
}

TEST(cuda_kmeans_is_deterministic) {
  if (!cuda_test::device_or_skip()) return;
  const auto noise = testdata::uniform(2000 * 32, 4);
  const auto f = cuda_test::upload(noise, 2000, 32);
  dinov3::KMeansOptions o;
  o.k = 6;
  o.restarts = 2;
  for (const NamedPath& p : kPaths) {
    ForcePath force(p.path);
    const auto a = cu::kmeans(f.view, o, nullptr), b = cu::kmeans(f.view, o, nullptr);
    CHECK(a.labels == b.labels);
    CHECK(a.centroids == b.centroids);
    CHECK(a.inertia == b.inertia);
    CHECK(a.iterations == b.iterations);
  }
}

TEST(cuda_kmeans_inertia_matches_labels_and_centroids) {
  if (!cuda_test::device_or_skip()) return;
  const int64_t rows = 500, dim = 16;
  const auto x = testdata::uniform(rows * dim, 5);
  const auto f = cuda_test::upload(x, rows, dim);
  dinov3::KMeansOptions o;
  o.k = 4;
  for (const NamedPath& p : kPaths) {
    ForcePath force(p.path);
    const auto r = cu::kmeans(f.view, o, nullptr);
    double inertia = 0;
    for (int64_t i = 0; i < rows; ++i) {
      double best = 1e300;
      int best_c = -1;
      for (int c = 0; c < 4; ++c) {
        double d2 = 0;
        for (int64_t d = 0; d < dim; ++d) {
          const double e = double(x[i * dim + d]) - r.centroids[c * dim + d];
          d2 += e * e;
        }
        if (d2 < best) best = d2, best_c = c;
      }
      CHECK(best_c == r.labels[i]);
      inertia += best;
    }
    CHECK_NEAR(r.inertia, inertia, 1e-6 * inertia);
  }
}

void warm_start_cases() {
  const auto x = testdata::blobs(600, 8, 3, 4);
  const auto f = cuda_test::upload(x, 600, 8);
  dinov3::KMeansOptions o;
  o.k = 3;
  const auto first = dinov3::kmeans(f.cpu_view(), o);
  o.initial_centroids = first.centroids.data();
  o.restarts = 4;  // ignored with a warm start, as on the CPU
  const auto again = cu::kmeans(f.view, o, nullptr);
  CHECK(again.iterations <= 2);
  CHECK(again.labels == first.labels);
  CHECK(cuda_test::relative_difference(again.inertia, first.inertia) <= 1e-6);
  // From other starting centres: the same result as the CPU from them.
  const auto noise = testdata::uniform(1500 * 24, 8);
  const auto g = cuda_test::upload(noise, 1500, 24);
  std::vector<float> init(noise.begin(), noise.begin() + 6 * 24);
  o.k = 6;
  o.initial_centroids = init.data();
  expect_like_cpu(g, o, "warm start k=6");
  std::vector<float> bad = init;
  bad[5] = NAN;
  o.initial_centroids = bad.data();
  CHECK_THROWS_CODE(cu::kmeans(g.view, o, nullptr), "ERR_DINO_INVALID_FEATURES");
}

TEST(cuda_kmeans_warm_start) {
  if (!cuda_test::device_or_skip()) return;
  for (const NamedPath& p : kPaths) {
    std::printf("  -- %s\n", p.name);
    ForcePath force(p.path);
    warm_start_cases();
  }
}

TEST(cuda_kmeans_repairs_empty_clusters_like_cpu) {
  if (!cuda_test::device_or_skip()) return;
  const int64_t rows = 200, dim = 4;
  const auto x = testdata::blobs(rows, dim, 4, 13);
  const auto f = cuda_test::upload(x, rows, dim);
  std::vector<float> init(4 * dim, 1000.0f);  // four identical far-away starts: three empty clusters
  dinov3::KMeansOptions o;
  o.k = 4;
  o.initial_centroids = init.data();
  // Which rows count as farthest from the far-away centre is decided at float rounding (all
  // distances are near 4e6), so cluster ids may differ from the CPU's: compare partitions.
  const auto cpu = dinov3::kmeans(f.cpu_view(), o);
  for (const NamedPath& p : kPaths) {
    ForcePath force(p.path);
    for (bool atomic : {false, true}) {
      cu::testing::force_kmeans_atomic_mode(atomic);
      const auto r = cu::kmeans(f.view, o, nullptr);
      std::printf("  %s [%s]: inertia gpu %.6g cpu %.6g\n", p.name, cu::testing::last_kmeans_path().c_str(),
                  r.inertia, cpu.inertia);
      CHECK(std::set<int>(r.labels.begin(), r.labels.end()).size() == 4);
      CHECK(cuda_test::partition_agreement(r.labels, cpu.labels, 4) >= 0.99);
      CHECK(cuda_test::relative_difference(r.inertia, cpu.inertia) <= 1e-3);
    }
    cu::testing::force_kmeans_atomic_mode(false);
  }
}

TEST(cuda_kmeans_k_equal_rows_and_k_one) {
  if (!cuda_test::device_or_skip()) return;
  const auto x = testdata::uniform(10 * 3, 2);
  const auto f = cuda_test::upload(x, 10, 3);
  for (const NamedPath& p : kPaths) {
    ForcePath force(p.path);
    dinov3::KMeansOptions o;
    o.k = 10;
    const auto r = cu::kmeans(f.view, o, nullptr);
    CHECK_NEAR(r.inertia, 0.0, 1e-9);
    CHECK(std::set<int>(r.labels.begin(), r.labels.end()).size() == 10);
    o.k = 1;
    expect_like_cpu(f, o, std::string(p.name) + " k=1");
  }
}

TEST(cuda_kmeans_rejects_bad_input) {
  // Argument checks need no device.
  static float fake[60];
  const cu::DeviceMatrix x{fake, cu::DType::kFloat32, 20, 3, 3};
  dinov3::KMeansOptions o;
  o.k = 21;
  CHECK_THROWS_CODE(cu::kmeans(x, o, nullptr), "ERR_DINO_INVALID_ARGUMENT");
  o.k = 0;
  CHECK_THROWS_CODE(cu::kmeans(x, o, nullptr), "ERR_DINO_INVALID_ARGUMENT");
  o.k = 2;
  o.max_iterations = 0;
  CHECK_THROWS_CODE(cu::kmeans(x, o, nullptr), "ERR_DINO_INVALID_ARGUMENT");
  o.max_iterations = 10;
  o.tolerance = -1;
  CHECK_THROWS_CODE(cu::kmeans(x, o, nullptr), "ERR_DINO_INVALID_ARGUMENT");
  if (!cuda_test::device_or_skip()) return;
  auto data = testdata::uniform(20 * 3, 2);
  data[31] = NAN;
  for (const NamedPath& p : kPaths) {
    ForcePath force(p.path);
    for (auto type : {cu::DType::kFloat32, cu::DType::kFloat16}) {
      const auto f = cuda_test::upload(data, 20, 3, type);
      dinov3::KMeansOptions ok;
      bool threw = false;
      try {
        cu::kmeans(f.view, ok, nullptr);
      } catch (const dinov3::Error& e) {
        threw = std::string(e.code()) == "ERR_DINO_INVALID_FEATURES" &&
                std::string(e.what()).find("row 10, column 1") != std::string::npos &&
                std::string(e.what()).find("NaN") != std::string::npos;
        if (!threw) std::printf("  got %s: %s\n", e.code(), e.what());
      }
      CHECK(threw);
    }
  }
}

TEST(cuda_kmeans_cancel_flag_aborts) {
  if (!cuda_test::device_or_skip()) return;
  const auto x = testdata::uniform(100 * 3, 2);
  const auto f = cuda_test::upload(x, 100, 3);
  dinov3::KMeansOptions o;
  o.restarts = 3;
  for (const NamedPath& p : kPaths) {
    ForcePath force(p.path);
    std::atomic<bool> cancel{true};
    CHECK_THROWS_CODE(cu::kmeans(f.view, o, nullptr, &cancel), "ERR_DINO_ABORTED");
    cancel = false;
    const auto r = cu::kmeans(f.view, o, nullptr, &cancel);  // the plan is reusable afterwards
    CHECK(r.labels.size() == 100);
  }
}

TEST(cuda_assign_nearest_matches_cpu) {
  if (!cuda_test::device_or_skip()) return;
  const auto x = testdata::uniform(3000 * 40, 12);
  const auto centroids = testdata::uniform(7 * 40, 13);
  for (auto type : {cu::DType::kFloat32, cu::DType::kFloat16}) {
    const auto f = cuda_test::upload(x, 3000, 40, type, 44, 4);
    DeviceArray<int32_t> labels(3000);
    const double gpu = cu::assign_nearest(f.view, centroids.data(), 7, labels.get(), nullptr);
    std::vector<int32_t> cpu_labels(3000);
    const double cpu = dinov3::assign_nearest(f.cpu_view(), centroids.data(), 7, cpu_labels.data());
    CHECK(cuda_test::relative_difference(gpu, cpu) <= 1e-5);
    CHECK(cuda_test::agreement(labels.download(), cpu_labels) >= 0.999);
  }
}

TEST(cuda_kmeans_conformance_features) {
  if (!cuda_test::device_or_skip()) return;
  for (const auto& c : cuda_test::conformance_cases()) {
    for (auto type : {cu::DType::kFloat32, cu::DType::kFloat16}) {
      const auto f = cuda_test::upload_patches(c, type);
      for (int k : {2, 3, 5}) {
        dinov3::KMeansOptions o;
        o.k = k;
        std::vector<float> cpu_seed(static_cast<size_t>(k) * f.dim);
        dinov3::kmeans_plus_plus(f.cpu_view(), k, 0, cpu_seed.data());
        CHECK(cu::testing::kmeans_plus_plus(f.view, k, 0, nullptr) == cpu_seed);
        expect_like_cpu(f, o, c.tag + (type == cu::DType::kFloat16 ? " fp16" : " fp32") + " k=" + std::to_string(k));
        o.restarts = 10;
        expect_like_cpu(f, o, c.tag + " best of 10, k=" + std::to_string(k));
      }
    }
  }
}
