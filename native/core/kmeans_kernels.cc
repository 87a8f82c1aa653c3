#include "kmeans_kernels.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "simd_lanes.h"
#include "vector_math.h"

namespace dinov3 {
namespace {

using lanes::lanes_total;
using lanes::load8;
using lanes::tail_dot;
using lanes::v8f;

// Dot products of a few rows with a few centroids at once, in named accumulators so that they
// stay in registers: each loaded block of a row or centroid is used by several products, and the
// independent accumulators keep the multiply-add units busy (one accumulator would wait on its
// own latency). Every result is summed in dot()'s order: eight lanes, then the same pairing.

// One row, four centroids (c0 .. c0 + 3 * dim).
DINOV3_INLINE void dots_1x4(const float* row, const float* c0, int64_t dim, float* out) {
  const float *c1 = c0 + dim, *c2 = c1 + dim, *c3 = c2 + dim;
  v8f a0 = {}, a1 = {}, a2 = {}, a3 = {};
  int64_t i = 0;
  for (; i + 8 <= dim; i += 8) {
    const v8f v = load8(row + i);
    a0 += v * load8(c0 + i);
    a1 += v * load8(c1 + i);
    a2 += v * load8(c2 + i);
    a3 += v * load8(c3 + i);
  }
  out[0] = lanes_total(a0, tail_dot(row, c0, i, dim));
  out[1] = lanes_total(a1, tail_dot(row, c1, i, dim));
  out[2] = lanes_total(a2, tail_dot(row, c2, i, dim));
  out[3] = lanes_total(a3, tail_dot(row, c3, i, dim));
}

// Two rows, three centroids: out = {r0.c0, r0.c1, r0.c2, r1.c0, r1.c1, r1.c2}.
DINOV3_INLINE void dots_2x3(const float* r0, const float* r1, const float* c0, int64_t dim, float* out) {
  const float *c1 = c0 + dim, *c2 = c1 + dim;
  v8f a00 = {}, a01 = {}, a02 = {}, a10 = {}, a11 = {}, a12 = {};
  int64_t i = 0;
  for (; i + 8 <= dim; i += 8) {
    const v8f x0 = load8(r0 + i), x1 = load8(r1 + i);
    const v8f y0 = load8(c0 + i), y1 = load8(c1 + i), y2 = load8(c2 + i);
    a00 += x0 * y0, a01 += x0 * y1, a02 += x0 * y2;
    a10 += x1 * y0, a11 += x1 * y1, a12 += x1 * y2;
  }
  out[0] = lanes_total(a00, tail_dot(r0, c0, i, dim));
  out[1] = lanes_total(a01, tail_dot(r0, c1, i, dim));
  out[2] = lanes_total(a02, tail_dot(r0, c2, i, dim));
  out[3] = lanes_total(a10, tail_dot(r1, c0, i, dim));
  out[4] = lanes_total(a11, tail_dot(r1, c1, i, dim));
  out[5] = lanes_total(a12, tail_dot(r1, c2, i, dim));
}

// Two rows, two centroids: out = {r0.c0, r0.c1, r1.c0, r1.c1}.
DINOV3_INLINE void dots_2x2(const float* r0, const float* r1, const float* c0, int64_t dim, float* out) {
  const float* c1 = c0 + dim;
  v8f a00 = {}, a01 = {}, a10 = {}, a11 = {};
  int64_t i = 0;
  for (; i + 8 <= dim; i += 8) {
    const v8f x0 = load8(r0 + i), x1 = load8(r1 + i);
    const v8f y0 = load8(c0 + i), y1 = load8(c1 + i);
    a00 += x0 * y0, a01 += x0 * y1;
    a10 += x1 * y0, a11 += x1 * y1;
  }
  out[0] = lanes_total(a00, tail_dot(r0, c0, i, dim));
  out[1] = lanes_total(a01, tail_dot(r0, c1, i, dim));
  out[2] = lanes_total(a10, tail_dot(r1, c0, i, dim));
  out[3] = lanes_total(a11, tail_dot(r1, c1, i, dim));
}

// Four rows, one centroid.
DINOV3_INLINE void dots_4x1(const float* const* rows, const float* c0, int64_t dim, float* out) {
  v8f a0 = {}, a1 = {}, a2 = {}, a3 = {};
  int64_t i = 0;
  for (; i + 8 <= dim; i += 8) {
    const v8f y = load8(c0 + i);
    a0 += load8(rows[0] + i) * y;
    a1 += load8(rows[1] + i) * y;
    a2 += load8(rows[2] + i) * y;
    a3 += load8(rows[3] + i) * y;
  }
  for (int r = 0; r < 4; ++r) {
    const v8f& a = r == 0 ? a0 : r == 1 ? a1 : r == 2 ? a2 : a3;
    out[r] = lanes_total(a, tail_dot(rows[r], c0, i, dim));
  }
}

// Dot products of rows [0, n) (n <= 4) with all k centroids into dots (n x k).
DINOV3_INLINE void block_dots(const float* const* rows, int n, const float* centroids, int k, int64_t dim, float* dots) {
  if (k == 1 && n == 4) return dots_4x1(rows, centroids, dim, dots);
  if (k == 2 && n == 2) return dots_2x2(rows[0], rows[1], centroids, dim, dots);
  if (k == 3 && n == 2) return dots_2x3(rows[0], rows[1], centroids, dim, dots);
  for (int r = 0; r < n; ++r) {
    int c = 0;
    for (; c + 4 <= k; c += 4) dots_1x4(rows[r], centroids + c * dim, dim, dots + r * k + c);
    for (; c < k; ++c) dots[r * k + c] = dot(rows[r], centroids + c * dim, dim);
  }
}

}  // namespace

DINOV3_MULTIVERSION
void nearest_centroids(const float* x, int64_t stride, int64_t rows, int64_t dim, const float* row_sq,
                       const float* centroids, const float* centroid_sq, int k, int32_t* best, float* best_distance) {
  // Rows handled together: enough independent products per pass for small k as well.
  const int block_rows = k == 1 ? 4 : k <= 3 ? 2 : 1;
  std::vector<float> dots(static_cast<size_t>(4) * k);
  int64_t r = 0;
  while (r < rows) {
    const int n = static_cast<int>(std::min<int64_t>(block_rows, rows - r));
    const float* row_ptrs[4];
    for (int i = 0; i < n; ++i) row_ptrs[i] = x + (r + i) * stride;
    block_dots(row_ptrs, n, centroids, k, dim, dots.data());
    for (int i = 0; i < n; ++i) {
      int arg = 0;
      float min = std::numeric_limits<float>::infinity();
      for (int c = 0; c < k; ++c) {
        const float d = row_sq[r + i] - 2.0f * dots[i * k + c] + centroid_sq[c];
        if (d < min) min = d, arg = c;
      }
      best[r + i] = arg;
      best_distance[r + i] = std::max(min, 0.0f);
    }
    r += n;
  }
}

DINOV3_MULTIVERSION
void accumulate_by_label(const float* x, int64_t stride, int64_t rows, int64_t dim, const int32_t* labels,
                         float* sums, int64_t* counts) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * stride;
    float* s = sums + static_cast<int64_t>(labels[r]) * dim;
    for (int64_t d = 0; d < dim; ++d) s[d] += row[d];
    ++counts[labels[r]];
  }
}

DINOV3_MULTIVERSION
double assigned_inertia(const float* x, int64_t stride, int64_t rows, int64_t dim, const int32_t* labels,
                        const float* centroids) {
  double total = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * stride;
    const float* c = centroids + static_cast<int64_t>(labels[r]) * dim;
    v8f acc = {};
    int64_t i = 0;
    for (; i + 8 <= dim; i += 8) {
      const v8f d = load8(row + i) - load8(c + i);
      acc += d * d;
    }
    float tail = 0;
    for (; i < dim; ++i) tail += (row[i] - c[i]) * (row[i] - c[i]);
    total += lanes_total(acc, tail);
  }
  return total;
}

}  // namespace dinov3
