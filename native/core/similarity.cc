#include "similarity.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "error.h"
#include "parallel.h"
#include "vector_math.h"

namespace dinov3 {
namespace {
constexpr float kNormEpsilon = 1e-12f;

float inverse_norm(float norm) { return norm > kNormEpsilon ? 1.0f / norm : 0.0f; }
}  // namespace

void row_norms(const MatrixView& x, float* norms) {
  check_view(x, "features");
  parallel_for(x.rows, 512, [&](int64_t r0, int64_t r1, int64_t) {
    for (int64_t r = r0; r < r1; ++r) norms[r] = std::sqrt(squared_norm(x.row(r), x.dim));
  });
}

void cosine_similarity(const MatrixView& x, const float* queries, int64_t nq, float* out) {
  check_view(x, "features");
  require(queries != nullptr && nq > 0, codes::kInvalidArgument, "similarity needs at least one query vector");
  std::vector<float> query_scale(nq);
  for (int64_t q = 0; q < nq; ++q) {
    query_scale[q] = inverse_norm(std::sqrt(squared_norm(queries + q * x.dim, x.dim)));
  }
  const int64_t grain = std::max<int64_t>(64, 65536 / std::max<int64_t>(1, x.dim * nq));
  parallel_for(x.rows, grain, [&](int64_t r0, int64_t r1, int64_t) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* row = x.row(r);
      const float row_scale = inverse_norm(std::sqrt(squared_norm(row, x.dim)));
      for (int64_t q = 0; q < nq; ++q) {
        out[q * x.rows + r] = dot(row, queries + q * x.dim, x.dim) * row_scale * query_scale[q];
      }
    }
  });
}

}  // namespace dinov3
