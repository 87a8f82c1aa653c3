#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>
#include <vector>

#include "check.h"
#include "cuda_api.h"
#include "cuda_test_util.h"
#include "error.h"
#include "pca.h"
#include "test_data.h"

namespace cu = dinov3::cuda;

namespace {

void expect_like_cpu(const cuda_test::Features& f, const dinov3::PcaOptions& o, const std::string& what,
                     int check_axes = -1) {
  const auto cpu = dinov3::pca(f.cpu_view(), o);
  const auto gpu = cu::pca(f.view, o, nullptr);
  const int n = check_axes < 0 ? o.components : check_axes;
  CHECK(gpu.components == o.components);
  CHECK(gpu.axes.size() == cpu.axes.size() && gpu.projections.size() == cpu.projections.size());
  double worst_cos = 1.0;
  for (int c = 0; c < n; ++c) {
    double dot = 0;
    for (int64_t d = 0; d < f.dim; ++d) dot += double(gpu.axes[c * f.dim + d]) * cpu.axes[c * f.dim + d];
    worst_cos = std::min(worst_cos, std::fabs(dot));
    CHECK(cuda_test::relative_difference(gpu.explained_variance[c], cpu.explained_variance[c]) <= 1e-4);
  }
  double mean_diff = 0, scale = 0, proj_diff = 0;
  for (int64_t d = 0; d < f.dim; ++d) mean_diff = std::max(mean_diff, std::fabs(double(gpu.mean[d]) - cpu.mean[d]));
  for (size_t i = 0; i < cpu.projections.size(); ++i) {
    if (static_cast<int>(i % o.components) >= n) continue;
    scale = std::max(scale, std::fabs(double(cpu.projections[i])));
    proj_diff = std::max(proj_diff, std::fabs(double(gpu.projections[i]) - cpu.projections[i]));
  }
  std::printf("  %s: min |cos| %.6f, projection diff %.3g of %.3g, total variance rel %.2g\n", what.c_str(),
              worst_cos, proj_diff, scale, cuda_test::relative_difference(gpu.total_variance, cpu.total_variance));
  CHECK(worst_cos > 0.999);
  CHECK(proj_diff <= 1e-2 * scale);
  CHECK(mean_diff <= 1e-6);
  CHECK(cuda_test::relative_difference(gpu.total_variance, cpu.total_variance) <= 1e-9);
}

}  // namespace

TEST(cuda_pca_matches_cpu) {
  if (!cuda_test::device_or_skip()) return;
  dinov3::PcaOptions o;
  const auto blobs = testdata::blobs(2000, 48, 5, 6);
  expect_like_cpu(cuda_test::upload(blobs, 2000, 48), o, "blobs 2000x48 fp32");
  expect_like_cpu(cuda_test::upload(blobs, 2000, 48, cu::DType::kFloat16, 50, 2), o, "blobs fp16 strided");
  const auto wide = testdata::blobs(1024, 300, 6, 8);
  o.components = 4;
  expect_like_cpu(cuda_test::upload(wide, 1024, 300), o, "blobs 1024x300, 4 components");
  o.components = 12;  // more than one tile of 8 columns (m = 16)
  expect_like_cpu(cuda_test::upload(wide, 1024, 300), o, "12 components", 5);
}

TEST(cuda_pca_rank_deficient_data) {
  if (!cuda_test::device_or_skip()) return;
  // Three rows: rank two, so most of the 7 block columns collapse and restart from the random
  // numbers. (Not two rows: their projections are +-p, and which one counts as the larger for the
  // sign rule is decided by rounding.)
  const auto x = testdata::uniform(3 * 16, 3);
  dinov3::PcaOptions o;
  expect_like_cpu(cuda_test::upload(x, 3, 16), o, "3 rows", 2);
}

TEST(cuda_pca_rejects_bad_input) {
  static float fake[64];
  dinov3::PcaOptions o;
  o.components = 5;
  CHECK_THROWS_CODE(cu::pca(cu::DeviceMatrix{fake, cu::DType::kFloat32, 16, 4, 4}, o, nullptr),
                    "ERR_DINO_INVALID_ARGUMENT");
  o.components = 2;
  CHECK_THROWS_CODE(cu::pca(cu::DeviceMatrix{fake, cu::DType::kFloat32, 1, 4, 4}, o, nullptr),
                    "ERR_DINO_INVALID_ARGUMENT");
  if (!cuda_test::device_or_skip()) return;
  auto x = testdata::uniform(40 * 4, 3);
  x[9] = INFINITY;
  const auto f = cuda_test::upload(x, 40, 4);
  CHECK_THROWS_CODE(cu::pca(f.view, o, nullptr), "ERR_DINO_INVALID_FEATURES");
  std::atomic<bool> cancel{true};
  CHECK_THROWS_CODE(cu::pca(f.view, o, nullptr, &cancel), "ERR_DINO_ABORTED");
}

TEST(cuda_pca_conformance_features) {
  if (!cuda_test::device_or_skip()) return;
  dinov3::PcaOptions o;
  for (const auto& c : cuda_test::conformance_cases()) {
    expect_like_cpu(cuda_test::upload_patches(c), o, c.tag);
    expect_like_cpu(cuda_test::upload_patches(c, cu::DType::kFloat16), o, c.tag + " fp16");
  }
}
