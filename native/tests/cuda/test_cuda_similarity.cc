#include <algorithm>
#include <cmath>
#include <vector>

#include "check.h"
#include "cuda_api.h"
#include "cuda_test_util.h"
#include "similarity.h"
#include "test_data.h"

namespace cu = dinov3::cuda;
using cuda_test::DeviceArray;

namespace {

double compare(const cuda_test::Features& f, const std::vector<float>& queries, int64_t nq) {
  DeviceArray<float> q(queries);
  DeviceArray<float> out(static_cast<size_t>(nq * f.rows));
  cu::cosine_similarity(f.view, q.get(), nq, out.get(), nullptr);
  const auto gpu = out.download();
  std::vector<float> cpu(gpu.size());
  dinov3::cosine_similarity(f.cpu_view(), queries.data(), nq, cpu.data());
  double worst = 0;
  for (size_t i = 0; i < cpu.size(); ++i) worst = std::max(worst, std::fabs(double(gpu[i]) - cpu[i]));
  return worst;
}

}  // namespace

TEST(cuda_similarity_matches_cpu_fp32_fp16_strided) {
  if (!cuda_test::device_or_skip()) return;
  struct Shape {
    int64_t rows, dim, stride, offset;
  };
  // 96 / 100: vector loads; 97 and odd strides or offsets: the scalar path.
  const Shape shapes[] = {{1000, 96, 96, 0}, {777, 97, 97, 0}, {500, 64, 100, 8}, {300, 64, 64, 5}, {4096, 1024, 1024, 0}};
  for (const Shape& s : shapes) {
    const auto x = testdata::uniform(s.rows * s.dim, s.rows + s.dim);
    for (auto type : {cu::DType::kFloat32, cu::DType::kFloat16}) {
      const auto f = cuda_test::upload(x, s.rows, s.dim, type, s.stride, s.offset);
      for (int64_t nq : {1, 3, 8, 11}) {  // 11: more than one tile of 8 queries
        const auto q = testdata::uniform(nq * s.dim, 99 + nq);
        const double diff = compare(f, q, nq);
        if (diff > 1e-5) std::printf("  %lldx%lld nq %lld: max diff %g\n", (long long)s.rows, (long long)s.dim,
                                     (long long)nq, diff);
        CHECK(diff <= 1e-5);
      }
    }
  }
}

TEST(cuda_similarity_zero_vectors_give_zero) {
  if (!cuda_test::device_or_skip()) return;
  std::vector<float> x(10 * 8, 1.0f);
  std::fill(x.begin() + 3 * 8, x.begin() + 4 * 8, 0.0f);  // row 3 is zero
  const auto f = cuda_test::upload(x, 10, 8);
  std::vector<float> queries(2 * 8, 0.0f);
  std::fill(queries.begin() + 8, queries.end(), 2.0f);  // query 0 is zero
  DeviceArray<float> q(queries), out(20);
  cu::cosine_similarity(f.view, q.get(), 2, out.get(), nullptr);
  const auto s = out.download();
  for (int r = 0; r < 10; ++r) {
    CHECK(s[r] == 0.0f);
    CHECK(r == 3 ? s[10 + r] == 0.0f : std::fabs(s[10 + r] - 1.0f) < 1e-6f);
  }
}

TEST(cuda_similarity_conformance_features) {
  if (!cuda_test::device_or_skip()) return;
  for (const auto& c : cuda_test::conformance_cases()) {
    const auto f = cuda_test::upload_patches(c);
    // Centre patch and a few others as queries, as the similarity map does.
    std::vector<float> q;
    for (int64_t r : {c.patches / 2, int64_t{0}, c.patches - 1})
      q.insert(q.end(), f.cpu.begin() + r * f.dim, f.cpu.begin() + (r + 1) * f.dim);
    const double diff = compare(f, q, 3);
    std::printf("  %s: %lld patches, max diff %g\n", c.tag.c_str(), (long long)c.patches, diff);
    CHECK(diff <= 1e-5);
  }
}
