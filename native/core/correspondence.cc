#include "correspondence.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "error.h"
#include "parallel.h"
#include "vector_math.h"

namespace dinov3 {
namespace {

constexpr float kNormEpsilon = 1e-12f;
constexpr int64_t kBlockA = 32;     // rows of a per chunk (one task)
constexpr int64_t kBlockB = 256;    // rows of b per tile (stays in L2 with 32 rows of a)
constexpr int64_t kRegisterA = 4;   // rows of a per inner step (4 dot products share each b load)

// Inserts (value, index) into a best-first list of k entries if it beats the last one. Ties keep
// the earlier entry first, so scanning indices in ascending order keeps the lower index.
inline void offer(float* values, int32_t* indices, int k, float value, int32_t index) {
  if (!(value > values[k - 1])) return;
  int pos = k - 1;
  while (pos > 0 && value > values[pos - 1]) {
    values[pos] = values[pos - 1];
    indices[pos] = indices[pos - 1];
    --pos;
  }
  values[pos] = value;
  indices[pos] = index;
}

void init_neighbours(Neighbours& n, int64_t rows, int k) {
  n.k = k;
  n.index.assign(static_cast<size_t>(rows) * k, -1);
  n.similarity.assign(static_cast<size_t>(rows) * k, -INFINITY);
}

// s[i * nb + j] = dot(a_i, b_j) for the rows i0..i1 of a and j0..j1 of b (both normalised).
void tile(const float* a, const float* b, int64_t dim, int64_t i0, int64_t i1, int64_t j0, int64_t j1, float* s,
          int64_t ld) {
  int64_t i = i0;
  for (; i + kRegisterA <= i1; i += kRegisterA) {
    const float* r0 = a + i * dim;
    const float* r1 = r0 + dim;
    const float* r2 = r1 + dim;
    const float* r3 = r2 + dim;
    for (int64_t j = j0; j < j1; ++j) {
      const float* c = b + j * dim;
      float acc0[8] = {}, acc1[8] = {}, acc2[8] = {}, acc3[8] = {};
      int64_t d = 0;
      for (; d + 8 <= dim; d += 8) {
        for (int l = 0; l < 8; ++l) {
          const float v = c[d + l];
          acc0[l] += r0[d + l] * v;
          acc1[l] += r1[d + l] * v;
          acc2[l] += r2[d + l] * v;
          acc3[l] += r3[d + l] * v;
        }
      }
      float t0 = 0, t1 = 0, t2 = 0, t3 = 0;
      for (; d < dim; ++d) {
        t0 += r0[d] * c[d];
        t1 += r1[d] * c[d];
        t2 += r2[d] * c[d];
        t3 += r3[d] * c[d];
      }
      auto sum = [](const float* x, float t) {
        return ((x[0] + x[4]) + (x[1] + x[5])) + ((x[2] + x[6]) + (x[3] + x[7])) + t;
      };
      s[(i - i0) * ld + (j - j0)] = sum(acc0, t0);
      s[(i + 1 - i0) * ld + (j - j0)] = sum(acc1, t1);
      s[(i + 2 - i0) * ld + (j - j0)] = sum(acc2, t2);
      s[(i + 3 - i0) * ld + (j - j0)] = sum(acc3, t3);
    }
  }
  for (; i < i1; ++i) {
    for (int64_t j = j0; j < j1; ++j) s[(i - i0) * ld + (j - j0)] = dot(a + i * dim, b + j * dim, dim);
  }
}

}  // namespace

std::vector<float> normalized_rows(const MatrixView& x) {
  check_view(x, "features");
  std::vector<float> out(static_cast<size_t>(x.rows) * x.dim);
  parallel_for(x.rows, 256, [&](int64_t r0, int64_t r1, int64_t) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* row = x.row(r);
      const float norm = std::sqrt(squared_norm(row, x.dim));
      const float scale = norm > kNormEpsilon ? 1.0f / norm : 0.0f;
      float* o = out.data() + r * x.dim;
      for (int64_t d = 0; d < x.dim; ++d) o[d] = row[d] * scale;
    }
  });
  return out;
}

CorrespondenceResult nearest_neighbours(const MatrixView& a, const MatrixView& b, int k) {
  check_view(a, "features a");
  check_view(b, "features b");
  require(a.dim == b.dim, codes::kShapeMismatch,
          "features a have dim " + std::to_string(a.dim) + ", features b have dim " + std::to_string(b.dim));
  require(k >= 1 && k <= 16 && k <= a.rows && k <= b.rows, codes::kInvalidArgument,
          "k must be between 1 and min(16, rows of a, rows of b), got " + std::to_string(k));
  const int64_t dim = a.dim;
  const std::vector<float> an = normalized_rows(a);
  const std::vector<float> bn = normalized_rows(b);
  CorrespondenceResult result;
  init_neighbours(result.a_to_b, a.rows, k);
  init_neighbours(result.b_to_a, b.rows, k);

  // Each chunk of kBlockA rows of a scans all of b tile by tile: its rows' lists are final at the
  // end of the chunk; the lists of b's rows are kept per chunk and merged in chunk order.
  const int64_t chunks = chunk_count(a.rows, kBlockA);
  std::vector<float> col_values(static_cast<size_t>(chunks) * b.rows * k);
  std::vector<int32_t> col_indices(static_cast<size_t>(chunks) * b.rows * k);
  parallel_for(a.rows, kBlockA, [&](int64_t i0, int64_t i1, int64_t chunk) {
    std::vector<float> s(static_cast<size_t>(kBlockA) * kBlockB);
    float* cv = col_values.data() + chunk * b.rows * k;
    int32_t* ci = col_indices.data() + chunk * b.rows * k;
    std::fill(cv, cv + b.rows * k, -INFINITY);
    std::fill(ci, ci + b.rows * k, -1);
    for (int64_t j0 = 0; j0 < b.rows; j0 += kBlockB) {
      const int64_t j1 = std::min(b.rows, j0 + kBlockB);
      tile(an.data(), bn.data(), dim, i0, i1, j0, j1, s.data(), kBlockB);
      for (int64_t i = i0; i < i1; ++i) {
        float* rv = result.a_to_b.similarity.data() + i * k;
        int32_t* ri = result.a_to_b.index.data() + i * k;
        const float* srow = s.data() + (i - i0) * kBlockB;
        for (int64_t j = j0; j < j1; ++j) {
          const float v = srow[j - j0];
          offer(rv, ri, k, v, static_cast<int32_t>(j));
          offer(cv + j * k, ci + j * k, k, v, static_cast<int32_t>(i));
        }
      }
    }
  });
  // Merge the per-chunk lists of b's rows; chunks hold ascending ranges of a, so merging them in
  // order keeps the lower index first among ties.
  parallel_for(b.rows, 256, [&](int64_t j0, int64_t j1, int64_t) {
    for (int64_t j = j0; j < j1; ++j) {
      float* bv = result.b_to_a.similarity.data() + j * k;
      int32_t* bi = result.b_to_a.index.data() + j * k;
      for (int64_t c = 0; c < chunks; ++c) {
        const float* cv = col_values.data() + (c * b.rows + j) * k;
        const int32_t* ci = col_indices.data() + (c * b.rows + j) * k;
        for (int l = 0; l < k && ci[l] >= 0; ++l) offer(bv, bi, k, cv[l], ci[l]);
      }
    }
  });
  return result;
}

}  // namespace dinov3
