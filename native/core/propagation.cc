#include "propagation.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "error.h"
#include "parallel.h"
#include "simd_lanes.h"
#include "vector_math.h"

// The scoring loop has a baseline and an x86-64-v3 (AVX2 + FMA) clone (simd_lanes.h).

namespace dinov3 {
namespace {

using lanes::lanes_total;
using lanes::load8;
using lanes::tail_dot;
using lanes::v8f;

// dot() of vector_math.h (same summation order), inlined into each clone.
DINOV3_INLINE float dot8(const float* a, const float* b, int64_t n) {
  const int64_t end = n - n % 8;
  v8f acc = {};
  for (int64_t i = 0; i < end; i += 8) acc += load8(a + i) * load8(b + i);
  return lanes_total(acc, tail_dot(a, b, end, n));
}

constexpr int kTile = 8;  // targets per tile side: each context patch is loaded once per tile

// True when context patch (rr, cc) lies in the neighbourhood of target (r, c).
inline bool inside(int r, int c, int rr, int cc, const PropagationOptions& o) {
  if (o.radius <= 0) return true;
  const float dr = static_cast<float>(rr - r), dc = static_cast<float>(cc - c);
  return o.circle ? dr * dr + dc * dc <= o.radius * o.radius : std::max(std::fabs(dr), std::fabs(dc)) <= o.radius;
}

// The scores of a tile's targets and where each came from, one fixed-size row per target (its
// neighbourhood in every context frame fits), so that appending a score is two stores.
struct TileScores {
  int64_t cap = 0;
  std::vector<float> value;
  std::vector<int32_t> source;  // frame * n + patch
  std::vector<int64_t> count;

  explicit TileScores(int64_t per_target) : cap(per_target), value(kTile * kTile * per_target), source(kTile * kTile * per_target), count(kTile * kTile) {}
  void clear() { std::fill(count.begin(), count.end(), 0); }
  DINOV3_INLINE void put(int m, float v, int32_t from) {
    const int64_t at = m * cap + count[m]++;
    value[at] = v;
    source[at] = from;
  }
};

// Scores of every target of the tile (grid rows r0..r1, cols c0..c1, exclusive ends) against every
// context patch of its neighbourhood in every context frame, appended to the target's row of
// `scores` with its source (frame * n + patch). The tile's targets are scored together, context patch by
// context patch, so each context token is read from memory once per tile rather than once per
// target; four targets at a time share each load of it and keep four accumulator chains busy.
DINOV3_MULTIVERSION
void score_tile(const MatrixView& current, const float* context, int frames, int64_t n, int r0, int r1, int c0, int c1,
                const PropagationOptions& o, TileScores& scores) {
  const int64_t dim = current.dim;
  const int64_t vec_end = dim - dim % 8;
  const int reach = o.radius > 0 ? static_cast<int>(std::floor(o.radius)) : std::max(o.rows, o.cols);
  const int tile_cols = c1 - c0;
  std::vector<int> members;
  members.reserve(kTile * kTile);
  auto target = [&](int m) { return current.row(static_cast<int64_t>(r0 + m / tile_cols) * o.cols + c0 + m % tile_cols); };
  for (int rr = std::max(0, r0 - reach); rr < std::min(o.rows, r1 + reach); ++rr) {
    for (int cc = std::max(0, c0 - reach); cc < std::min(o.cols, c1 + reach); ++cc) {
      // Which targets of the tile have (rr, cc) in their neighbourhood: the same in every frame.
      members.clear();
      for (int r = r0; r < r1; ++r)
        for (int c = c0; c < c1; ++c)
          if (inside(r, c, rr, cc, o)) members.push_back((r - r0) * tile_cols + (c - c0));
      if (members.empty()) continue;
      const int64_t q = static_cast<int64_t>(rr) * o.cols + cc;
      auto put = [&](int m, int t, float v) { scores.put(m, v, static_cast<int32_t>(t * n + q)); };
      int t = 0;
      // Two frames at a time (the same patch q, so the same members): four targets and two
      // context tokens per step, six loads for eight products. The second frame's scores are
      // appended after the first's, in the order one frame at a time would give. (One template
      // over the frame count for this loop and the one-frame loop below measured 10 % slower:
      // its accumulator arrays did not stay in registers.)
      for (; t + 2 <= frames; t += 2) {
        const float* g0 = context + (t * n + q) * dim;
        const float* g1 = g0 + n * dim;
        float second[kTile * kTile];
        size_t i = 0;
        for (; i + 4 <= members.size(); i += 4) {
          const float* f0 = target(members[i]);
          const float* f1 = target(members[i + 1]);
          const float* f2 = target(members[i + 2]);
          const float* f3 = target(members[i + 3]);
          v8f a0 = {}, a1 = {}, a2 = {}, a3 = {}, b0 = {}, b1 = {}, b2 = {}, b3 = {};
          for (int64_t d = 0; d < vec_end; d += 8) {
            const v8f x = load8(g0 + d), y = load8(g1 + d);
            v8f v = load8(f0 + d);
            a0 += v * x;
            b0 += v * y;
            v = load8(f1 + d);
            a1 += v * x;
            b1 += v * y;
            v = load8(f2 + d);
            a2 += v * x;
            b2 += v * y;
            v = load8(f3 + d);
            a3 += v * x;
            b3 += v * y;
          }
          put(members[i], t, lanes_total(a0, tail_dot(f0, g0, vec_end, dim)));
          put(members[i + 1], t, lanes_total(a1, tail_dot(f1, g0, vec_end, dim)));
          put(members[i + 2], t, lanes_total(a2, tail_dot(f2, g0, vec_end, dim)));
          put(members[i + 3], t, lanes_total(a3, tail_dot(f3, g0, vec_end, dim)));
          second[i] = lanes_total(b0, tail_dot(f0, g1, vec_end, dim));
          second[i + 1] = lanes_total(b1, tail_dot(f1, g1, vec_end, dim));
          second[i + 2] = lanes_total(b2, tail_dot(f2, g1, vec_end, dim));
          second[i + 3] = lanes_total(b3, tail_dot(f3, g1, vec_end, dim));
        }
        for (; i < members.size(); ++i) {
          put(members[i], t, dot8(target(members[i]), g0, dim));
          second[i] = dot8(target(members[i]), g1, dim);
        }
        for (size_t j = 0; j < members.size(); ++j) put(members[j], t + 1, second[j]);
      }
      for (; t < frames; ++t) {
        const float* g = context + (t * n + q) * dim;
        size_t i = 0;
        for (; i + 4 <= members.size(); i += 4) {
          const float* f0 = target(members[i]);
          const float* f1 = target(members[i + 1]);
          const float* f2 = target(members[i + 2]);
          const float* f3 = target(members[i + 3]);
          v8f a0 = {}, a1 = {}, a2 = {}, a3 = {};
          for (int64_t d = 0; d < vec_end; d += 8) {
            const v8f x = load8(g + d);
            a0 += load8(f0 + d) * x;
            a1 += load8(f1 + d) * x;
            a2 += load8(f2 + d) * x;
            a3 += load8(f3 + d) * x;
          }
          put(members[i], t, lanes_total(a0, tail_dot(f0, g, vec_end, dim)));
          put(members[i + 1], t, lanes_total(a1, tail_dot(f1, g, vec_end, dim)));
          put(members[i + 2], t, lanes_total(a2, tail_dot(f2, g, vec_end, dim)));
          put(members[i + 3], t, lanes_total(a3, tail_dot(f3, g, vec_end, dim)));
        }
        for (; i < members.size(); ++i) put(members[i], t, dot8(target(members[i]), g, dim));
      }
    }
  }
}

// out (labels values) for one target from its scores: keep the scores >= the k-th largest,
// softmax at the temperature, the weighted mean of the sources' labels, renormalised.
void blend(const float* scores, const int32_t* sources, int64_t count, const float* context_probs, int labels,
           const PropagationOptions& o, std::vector<float>& best, std::vector<double>& acc, float* dst) {
  const int k = static_cast<int>(std::min<int64_t>(o.topk, count));
  if (k == 0) {
    std::fill(dst, dst + labels, 0.0f);
    return;
  }
  std::fill(best.begin(), best.end(), -INFINITY);
  for (int64_t i = 0; i < count; ++i) {
    const float s = scores[i];
    if (s <= best[k - 1]) continue;
    int pos = k - 1;
    while (pos > 0 && s > best[pos - 1]) {
      best[pos] = best[pos - 1];
      --pos;
    }
    best[pos] = s;
  }
  const float threshold = best[k - 1], top = best[0];
  std::fill(acc.begin(), acc.end(), 0.0);
  for (int64_t i = 0; i < count; ++i) {
    if (!(scores[i] >= threshold)) continue;
    const double w = std::exp((static_cast<double>(scores[i]) - top) / o.temperature);
    const float* src = context_probs + static_cast<int64_t>(sources[i]) * labels;
    for (int l = 0; l < labels; ++l) acc[l] += w * src[l];
  }
  double total = 0;
  for (int l = 0; l < labels; ++l) total += acc[l];
  // total is 0 only when every kept source has all-zero labels: the patch stays unlabelled.
  for (int l = 0; l < labels; ++l) dst[l] = total > 0 ? static_cast<float>(acc[l] / total) : 0.0f;
}

}  // namespace

void propagate_labels(const MatrixView& current, const float* context, int frames, const float* context_probs,
                      int labels, const PropagationOptions& o, float* out) {
  check_view(current, "current features");
  const int64_t n = static_cast<int64_t>(o.rows) * o.cols;
  require(o.rows > 0 && o.cols > 0 && current.rows == n, codes::kShapeMismatch,
          "the current frame has " + std::to_string(current.rows) + " patches, the grid " + std::to_string(o.rows) + "x" +
              std::to_string(o.cols) + " needs " + std::to_string(n));
  require(frames >= 1 && context != nullptr && context_probs != nullptr, codes::kInvalidArgument,
          "propagation needs at least one context frame");
  require(labels >= 1, codes::kInvalidArgument, "propagation needs at least one label");
  require(o.topk >= 1, codes::kInvalidArgument, "topk must be at least 1");
  require(o.temperature > 0 && std::isfinite(o.temperature), codes::kInvalidArgument, "temperature must be positive");
  require(frames * n <= INT32_MAX, codes::kInvalidArgument, "propagation context too large (frames x patches over 2^31)");
  const int tiles_r = (o.rows + kTile - 1) / kTile, tiles_c = (o.cols + kTile - 1) / kTile;
  // Scores per target at most: its neighbourhood (a square of side 2 * reach + 1, clipped to the
  // grid) in every context frame.
  const int64_t reach = o.radius > 0 ? static_cast<int64_t>(std::floor(o.radius)) : std::max(o.rows, o.cols);
  const int64_t per_target = frames * std::min<int64_t>(2 * reach + 1, o.rows) * std::min<int64_t>(2 * reach + 1, o.cols);

  parallel_for(int64_t{tiles_r} * tiles_c, 1, [&](int64_t t0, int64_t t1, int64_t) {
    TileScores scores(per_target);
    std::vector<float> best(static_cast<size_t>(o.topk));
    std::vector<double> acc(labels);
    for (int64_t tile = t0; tile < t1; ++tile) {
      const int r0 = static_cast<int>(tile / tiles_c) * kTile, c0 = static_cast<int>(tile % tiles_c) * kTile;
      const int r1 = std::min(o.rows, r0 + kTile), c1 = std::min(o.cols, c0 + kTile);
      scores.clear();
      score_tile(current, context, frames, n, r0, r1, c0, c1, o, scores);
      for (int r = r0; r < r1; ++r) {
        for (int c = c0; c < c1; ++c) {
          const int m = (r - r0) * (c1 - c0) + (c - c0);
          const int64_t at = m * scores.cap;
          blend(scores.value.data() + at, scores.source.data() + at, scores.count[m], context_probs, labels, o, best, acc,
                out + (static_cast<int64_t>(r) * o.cols + c) * labels);
        }
      }
    }
  });
}

}  // namespace dinov3
