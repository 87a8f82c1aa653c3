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

namespace {

// GPU vs CPU on the same values: inertia within 1e-3 relative, >= 99% of labels equal (the
// seeding is identical, so cluster ids correspond).
void expect_like_cpu(const cuda_test::Features& f, const dinov3::KMeansOptions& o, const std::string& what) {
  const auto cpu = dinov3::kmeans(f.cpu_view(), o);
  const auto gpu = cu::kmeans(f.view, o, nullptr);
  const double rel = cuda_test::relative_difference(gpu.inertia, cpu.inertia);
  const double agree = cuda_test::agreement(gpu.labels, cpu.labels);
  std::printf("  %s: inertia gpu %.6g cpu %.6g (rel %.2g), labels agree %.4f, iterations gpu %d cpu %d\n",
              what.c_str(), gpu.inertia, cpu.inertia, rel, agree, gpu.iterations, cpu.iterations);
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
  const Case cases[] = {{4096, 64, 8, 7, true}, {3000, 48, 8, 1, false}, {1000, 33, 5, 3, false},
                        {10000, 16, 20, 11, true}, {64, 7, 64, 5, false}};
  for (const Case& c : cases) {
    const auto x = c.blobs ? testdata::blobs(c.rows, c.dim, c.k, c.seed) : testdata::uniform(c.rows * c.dim, c.seed);
    for (auto type : {cu::DType::kFloat32, cu::DType::kFloat16}) {
      const auto f = cuda_test::upload(x, c.rows, c.dim, type);
      std::vector<float> cpu(static_cast<size_t>(c.k) * c.dim);
      dinov3::kmeans_plus_plus(f.cpu_view(), c.k, c.seed, cpu.data());
      const auto gpu = cu::testing::kmeans_plus_plus(f.view, c.k, c.seed, nullptr);
      CHECK(gpu == cpu);
    }
  }
}

TEST(cuda_kmeans_matches_cpu_on_random_data) {
  if (!cuda_test::device_or_skip()) return;
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
  const auto a = cu::kmeans(f.view, o, nullptr), b = cu::kmeans(f.view, o, nullptr);
  CHECK(a.labels == b.labels);
  CHECK(a.centroids == b.centroids);
  CHECK(a.inertia == b.inertia);
  CHECK(a.iterations == b.iterations);
}

TEST(cuda_kmeans_inertia_matches_labels_and_centroids) {
  if (!cuda_test::device_or_skip()) return;
  const int64_t rows = 500, dim = 16;
  const auto x = testdata::uniform(rows * dim, 5);
  const auto f = cuda_test::upload(x, rows, dim);
  dinov3::KMeansOptions o;
  o.k = 4;
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

TEST(cuda_kmeans_warm_start) {
  if (!cuda_test::device_or_skip()) return;
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
  for (bool atomic : {false, true}) {
    cu::testing::force_kmeans_atomic_mode(atomic);
    const auto r = cu::kmeans(f.view, o, nullptr);
    CHECK(std::set<int>(r.labels.begin(), r.labels.end()).size() == 4);
    CHECK(cuda_test::partition_agreement(r.labels, cpu.labels, 4) >= 0.99);
    CHECK(cuda_test::relative_difference(r.inertia, cpu.inertia) <= 1e-3);
  }
  cu::testing::force_kmeans_atomic_mode(false);
}

TEST(cuda_kmeans_k_equal_rows_and_k_one) {
  if (!cuda_test::device_or_skip()) return;
  const auto x = testdata::uniform(10 * 3, 2);
  const auto f = cuda_test::upload(x, 10, 3);
  dinov3::KMeansOptions o;
  o.k = 10;
  const auto r = cu::kmeans(f.view, o, nullptr);
  CHECK_NEAR(r.inertia, 0.0, 1e-9);
  CHECK(std::set<int>(r.labels.begin(), r.labels.end()).size() == 10);
  o.k = 1;
  expect_like_cpu(f, o, "k=1");
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

TEST(cuda_kmeans_cancel_flag_aborts) {
  if (!cuda_test::device_or_skip()) return;
  const auto x = testdata::uniform(100 * 3, 2);
  const auto f = cuda_test::upload(x, 100, 3);
  dinov3::KMeansOptions o;
  o.restarts = 3;
  std::atomic<bool> cancel{true};
  CHECK_THROWS_CODE(cu::kmeans(f.view, o, nullptr, &cancel), "ERR_DINO_ABORTED");
  cancel = false;
  const auto r = cu::kmeans(f.view, o, nullptr, &cancel);  // the plan is reusable afterwards
  CHECK(r.labels.size() == 100);
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
