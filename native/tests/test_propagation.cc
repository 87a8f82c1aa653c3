#include <algorithm>
#include <cmath>
#include <vector>

#include "check.h"
#include "correspondence.h"
#include "error.h"
#include "propagation.h"
#include "test_data.h"

namespace {

// The step in double precision, straight from the definition (native/core/propagation.h).
std::vector<double> reference(const std::vector<float>& cur, const std::vector<float>& ctx, int frames,
                              const std::vector<float>& probs, int labels, const dinov3::PropagationOptions& o,
                              int64_t dim) {
  const int64_t n = static_cast<int64_t>(o.rows) * o.cols;
  std::vector<double> out(n * labels);
  for (int64_t p = 0; p < n; ++p) {
    const int r = static_cast<int>(p / o.cols), c = static_cast<int>(p % o.cols);
    std::vector<std::pair<double, int64_t>> s;
    for (int t = 0; t < frames; ++t)
      for (int64_t q = 0; q < n; ++q) {
        const int rr = static_cast<int>(q / o.cols), cc = static_cast<int>(q % o.cols);
        const double dr = rr - r, dc = cc - c;
        const bool in = o.radius <= 0 || (o.circle ? dr * dr + dc * dc <= double(o.radius) * o.radius
                                                   : std::max(std::fabs(dr), std::fabs(dc)) <= o.radius);
        if (!in) continue;
        double dot = 0;
        for (int64_t d = 0; d < dim; ++d) dot += double(cur[p * dim + d]) * ctx[(t * n + q) * dim + d];
        s.push_back({dot, t * n + q});
      }
    std::vector<double> v;
    for (auto& e : s) v.push_back(e.first);
    std::sort(v.rbegin(), v.rend());
    const double kth = v[std::min<size_t>(o.topk, v.size()) - 1], top = v[0];
    std::vector<double> acc(labels, 0.0);
    for (auto& e : s)
      if (e.first >= kth)
        for (int l = 0; l < labels; ++l) acc[l] += std::exp((e.first - top) / o.temperature) * probs[e.second * labels + l];
    double total = 0;
    for (double a : acc) total += a;
    for (int l = 0; l < labels; ++l) out[p * labels + l] = acc[l] / total;
  }
  return out;
}

}  // namespace

TEST(propagation_matches_double_precision_reference) {
  const int rows = 11, cols = 19, labels = 3;
  const int64_t dim = 37, n = rows * cols;  // dim not a multiple of 8: the vector tails run
  struct Case {
    int frames, topk;
    float radius, temperature;
    bool circle;
  };
  const Case cases[] = {{4, 5, 3.5f, 0.2f, true}, {2, 3, 2.0f, 0.1f, false}, {3, 1, 0.0f, 0.5f, true}, {1, 400, 12.0f, 0.2f, true}};
  for (const Case& k : cases) {
    const auto raw = testdata::uniform(n * dim, 3);
    const auto raw_ctx = testdata::uniform(k.frames * n * dim, 4);
    const auto cur = dinov3::normalized_rows({raw.data(), n, dim, dim});
    const auto ctx = dinov3::normalized_rows({raw_ctx.data(), k.frames * n, dim, dim});
    auto probs = testdata::uniform(k.frames * n * labels, 5, 0.0f, 1.0f);
    dinov3::PropagationOptions o;
    o.rows = rows, o.cols = cols, o.topk = k.topk, o.radius = k.radius, o.temperature = k.temperature, o.circle = k.circle;
    std::vector<float> out(n * labels);
    dinov3::propagate_labels({cur.data(), n, dim, dim}, ctx.data(), k.frames, probs.data(), labels, o, out.data());
    const auto ref = reference(cur, ctx, k.frames, probs, labels, o, dim);
    double worst = 0;
    for (size_t i = 0; i < out.size(); ++i) worst = std::max(worst, std::fabs(out[i] - ref[i]));
    if (worst >= 1e-5) std::printf("  frames %d topk %d radius %g: worst %g\n", k.frames, k.topk, k.radius, worst);
    CHECK(worst < 1e-5);
  }
}

TEST(propagation_rejects_bad_arguments) {
  std::vector<float> x(16, 1.0f), p(8, 0.5f), out(8);
  dinov3::PropagationOptions o;
  o.rows = 2, o.cols = 2;
  bool threw = false;
  try {
    o.temperature = 0;
    dinov3::propagate_labels({x.data(), 4, 4, 4}, x.data(), 1, p.data(), 2, o, out.data());
  } catch (const dinov3::Error& e) {
    threw = std::string(e.code()) == "ERR_DINO_INVALID_ARGUMENT";
  }
  CHECK(threw);
  threw = false;
  try {
    o.temperature = 0.2f, o.cols = 3;
    dinov3::propagate_labels({x.data(), 4, 4, 4}, x.data(), 1, p.data(), 2, o, out.data());
  } catch (const dinov3::Error& e) {
    threw = std::string(e.code()) == "ERR_DINO_SHAPE_MISMATCH";
  }
  CHECK(threw);
}
