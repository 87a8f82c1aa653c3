// The GPU NaN/Infinity count (native/cuda/non_finite.cu) against a host scan of the same values:
// fp32 and fp16, strided views whose padding must not be read, and counts
// spread over more elements than one grid pass covers.
#include <cmath>
#include <limits>
#include <vector>

#include "check.h"
#include "error.h"
#include "cuda_api.h"
#include "cuda_test_util.h"
#include "test_data.h"

namespace cu = dinov3::cuda;

namespace {

cu::NonFiniteCount host_count(const std::vector<float>& x) {
  cu::NonFiniteCount c;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) {
      if (c.count++ == 0) c.first_index = static_cast<int64_t>(i);
    }
  }
  return c;
}

}  // namespace

TEST(cuda_non_finite_matches_host_fp32_fp16_strided) {
  if (!cuda_test::device_or_skip()) return;
  struct Shape {
    int64_t rows, dim, stride, offset;
  };
  // The last shape has more elements than 1024 blocks x 256 threads: several grid passes.
  const Shape shapes[] = {{1, 1, 1, 0}, {257, 384, 384, 0}, {100, 97, 128, 3}, {1370, 1024, 1024, 0}};
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  for (const Shape& s : shapes) {
    auto x = testdata::uniform(s.rows * s.dim, s.rows + s.dim);
    const int64_t n = s.rows * s.dim;
    for (auto type : {cu::DType::kFloat32, cu::DType::kFloat16}) {
      const auto clean = cuda_test::upload(x, s.rows, s.dim, type, s.stride, s.offset);
      const cu::NonFiniteCount none = cu::count_non_finite(clean.view, nullptr);
      CHECK(none.count == 0);
      CHECK(none.first_index == -1);
    }
    if (n < 4) continue;
    auto bad = x;
    bad[n - 1] = nan;
    bad[n / 2] = inf;
    bad[n / 3] = -inf;
    bad[1] = nan;
    const cu::NonFiniteCount want = host_count(bad);
    for (auto type : {cu::DType::kFloat32, cu::DType::kFloat16}) {
      const auto f = cuda_test::upload(bad, s.rows, s.dim, type, s.stride, s.offset);
      const cu::NonFiniteCount got = cu::count_non_finite(f.view, nullptr);
      CHECK(got.count == want.count);
      CHECK(got.first_index == want.first_index);
    }
  }
}

TEST(cuda_non_finite_sees_fp16_overflow_and_ignores_padding) {
  if (!cuda_test::device_or_skip()) return;
  // 70000 does not fit fp16: it uploads as +Inf, which the count must see.
  std::vector<float> x(16 * 8, 1.0f);
  x[37] = 70000.0f;
  const auto f16 = cuda_test::upload(x, 16, 8, cu::DType::kFloat16);
  const cu::NonFiniteCount got = cu::count_non_finite(f16.view, nullptr);
  CHECK(got.count == 1);
  CHECK(got.first_index == 37);
  const auto f32 = cuda_test::upload(x, 16, 8, cu::DType::kFloat32);
  CHECK(cu::count_non_finite(f32.view, nullptr).count == 0);
}

TEST(cuda_non_finite_rejects_bad_views) {
  cu::DeviceMatrix m;  // null data
  m.rows = 1;
  m.dim = 1;
  m.stride = 1;
  CHECK_THROWS_CODE(cu::count_non_finite(m, nullptr), "ERR_DINO_INVALID_ARGUMENT");
}
