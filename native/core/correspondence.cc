#include "correspondence.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "error.h"
#include "parallel.h"
#include "simd_lanes.h"
#include "top_k.h"
#include "vector_math.h"

// The tile product has a baseline and an x86-64-v3 (AVX2 + FMA) clone (simd_lanes.h).

namespace dinov3 {
namespace {

constexpr float kNormEpsilon = 1e-12f;
constexpr int64_t kBlockA = 32;     // rows of a per chunk (one task)
constexpr int64_t kBlockB = 256;    // rows of b per tile (stays in L2 with 32 rows of a)
constexpr int64_t kRegisterA = 4;   // rows of a per inner step (4 dot products share each b load)

void init_neighbours(Neighbours& n, int64_t rows, int k) {
  n.k = k;
  n.index.assign(static_cast<size_t>(rows) * k, -1);
  n.similarity.assign(static_cast<size_t>(rows) * k, -INFINITY);
}

using lanes::lanes_total;
using lanes::load8;
using lanes::v8f;

// s[(i - i0) * ld + (j - j0)] = dot(a_i, b_j) for rows i0..i1 of a and j0..j1 of b (both
// normalised, dense): four rows of a against two of b per step, eight accumulators in registers,
// so every loaded block is used four or two times.
DINOV3_MULTIVERSION
void tile(const float* a, const float* b, int64_t dim, int64_t i0, int64_t i1, int64_t j0, int64_t j1, float* s,
          int64_t ld) {
  const int64_t vec_end = dim - dim % 8;
  auto tail = [&](const float* x, const float* y) {
    float t = 0;
    for (int64_t d = vec_end; d < dim; ++d) t += x[d] * y[d];
    return t;
  };
  int64_t i = i0;
  for (; i + kRegisterA <= i1; i += kRegisterA) {
    const float* r0 = a + i * dim;
    const float* r1 = r0 + dim;
    const float* r2 = r1 + dim;
    const float* r3 = r2 + dim;
    float* out = s + (i - i0) * ld - j0;
    int64_t j = j0;
    for (; j + 2 <= j1; j += 2) {
      const float* c0 = b + j * dim;
      const float* c1 = c0 + dim;
      v8f a00 = {}, a01 = {}, a10 = {}, a11 = {}, a20 = {}, a21 = {}, a30 = {}, a31 = {};
      for (int64_t d = 0; d < vec_end; d += 8) {
        const v8f u = load8(c0 + d), w = load8(c1 + d);
        const v8f x0 = load8(r0 + d), x1 = load8(r1 + d), x2 = load8(r2 + d), x3 = load8(r3 + d);
        a00 += x0 * u;
        a01 += x0 * w;
        a10 += x1 * u;
        a11 += x1 * w;
        a20 += x2 * u;
        a21 += x2 * w;
        a30 += x3 * u;
        a31 += x3 * w;
      }
      out[j] = lanes_total(a00, tail(r0, c0));
      out[j + 1] = lanes_total(a01, tail(r0, c1));
      out[ld + j] = lanes_total(a10, tail(r1, c0));
      out[ld + j + 1] = lanes_total(a11, tail(r1, c1));
      out[2 * ld + j] = lanes_total(a20, tail(r2, c0));
      out[2 * ld + j + 1] = lanes_total(a21, tail(r2, c1));
      out[3 * ld + j] = lanes_total(a30, tail(r3, c0));
      out[3 * ld + j + 1] = lanes_total(a31, tail(r3, c1));
    }
    for (; j < j1; ++j) {
      const float* c0 = b + j * dim;
      v8f a00 = {}, a10 = {}, a20 = {}, a30 = {};
      for (int64_t d = 0; d < vec_end; d += 8) {
        const v8f u = load8(c0 + d);
        a00 += load8(r0 + d) * u;
        a10 += load8(r1 + d) * u;
        a20 += load8(r2 + d) * u;
        a30 += load8(r3 + d) * u;
      }
      out[j] = lanes_total(a00, tail(r0, c0));
      out[ld + j] = lanes_total(a10, tail(r1, c0));
      out[2 * ld + j] = lanes_total(a20, tail(r2, c0));
      out[3 * ld + j] = lanes_total(a30, tail(r3, c0));
    }
  }
  for (; i < i1; ++i) {
    const float* r0 = a + i * dim;
    for (int64_t j = j0; j < j1; ++j) {
      const float* c0 = b + j * dim;
      v8f acc = {};
      for (int64_t d = 0; d < vec_end; d += 8) acc += load8(r0 + d) * load8(c0 + d);
      s[(i - i0) * ld + (j - j0)] = lanes_total(acc, tail(r0, c0));
    }
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
          top_k_offer(rv, ri, k, v, static_cast<int32_t>(j));
          top_k_offer(cv + j * k, ci + j * k, k, v, static_cast<int32_t>(i));
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
        for (int l = 0; l < k && ci[l] >= 0; ++l) top_k_offer(bv, bi, k, cv[l], ci[l]);
      }
    }
  });
  return result;
}

}  // namespace dinov3
