#include "propagation.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "error.h"
#include "parallel.h"
#include "vector_math.h"

namespace dinov3 {
namespace {

struct Offset {
  int dr, dc;
};

std::vector<Offset> neighbourhood(const PropagationOptions& o) {
  std::vector<Offset> out;
  const int reach = o.radius > 0 ? static_cast<int>(std::floor(o.radius)) : std::max(o.rows, o.cols);
  for (int dr = -reach; dr <= reach; ++dr) {
    for (int dc = -reach; dc <= reach; ++dc) {
      if (o.radius > 0 && o.circle && static_cast<float>(dr * dr + dc * dc) > o.radius * o.radius) continue;
      out.push_back({dr, dc});
    }
  }
  return out;
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
  const std::vector<Offset> offsets = neighbourhood(o);
  const int64_t dim = current.dim;
  const int64_t per_frame = n * dim;

  parallel_for(n, 16, [&](int64_t p0, int64_t p1, int64_t) {
    std::vector<float> scores;
    std::vector<int64_t> sources;  // frame * n + patch of each score
    std::vector<float> best(static_cast<size_t>(o.topk));
    std::vector<double> acc(labels);
    for (int64_t p = p0; p < p1; ++p) {
      const int r = static_cast<int>(p / o.cols), c = static_cast<int>(p % o.cols);
      const float* f = current.row(p);
      scores.clear();
      sources.clear();
      for (int t = 0; t < frames; ++t) {
        const float* g = context + t * per_frame;
        for (const Offset& off : offsets) {
          const int rr = r + off.dr, cc = c + off.dc;
          if (rr < 0 || rr >= o.rows || cc < 0 || cc >= o.cols) continue;
          const int64_t q = static_cast<int64_t>(rr) * o.cols + cc;
          scores.push_back(dot(f, g + q * dim, dim));
          sources.push_back(t * n + q);
        }
      }
      // The k-th largest score (all of them when fewer than k).
      const int k = static_cast<int>(std::min<size_t>(o.topk, scores.size()));
      std::fill(best.begin(), best.end(), -INFINITY);
      for (float s : scores) {
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
      for (size_t i = 0; i < scores.size(); ++i) {
        if (!(scores[i] >= threshold)) continue;
        const double w = std::exp((static_cast<double>(scores[i]) - top) / o.temperature);
        const float* src = context_probs + sources[i] * labels;
        for (int l = 0; l < labels; ++l) acc[l] += w * src[l];
      }
      double total = 0;
      for (int l = 0; l < labels; ++l) total += acc[l];
      float* dst = out + p * labels;
      // total is 0 only when every kept source has all-zero labels: the patch stays unlabelled.
      for (int l = 0; l < labels; ++l) dst[l] = total > 0 ? static_cast<float>(acc[l] / total) : 0.0f;
    }
  });
}

}  // namespace dinov3
