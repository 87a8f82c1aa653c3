#include <cmath>
#include <vector>

#include "check.h"
#include "similarity.h"
#include "test_data.h"

TEST(similarity_matches_double_precision_reference_on_a_strided_view) {
  const int64_t rows = 300, dim = 72, stride = 80, prefix = 5;
  auto buf = testdata::uniform((rows + prefix) * stride, 11);
  dinov3::MatrixView x{buf.data() + prefix * stride, rows, dim, stride};
  std::vector<float> queries(2 * dim);
  for (int64_t d = 0; d < dim; ++d) queries[d] = x.row(17)[d], queries[dim + d] = static_cast<float>(std::sin(d));
  std::vector<float> out(2 * rows);
  dinov3::cosine_similarity(x, queries.data(), 2, out.data());
  double worst = 0;
  for (int q = 0; q < 2; ++q)
    for (int64_t r = 0; r < rows; ++r) {
      double dot = 0, na = 0, nb = 0;
      for (int64_t d = 0; d < dim; ++d) {
        dot += static_cast<double>(x.row(r)[d]) * queries[q * dim + d];
        na += static_cast<double>(x.row(r)[d]) * x.row(r)[d];
        nb += static_cast<double>(queries[q * dim + d]) * queries[q * dim + d];
      }
      worst = std::max(worst, std::fabs(dot / std::sqrt(na * nb) - out[q * rows + r]));
    }
  CHECK(worst < 1e-6);
  CHECK_NEAR(out[17], 1.0, 1e-6);
}

TEST(similarity_of_zero_vectors_is_zero_not_nan) {
  std::vector<float> x = {0, 0, 0, 1, 2, 3};
  dinov3::MatrixView v{x.data(), 2, 3, 3};
  std::vector<float> q = {0, 0, 0}, out(2);
  dinov3::cosine_similarity(v, q.data(), 1, out.data());
  CHECK(out[0] == 0.0f && out[1] == 0.0f);
  q = {1, 2, 3};
  dinov3::cosine_similarity(v, q.data(), 1, out.data());
  CHECK(out[0] == 0.0f);
  CHECK_NEAR(out[1], 1.0, 1e-6);
}
